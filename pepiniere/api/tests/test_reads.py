"""The read endpoints as callers see them: each list holds exactly what the page's permission
function lets the caller see (every role of the project's test world), absent and not-yours are
the same 404, lists page, filter and order from a whitelist, money is exact text, and each list
reads a fixed number of queries whatever the number of rows."""

import datetime
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pepiniere.agreements.models import Agreement, AgreementVersion
from pepiniere.agreements.permissions import can_see_agreement
from pepiniere.api.models import ApiToken
from pepiniere.applications.models import Application, Status
from pepiniere.applications.permissions import can_view_application
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import can_view_call
from pepiniere.grants.models import Award, AwardShare
from pepiniere.grants.permissions import can_read_decision
from pepiniere.lib.testing.factories import make_organisation
from pepiniere.lib.testing.world import build_world
from pepiniere.organisations.models import Organisation
from pepiniere.payments.models import Instalment
from pepiniere.payments.permissions import can_see_payments
from pepiniere.portfolio.models import KpiReport, ReportStatus
from pepiniere.portfolio.permissions import can_see_report
from pepiniere.portfolio.permissions_portfolio import can_view_organisation_page

pytestmark = pytest.mark.django_db

ROLES = (
    "applicant",
    "stranger",
    "officer",
    "other_officer",
    "expert",
    "other_expert",
    "jury",
    "finance",
    "admin",
)


def _headers(user: Any) -> dict[str, str]:
    _token, key = ApiToken.issue(user=user, name="test")
    return {"Authorization": f"Bearer {key}"}


def _all(client: Any, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = client.get(path, {"limit": 200, "offset": offset}, headers=headers).json()
        items += body["items"]
        offset += 200
        if offset >= body["count"]:
            return items


def _fresh(user: Any) -> Any:
    """A new user object, as each request has (permission caches live on the object)."""
    return type(user).objects.get(pk=user.pk)


# Each list, the key that identifies an item, every object of its model, and the page's check.
LISTS = {
    "/api/v1/calls": ("slug", lambda: Call.objects.all(), lambda u, o: can_view_call(u, o), "slug"),
    "/api/v1/applications": (
        "id",
        lambda: Application.objects.all(),
        lambda u, o: can_view_application(u, o),
        "pk",
    ),
    "/api/v1/awards": (
        "id",
        lambda: Award.objects.select_related("application"),
        lambda u, o: can_read_decision(u, o.application),
        "pk",
    ),
    "/api/v1/agreements": (
        "id",
        lambda: Agreement.objects.all(),
        lambda u, o: can_see_agreement(u, o),
        "pk",
    ),
    "/api/v1/instalments": (
        "id",
        lambda: Instalment.objects.select_related("award__application"),
        lambda u, o: can_see_payments(
            u, organisation_id=o.award.application.organisation_id, call=o.award.application.call
        ),
        "pk",
    ),
    "/api/v1/organisations": (
        "id",
        lambda: Organisation.objects.all(),
        lambda u, o: can_view_organisation_page(u, o),
        "pk",
    ),
    "/api/v1/kpi-reports": (
        "id",
        lambda: KpiReport.objects.all(),
        lambda u, o: can_see_report(u, o),
        "pk",
    ),
}


def test_every_list_holds_what_the_page_lets_each_role_see_and_details_agree(client):
    world = build_world()
    # The world's agreement was signed without being sent: send it, so its beneficiary sees it.
    AgreementVersion.objects.update(sent_at=timezone.now(), sha256="a" * 64)
    seen_any = set()
    for role in ROLES:
        user = world.users[role]
        headers = _headers(user)
        for path, (key, objects, allowed, attribute) in LISTS.items():
            listed = {item[key] for item in _all(client, path, headers)}
            expected = {getattr(o, attribute) for o in objects() if allowed(_fresh(user), o)}
            assert listed == expected, (role, path)
            if listed:
                seen_any.add((role, path))
            # The detail of each object: 200 for what is listed, 404 for everything else.
            for o in objects():
                ident = getattr(o, attribute)
                status = client.get(f"{path}/{ident}", headers=headers).status_code
                assert status == (200 if ident in expected else 404), (role, path, ident)
    # The world is rich enough for the comparison to mean something.
    for path in LISTS:
        assert ("applicant", path) in seen_any and ("officer", path) in seen_any, path
    assert ("stranger", "/api/v1/awards") not in seen_any


def test_absent_and_not_yours_are_the_same_404(client):
    world = build_world()
    headers = _headers(world.users["stranger"])
    award = world.application.award
    mine = client.get(f"/api/v1/awards/{award.pk}", headers=headers)
    absent = client.get("/api/v1/awards/999999", headers=headers)
    assert mine.status_code == absent.status_code == 404
    assert mine.json() == absent.json() == {"detail": "Introuvable."}


def test_money_is_exact_text_dates_iso_and_times_aware(client):
    world = build_world()
    award = world.application.award
    body = client.get(f"/api/v1/awards/{award.pk}", headers=_headers(world.users["officer"])).json()
    assert body["amount"] == "40000.00"
    assert body["shares"] == [{"funder": world.call.funder.name, "amount": "40000.00"}]
    assert datetime.date.fromisoformat(body["decision_date"]) == award.decision_date
    moment = datetime.datetime.fromisoformat(body["awarded_at"])
    # Aware, to the millisecond (Django's JSON encoder, as ECMAScript dates).
    assert moment.tzinfo is not None
    assert abs(moment - award.awarded_at) < datetime.timedelta(milliseconds=1)
    agreement = client.get(
        f"/api/v1/agreements/{world.objects['agreement'].pk}",
        headers=_headers(world.users["finance"]),
    ).json()
    assert agreement["versions"][0]["eligible_budget"] == "57142.86"
    assert agreement["versions"][0]["aid_rate"] == "70.00"


def test_the_beneficiary_sees_an_agreement_once_sent_and_only_its_sent_versions(client):
    world = build_world()
    agreement = world.objects["agreement"]
    headers = _headers(world.users["applicant"])
    assert client.get(f"/api/v1/agreements/{agreement.pk}", headers=headers).status_code == 404
    AgreementVersion.objects.filter(agreement=agreement).update(
        sent_at=timezone.now(), sha256="a" * 64
    )
    AgreementVersion.objects.create(
        agreement=agreement,
        number=2,
        amount=Decimal("30000"),
        aid_rate=Decimal("50"),
        eligible_budget=Decimal("60000"),
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 1, 1),
        created_by=world.users["officer"],
        created_at=timezone.now(),
    )
    body = client.get(f"/api/v1/agreements/{agreement.pk}", headers=headers).json()
    assert [v["number"] for v in body["versions"]] == [1]
    staff = client.get(
        f"/api/v1/agreements/{agreement.pk}", headers=_headers(world.users["officer"])
    ).json()
    assert [v["number"] for v in staff["versions"]] == [1, 2]


