"""Writes through the API: an applicant fills and submits a KPI report and updates a draft
application with a read-write token, through the pages' services (same permissions, lifecycle,
validation and audit trail), one audit row more naming the token. Read-only tokens get 403."""

from typing import Any

import pytest

from pepiniere.api.models import ApiToken
from pepiniere.applications.models import Application
from pepiniere.audit.labels import action_label
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.world import build_world
from pepiniere.portfolio.models import ReportStatus

pytestmark = pytest.mark.django_db


def _token(user: Any, scope: str = "read_write", name: str = "Script du tableur") -> dict[str, str]:
    _t, key = ApiToken.issue(user=user, name=name, scope=scope)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def world():
    return build_world()


def _put(client: Any, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.put(path, body, content_type="application/json", headers=headers)


def test_an_applicant_fills_and_submits_a_kpi_report_confirming_its_warnings(client, world):
    report = world.objects["kpi_baseline"]
    headers = _token(world.users["applicant"])
    path = f"/api/v1/kpi-reports/{report.pk}"

    saved = _put(client, f"{path}/draft", {"figures": {"headcount": "3", "fte": "4,5"}}, headers)
    assert saved.status_code == 200, saved.json()
    body = saved.json()
    assert body["report"]["status"] == "draft"
    assert body["report"]["draft"]["fte"] == "4,5"
    assert "revenue" in body["errors"]  # what the submission will ask for
    assert body["warnings"] == []  # checked once every required figure reads

    missing = client.post(f"{path}/submit", {}, content_type="application/json", headers=headers)
    assert missing.status_code == 422
    assert missing.json()["errors"]["revenue"] == "Indiquez ce chiffre (0 s'il est nul)."

    unconfirmed = client.post(
        f"{path}/submit",
        {"figures": {"revenue": "120 000"}},
        content_type="application/json",
        headers=headers,
    )
    assert unconfirmed.status_code == 422
    refusal = unconfirmed.json()
    assert refusal["detail"].startswith("Vérifiez ces chiffres")
    assert [w["code"] for w in refusal["warnings"]] == ["fte_above_headcount"]
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.draft_values["revenue"] == "120 000"

    submitted = client.post(
        f"{path}/submit",
        {"confirm": ["fte_above_headcount"]},
        content_type="application/json",
        headers=headers,
    )
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["revenue"] == "120000.00" and submitted.json()["fte"] == "4.50"
    again = client.post(
        f"{path}/submit",
        {"confirm": ["fte_above_headcount"]},
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 200  # idempotent

    entries = [
        (e.action, e.reason) for e in trail_for(report) if e.actor == world.users["applicant"]
    ]
    actions = [a for a, _r in entries]
    assert actions.count("submit_kpi_report") == 1 and actions.count("api_submit_kpi_report") == 1
    assert "save_kpi_report" in actions  # the page's own rows, due → draft
    assert all("Script du tableur" in r for a, r in entries if a.startswith("api_"))
    assert action_label("api_submit_kpi_report") == "rapport d'indicateurs transmis par l'API"

    closed = _put(client, f"{path}/draft", {"figures": {"headcount": "9"}}, headers)
    assert closed.status_code == 403 and "plus modifiable" in closed.json()["detail"]


def test_kpi_writes_are_refused_to_read_only_tokens_sessions_officers_and_outsiders(client, world):
    report = world.objects["kpi_baseline"]
    path = f"/api/v1/kpi-reports/{report.pk}/draft"
    body = {"figures": {"headcount": "3"}}
    read_only = _put(client, path, body, _token(world.users["applicant"], scope="read"))
    assert read_only.status_code == 403 and "lecture seule" in read_only.json()["detail"]
    officer = _put(client, path, body, _token(world.users["officer"]))
    assert officer.status_code == 403  # sees the report, does not fill it
    assert _put(client, path, body, _token(world.users["stranger"])).status_code == 404
    client.force_login(world.users["applicant"])
    assert _put(client, path, body, {}).status_code == 401  # a browser's session is no token
    unknown = _put(client, path, {"figures": {"salaires": "3"}}, _token(world.users["applicant"]))
    assert (
        unknown.status_code == 422
        and "n'est pas un chiffre de ce rapport" in unknown.json()["detail"][0]["msg"]
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.DUE and not report.draft_values


def _patch(client: Any, application: Application, body: Any, headers: dict[str, str]) -> Any:
    return client.patch(
        f"/api/v1/applications/{application.pk}/draft",
        body,
        content_type="application/json",
        headers=headers,
    )


def test_an_applicant_updates_a_draft_through_the_service(client, world):
    draft = world.draft
    headers = _token(world.users["applicant"])
    revision = Application.objects.get(pk=draft.pk).draft_revision
    question = next(
        f
        for f in draft.call.form_fields.filter(group__isnull=True)
        if f.kind in {"short_text", "long_text"}
    )
    response = _patch(
        client,
        draft,
        {
            "core": {"title": "Plateforme de covoiturage"},
            "answers": {question.key: "Texte"},
            "revision": revision,
        },
        headers,
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["application"]["title"] == "Plateforme de covoiturage"
    assert body["answers"][question.key] == "Texte"
    assert body["revision"] == revision + 1
    assert isinstance(body["problems"], dict)
    draft.refresh_from_db()
    assert draft.title == "Plateforme de covoiturage" and draft.answers["_core"]["summary"]
    assert [e.action for e in trail_for(draft)][-1] == "api_save_application_draft"

    stale = _patch(client, draft, {"core": {"title": "Autre"}, "revision": revision}, headers)
    assert stale.status_code == 409 and "a changé" in stale.json()["detail"]
    unknown = _patch(client, draft, {"answers": {"inconnue": "x"}}, headers)
    assert unknown.status_code == 422
    assert "n'est pas une question de ce formulaire" in unknown.json()["detail"][0]["msg"]
    draft.refresh_from_db()
    assert draft.title == "Plateforme de covoiturage"


def test_a_submitted_application_or_anothers_draft_cannot_be_written(client, world):
    headers = _token(world.users["applicant"])
    submitted = _patch(client, world.application, {"core": {"title": "x"}}, headers)
    assert (
        submitted.status_code == 403 and "ne peut plus être modifié" in submitted.json()["detail"]
    )
    stranger = _patch(
        client, world.draft, {"core": {"title": "x"}}, _token(world.users["stranger"])
    )
    assert stranger.status_code == 404
    officer = _patch(client, world.draft, {"core": {"title": "x"}}, _token(world.users["officer"]))
    assert officer.status_code == 404  # a draft is its organisation's alone
    read_only = _patch(
        client, world.draft, {"core": {"title": "x"}}, _token(world.users["applicant"], "read")
    )
    assert read_only.status_code == 403
    world.draft.refresh_from_db()
    assert world.draft.title != "x"
