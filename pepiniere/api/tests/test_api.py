import pytest

from pepiniere.api.models import ApiToken
from pepiniere.lib.testing.factories import make_call, make_submitted, make_user
from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment
from pepiniere.reviews.tests.factories import make_reviewer, reviewed_call

pytestmark = pytest.mark.django_db


def _bearer(user):
    _token, key = ApiToken.issue(user=user, name="test")
    return {"Authorization": f"Bearer {key}"}


def test_openapi_schema_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/applications" in schema["paths"]


def test_interactive_docs_load_only_local_assets(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page and "/static/ninja/" in page
    assert "cdn." not in page and "https://" not in page


def test_public_calls_need_no_token(client):
    make_call(title="Économie collaborative")
    make_call(title="Brouillon", is_published=False)
    titles = [c["title"] for c in client.get("/api/v1/calls").json()["items"]]
    assert titles == ["Économie collaborative"]


def test_applications_need_a_valid_token_and_show_only_ones_own(client):
    mine = make_submitted()
    other = make_submitted()
    assert client.get("/api/v1/applications").status_code == 401
    assert (
        client.get("/api/v1/applications", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    headers = _bearer(mine.created_by)
    listed = client.get("/api/v1/applications", headers=headers).json()["items"]
    assert [a["reference"] for a in listed] == [mine.reference]
    assert client.get(f"/api/v1/applications/{other.pk}", headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/applications/{mine.pk}", headers=headers).json()["requested_amount"]
        == "40000.00"
    )


def test_revoked_token_is_refused(client):
    user = make_user()
    token, key = ApiToken.issue(user=user, name="ci")
    token.revoked = True
    token.save()
    assert (
        client.get("/api/v1/applications", headers={"Authorization": f"Bearer {key}"}).status_code
        == 401
    )


def test_expert_reads_only_assigned_conflict_free_applications_through_the_api(client):
    call, _officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=1)
    assignment = Assignment.objects.first()
    assert assignment is not None
    outsider = make_reviewer(call)
    assert (
        client.get(
            f"/api/v1/reviews/assignments/{assignment.pk}", headers=_bearer(outsider)
        ).status_code
        == 404
    )
    headers = _bearer(assignment.reviewer)
    assert (
        client.get(f"/api/v1/reviews/assignments/{assignment.pk}", headers=headers).status_code
        == 200
    )
    services.declare_conflict(
        reviewer=assignment.reviewer,
        organisation=assignment.application.organisation,
        note="Lien familial",
    )
    assert (
        client.get(f"/api/v1/reviews/assignments/{assignment.pk}", headers=headers).status_code
        == 404
    )
    assert all(
        a["id"] != assignment.pk
        for a in client.get("/api/v1/reviews/assignments", headers=headers).json()["items"]
    )
