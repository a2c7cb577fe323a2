"""Hand-written factories for the accelerator's tests."""

from __future__ import annotations

import datetime
from typing import Any

from pepiniere.accelerator import services
from pepiniere.accelerator.models import AcceleratorProgramme, Mentor
from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Sector
from pepiniere.lib.testing.factories import make_call, make_organisation, make_user


def make_sector(code: str, label: str) -> Sector:
    sector, _created = Sector.objects.get_or_create(
        code=code, defaults={"label_fr": label, "label_en": label}
    )
    return sector


def make_accelerator(**figures: Any) -> tuple[AcceleratorProgramme, Any]:
    """A programme of six a year, four at a time, six months; and an officer of its funder."""
    call = make_call(title="Accélérateur open source — candidatures")
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    partner = make_organisation(name="Cluster Numérique Fictif", kind="association")
    programme = AcceleratorProgramme.objects.create(
        funder=call.funder, partner=partner, call=call, name="Accélérateur open source", **figures
    )
    return programme, officer


def make_selected(
    programme: AcceleratorProgramme,
    name: str = "",
    *,
    title: str = "Logiciel libre",
    summary: str = "",
    member: Any = None,
    status: str = Status.SELECTED,
) -> Application:
    """An application the jury selected in the programme's intake call."""
    member = member or make_user()
    organisation = make_organisation(member=member, **({"name": name} if name else {}))
    return Application.objects.create(
        call=programme.call,
        organisation=organisation,
        created_by=member,
        status=status,
        title=title,
        summary=summary,
    )


def start(
    programme: AcceleratorProgramme, officer: Any, *days: datetime.date, year: int | None = None
) -> list[Any]:
    """Stays starting on each day (one new selected start-up each), in the cohort of the year."""
    stays = []
    for day in days:
        application = make_selected(programme)
        cohort = services.form_cohort(
            programme=programme, year=year or day.year, starts=[(application, day)], actor=officer
        )
        stays.append(cohort.stays.get(application=application))
    return stays


def make_mentor(programme: AcceleratorProgramme, officer: Any, **extra: Any) -> Mentor:
    user = extra.pop("user", None) or make_user(full_name=extra.pop("full_name", "Mentor"))
    return services.add_mentor(programme=programme, user=user, actor=officer, **extra)