def test_lists_page_with_the_total_and_a_limit(client):
    world = build_world()
    officer = world.users["officer"]
    headers = _headers(officer)
    everything = client.get("/api/v1/applications", headers=headers).json()
    assert everything["count"] == len(everything["items"]) >= 2
    first = client.get("/api/v1/applications", {"limit": 1}, headers=headers).json()
    second = client.get("/api/v1/applications", {"limit": 1, "offset": 1}, headers=headers).json()
    assert first["count"] == everything["count"] and len(first["items"]) == 1
    assert first["items"][0]["id"] != second["items"][0]["id"]
    beyond = client.get("/api/v1/applications", {"offset": 10_000}, headers=headers).json()
    assert beyond["items"] == [] and beyond["count"] == everything["count"]
    too_many = client.get("/api/v1/applications", {"limit": 201}, headers=headers)
    assert too_many.status_code == 422
    [error] = too_many.json()["detail"]  # in French, as every answer of the platform
    assert error["loc"] == ["query", "limit"] and error["msg"] == "La valeur doit être au plus 200."
    not_a_number = client.get("/api/v1/applications", {"offset": "dix"}, headers=headers)
    assert not_a_number.json()["detail"][0]["msg"] == "Un nombre entier est attendu."


@pytest.mark.parametrize(
    "ordering", ["-updated_at", "requested_amount", "-requested_amount", "-submitted_at"]
)
def test_every_page_holds_the_rows_of_the_whole_list_in_order_read_from_either_end(
    client, ordering
):
    """A page past the middle is read backwards from the last row: stitched together, the pages
    of any size give the whole list in its order, NULL amounts and ties included."""
    world = build_world()
    headers = _headers(world.users["officer"])
    _grow(world, 5)  # equal amounts and submission times: ties the primary key breaks
    Application.objects.filter(pk=world.application.pk).update(requested_amount=None)
    path = "/api/v1/applications"
    whole = client.get(path, {"ordering": ordering, "limit": 200}, headers=headers).json()
    ids = [row["id"] for row in whole["items"]]
    assert len(ids) == whole["count"] >= 7
    for limit in (1, 2, 3):
        stitched = []
        for offset in range(0, len(ids) + limit, limit):
            body = client.get(
                path, {"ordering": ordering, "limit": limit, "offset": offset}, headers=headers
            ).json()
            assert body["count"] == len(ids) and body["offset"] == offset
            stitched += [row["id"] for row in body["items"]]
        assert stitched == ids, (ordering, limit)


