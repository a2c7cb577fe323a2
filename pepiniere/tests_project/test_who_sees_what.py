"""The README's « Who sees what » table is what the code does (issue 10, item 11).

The table is read from the README. For each role (a column) the test opens every page and API
answer where the data could show (the applicant's file, the back-office, the expert's review, the
ranking, the jury, the awards, the API) and checks that the bank details, the internal notes and
the de minimis ledger appear exactly for the roles whose cell says « yes », and that the export
answers exactly those roles."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.applications import services, staff_services
from pepiniere.calls.models import FieldKind, FormField
from pepiniere.grants.models import AidRecord, AidSource
from pepiniere.lib.testing.factories import (
    complete_answers,
    make_call,
    make_draft,
    make_organisation,
    make_user,
)
from pepiniere.reviews import services as review_services
from pepiniere.reviews.models import Assignment
from pepiniere.reviews.tests.factories import make_reviewer

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"
NOTE = "Note réservée aux chargés de mission 7f3a"
ROWS = {"bank details", "internal notes", "exports", "de minimis ledger"}


def _table() -> dict[str, dict[str, bool]]:
    text = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = text.split("### Who sees what", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    columns = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    table: dict[str, dict[str, bool]] = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == len(columns) + 1, line
        values = {}
        for column, cell in zip(columns, cells[1:], strict=True):
            assert re.match(r"^(yes|no)\b", cell), f"{cells[0]} × {column}: « {cell} »"
            values[column] = cell.startswith("yes")
        table[cells[0]] = values
    return table


@pytest.fixture
def world() -> dict[str, Any]:
    call = make_call(reviews_per_application=1, reviewer_max_load=10, blind_review=False)
    FormField.objects.create(call=call, key="rib", label="IBAN", kind=FieldKind.IBAN, position=3)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    applicant = make_user()
    organisation = make_organisation(member=applicant)
    AidRecord.objects.create(
        organisation=organisation,
        source=AidSource.DECLARED,
        funder_name="Bpifrance 9c1e",
        amount=Decimal("12000"),
        granted_on=call.opens_at.date(),
        recorded_at=call.opens_at,
    )
    application = make_draft(call=call, applicant=applicant, organisation=organisation)
    answers = complete_answers()
    answers["rib"] = IBAN
    services.save_draft(application=application, actor=applicant, answers=answers)
    services.submit_application(application=application, actor=applicant)
    services.mark_eligible(application=application, actor=officer)
    application.refresh_from_db()
    staff_services.add_internal_note(application=application, actor=officer, text=NOTE)
    expert = make_reviewer(call)
    run = review_services.propose_assignment(call=call, actor=officer)
    review_services.confirm_assignment(run=run, actor=officer)
    users = {
        "applicant (own)": applicant,
        "expert (assigned, not blind)": expert,
        "expert (assigned, blind)": expert,
        "jury": make_user(role=Role.JURY, funder=call.funder),
        "officer (own funder)": officer,
        "finance": make_user(role=Role.FINANCE, funder=call.funder),
        "admin": make_user(role=Role.ADMIN, is_staff=True, is_superuser=True),
    }
    return {
        "call": call,
        "application": application,
        "assignment": Assignment.objects.get(application=application),
        "users": users,
    }


def _pages(world: dict[str, Any]) -> list[str]:
    call, application = world["call"], world["application"]
    pk = application.pk
    return [
        reverse("applications:detail", args=[pk]),
        reverse("applications:version", args=[pk, 1]),
        reverse("applications:receipt", args=[pk]),
        reverse("backoffice:list") + f"?call={call.slug}",
        reverse("backoffice:detail", args=[pk]),
        reverse("reviews:review", args=[world["assignment"].pk]),
        reverse("reviews:ranking", args=[call.slug]),
        reverse("selection:jury", args=[call.slug]),
        reverse("grants:call", args=[call.slug]),
        reverse("grants:award", args=[call.slug, pk]),
        reverse("aid:minimis", args=[application.organisation_id]),
        reverse("api:get_application", kwargs={"application_id": pk}),
        reverse("api:list_applications"),
        reverse("api:get_assignment", kwargs={"assignment_id": world["assignment"].pk}),
    ]


def _what_one_sees(client: Client, world: dict[str, Any]) -> dict[str, bool]:
    seen = ""
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200:
            seen += response.content.decode()
    export = client.get(reverse("backoffice:export") + f"?call={world['call'].slug}&format=csv")
    assert export.status_code < 500
    flat = re.sub(r"\s", "", seen)
    return {
        "bank details": IBAN in flat,
        "internal notes": NOTE in seen,
        "de minimis ledger": "Bpifrance 9c1e" in seen,
        "exports": export.status_code == 200
        and export["Content-Type"].startswith("text/csv")
        and IBAN in export.content.decode("utf-8-sig"),
    }


def test_the_readme_table_has_every_row_and_a_yes_or_no_in_each_cell():
    table = _table()
    assert list(table) == [
        "identity",
        "contact",
        "answers",
        "attachments",
        "bank details",
        "reviews with reviewer names",
        "internal notes",
        "scores/ranking",
        "de minimis ledger",
        "exports",
    ]


@pytest.mark.parametrize(
    "role",
    [
        "applicant (own)",
        "expert (assigned, not blind)",
        "expert (assigned, blind)",
        "jury",
        "officer (own funder)",
        "finance",
        "admin",
    ],
)
def test_each_role_sees_the_bank_details_notes_ledger_and_exports_the_readme_says(world, role):
    if role == "expert (assigned, blind)":
        world["call"].blind_review = True
        world["call"].save()
    client = Client()
    client.force_login(world["users"][role])
    seen = _what_one_sees(client, world)
    expected = {row: _table()[row][role] for row in ROWS}
    assert seen == expected