def test_filters_and_ordering_from_a_whitelist(client):
    world = build_world()
    headers = _headers(world.users["officer"])
    rows = client.get(
        "/api/v1/applications", {"ordering": "-requested_amount"}, headers=headers
    ).json()["items"]
    amounts = [Decimal(r["requested_amount"]) for r in rows if r["requested_amount"]]
    assert amounts == sorted(amounts, reverse=True) and len(amounts) >= 2
    awarded = client.get("/api/v1/applications", {"status": "awarded"}, headers=headers).json()[
        "items"
    ]
    assert [r["id"] for r in awarded] == [world.application.pk]
    by_call = client.get("/api/v1/awards", {"call": world.call.slug}, headers=headers).json()
    assert by_call["count"] == 1
    other_year = client.get(
        "/api/v1/awards", {"year": world.application.award.decision_date.year - 1}, headers=headers
    ).json()
    assert other_year["count"] == 0
    bad = client.get("/api/v1/awards", {"ordering": "organisation__name"}, headers=headers)
    assert bad.status_code == 422
    [error] = bad.json()["detail"]
    assert error["loc"] == ["query", "ordering"] and "'-decision_date'" in error["msg"]
    assert error["msg"].startswith("Valeur inconnue : ") and " or " not in error["msg"]
    bad_status = client.get("/api/v1/instalments", {"status": "perdu"}, headers=headers)
    assert bad_status.status_code == 422 and "'paid'" in bad_status.json()["detail"][0]["msg"]


def test_public_lists_need_no_token_but_a_bad_token_is_refused(client):
    world = build_world()
    programmes = client.get("/api/v1/programmes").json()
    assert world.call.programme.slug in [p["slug"] for p in programmes["items"]]
    calls = client.get("/api/v1/calls").json()["items"]
    assert all(c["is_published"] for c in calls)
    bad = client.get("/api/v1/programmes", headers={"Authorization": "Bearer pep_faux"})
    assert bad.status_code == 401


def test_indicators_are_the_figures_of_the_command_for_the_funders_staff(client):
    world = build_world()
    KpiReport.objects.filter(pk=world.objects["kpi_baseline"].pk).update(
        status=ReportStatus.VALIDATED, validated_at=timezone.now(), fte=Decimal("3")
    )
    year = timezone.localdate().year
    KpiReport.objects.filter(
        organisation_id=world.application.organisation_id, period_year=year, is_baseline=False
    ).update(status=ReportStatus.VALIDATED, validated_at=timezone.now(), fte=Decimal("7.5"))
    out = StringIO()
    call_command("indicators", "--year", str(year), stdout=out, stderr=StringIO())
    expected = json.loads(out.getvalue())
    for row in expected:
        row["value"] = None if row["value"] is None else str(Decimal(row["value"]))
    body = client.get(
        "/api/v1/indicators", {"year": year}, headers=_headers(world.users["admin"])
    ).json()
    got = [
        {**row, "value": None if row["value"] is None else str(Decimal(row["value"]))}
        for row in body["rows"]
    ]
    assert got == expected
    created = next(
        r for r in body["rows"] if r["indicator"] == "RCR01" and r["breakdown"] == "created"
    )
    assert Decimal(created["value"]) == Decimal("4.5")
    officer = client.get(
        "/api/v1/indicators",
        {"year": year, "call": world.call.slug},
        headers=_headers(world.users["officer"]),
    ).json()
    assert officer["call"] == world.call.slug
    other = _headers(world.users["other_officer"])
    assert (
        client.get("/api/v1/indicators", {"call": world.call.slug}, headers=other).status_code
        == 404
    )
    refused = client.get("/api/v1/indicators", headers=_headers(world.users["applicant"]))
    assert refused.status_code == 403 and "réservés" in refused.json()["detail"]


def _grow(world: Any, n: int) -> None:
    """n more awarded applications of n more organisations of the applicant, on the world's
    call, each with a sent agreement, two instalments and a KPI report."""
    applicant, officer = world.users["applicant"], world.users["officer"]
    template = world.objects["agreement_version"]
    now = timezone.now()
    for i in range(n):
        organisation = make_organisation(member=applicant)
        application = Application.objects.create(
            call=world.call,
            organisation=organisation,
            created_by=applicant,
            status=Status.AWARDED,
            reference=f"API-GROW-{i}",
            title=f"Projet {i}",
            requested_amount=Decimal("1000.50"),
            submitted_at=now,
        )
        award = Award.objects.create(
            application=application,
            amount=Decimal("1000.50"),
            decision_reference=f"CP-{i}",
            decision_date=timezone.localdate(),
            awarded_by=officer,
            awarded_at=now,
        )
        AwardShare.objects.create(award=award, funder=world.call.funder, amount=award.amount)
        agreement = Agreement.objects.create(
            award=award,
            reference=f"CONV-GROW-{i}",
            status="signed",
            created_by=officer,
            created_at=now,
        )
        version = AgreementVersion.objects.create(
            agreement=agreement,
            number=1,
            amount=award.amount,
            aid_rate=template.aid_rate,
            eligible_budget=template.eligible_budget,
            start_date=template.start_date,
            end_date=template.end_date,
            created_by=officer,
            created_at=now,
            sent_at=now,
            sha256="b" * 64,
            signed_at=now,
        )
        for position in (1, 2):
            Instalment.objects.create(
                award=award,
                version=version,
                position=position,
                label=f"Tranche {position}",
                percent=Decimal("50"),
                trigger="signature",
                planned_amount=Decimal("500.25"),
                amount=Decimal("500.25"),
            )
        KpiReport.objects.create(
            organisation=organisation,
            period_year=2025,
            status=ReportStatus.DUE,
            created_at=now,
            updated_at=now,
        )


PATHS = [
    "/api/v1/programmes",
    "/api/v1/calls",
    "/api/v1/applications",
    "/api/v1/awards",
    "/api/v1/agreements",
    "/api/v1/instalments",
    "/api/v1/organisations",
    "/api/v1/kpi-reports",
]


# Per list: the token, the account's roles and memberships, the count, the page's ids, its rows
# and their prefetches.
# The applicant: its memberships are read once (a literal list of ids); an officer: also the
# ids of the calls of its funder, so that each list filters on one indexed branch.
PINNED = {
    "applicant": {
        "/api/v1/programmes": 5,
        "/api/v1/calls": 6,
        "/api/v1/applications": 8,
        "/api/v1/awards": 10,
        "/api/v1/agreements": 12,
        "/api/v1/instalments": 8,
        "/api/v1/organisations": 8,
        "/api/v1/kpi-reports": 9,
    },
    "officer": {
        "/api/v1/programmes": 5,
        "/api/v1/calls": 7,
        "/api/v1/applications": 9,
        "/api/v1/awards": 11,
        "/api/v1/agreements": 13,
        "/api/v1/instalments": 9,
        "/api/v1/organisations": 8,
        "/api/v1/kpi-reports": 9,
    },
}


def _queries(client: Any, headers: dict[str, str]) -> dict[str, tuple[int, int]]:
    counts = {}
    for path in PATHS:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(path, {"limit": 200}, headers=headers).json()
        counts[path] = (len(captured), len(body["items"]))
    return counts


@pytest.mark.parametrize("role", ["applicant", "officer"])
def test_each_list_reads_the_same_queries_for_one_row_as_for_many(client, role):
    world = build_world()
    AgreementVersion.objects.update(sent_at=timezone.now(), sha256="a" * 64)
    headers = _headers(world.users[role])
    client.get("/api/v1/calls", headers=headers)  # content types and the like, cached once
    before = _queries(client, headers)
    _grow(world, 12)
    after = _queries(client, headers)
    for path in PATHS:
        assert after[path][0] == before[path][0], (path, before[path], after[path])
    grown = [p for p in PATHS if after[p][1] >= before[p][1] + 12]
    assert len(grown) >= 6, (before, after)
    assert all(rows >= 1 for _n, rows in before.values()), before  # one row against many
    assert {p: n for p, (n, _rows) in after.items()} == PINNED[role]


def test_the_experts_list_reads_the_same_queries_for_one_assignment_as_for_many(client):
    from pepiniere.reviews.models import Assignment
    from pepiniere.reviews.tests.factories import reviewed_call

    counts = []
    for n in (1, 6):
        _call, _officer, _applications, (reviewer,) = reviewed_call(
            n_applications=n, n_reviewers=1, k=1
        )
        headers = _headers(reviewer)
        client.get("/api/v1/calls", headers=headers)
        with CaptureQueriesContext(connection) as captured:
            body = client.get("/api/v1/reviews/assignments", headers=headers).json()
        assert body["count"] == Assignment.objects.filter(reviewer=reviewer).count() == n
        counts.append(len(captured))
    assert counts == [4, 4]
