"""De minimis aid (Regulation (EU) 2023/2831): at most 300 000 € per single undertaking over any
rolling period of three years, counted at the date the right to the aid is granted.

The window, exactly: an award dated A counts every aid granted on a day D with
``A - 3 years < D <= A``, i.e. from ``A - 3 years + 1 day`` to A inclusive ("three years" is the
same calendar day three years before; 29 February falls back to 28 February). Put the other way:
aid granted on day D counts for awards dated up to ``D + 3 years - 1 day`` and no longer from
``D + 3 years``. A total exactly at the ceiling is allowed; one cent above is refused.

Because awards may be dated in the past (the date of the deliberation), the check also looks at
every later window that would contain the new award (those ending on a recorded aid granted
after A, up to ``A + 3 years - 1 day``), so no three-year period ever goes over the ceiling.

The single undertaking is the organisation plus the undertakings linked to it (art. 2(2)),
followed transitively across organisations registered on the platform. A declaration is
one-sided and speaks for the declarant only: a link to an organisation on the platform joins the
two ledgers (both ways) only once it is confirmed by that organisation or by an officer; until
then neither side's aid counts for, or is shown to, the other. Aid to a linked undertaking that is
not on the platform is declared on the declarant's own ledger with the beneficiary's name, and so
counts against the declarant only.

Declared aid (typed by the applicant) and verified aid (awarded here, imported from a register, or
on the ledger of a confirmed linked undertaking) are counted together but shown apart to officers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from pepiniere.grants.models import AidRecord, AidSource, LinkedUndertaking, LinkStatus
from pepiniere.lib.dates import long_date
from pepiniere.lib.money import format_eur
from pepiniere.organisations.models import Organisation

CEILING = Decimal("300000")


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the day after 28 February
        return datetime.date(day.year + years, 3, 1)


def window_start(on: datetime.date) -> datetime.date:
    """First day of the three-year window that ends (inclusive) on `on`."""
    return _years_before(on, 3) + datetime.timedelta(days=1)


def counts_until(granted_on: datetime.date) -> datetime.date:
    """Last award date for which aid granted on `granted_on` still counts."""
    return _years_after(granted_on, 3) - datetime.timedelta(days=1)


def single_undertaking(organisation: Organisation | int) -> list[int]:
    """Ids of the organisations that form one single undertaking with this one (itself first):
    only confirmed links are followed, in both directions."""
    start = organisation if isinstance(organisation, int) else organisation.pk
    seen = [start]
    frontier = {start}
    while frontier:
        links = LinkedUndertaking.objects.filter(
            Q(organisation_id__in=frontier) | Q(linked_organisation_id__in=frontier),
            linked_organisation__isnull=False,
            status=LinkStatus.CONFIRMED,
        ).values_list("organisation_id", "linked_organisation_id")
        found = {pk for pair in links for pk in pair} - set(seen)
        seen.extend(sorted(found))
        frontier = found
    return seen


@dataclass
class CeilingCheck:
    """The figures of one check: the worst three-year window containing the new aid."""

    amount: Decimal
    window_from: datetime.date
    window_to: datetime.date
    received: Decimal
    ceiling: Decimal = CEILING
    records: list[AidRecord] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.received + self.amount

    @property
    def excess(self) -> Decimal:
        return max(self.total - self.ceiling, Decimal("0"))

    @property
    def room(self) -> Decimal:
        return max(self.ceiling - self.received, Decimal("0"))

    @property
    def allowed(self) -> bool:
        return self.total <= self.ceiling


def records_of(organisation_ids: list[int]) -> list[AidRecord]:
    return list(
        AidRecord.objects.filter(organisation_id__in=organisation_ids)
        .select_related("organisation")
        .order_by("granted_on", "id")
    )


def check_ceiling(
    organisation: Organisation | int,
    amount: Decimal,
    on: datetime.date,
    *,
    records: list[AidRecord] | None = None,
) -> CeilingCheck:
    """Whether an aid of `amount` granted on `on` keeps the single undertaking within the ceiling."""
    if records is None:
        records = records_of(single_undertaking(organisation))
    last_end = counts_until(on)
    ends = [on] + sorted({r.granted_on for r in records if on < r.granted_on <= last_end})
    worst: CeilingCheck | None = None
    for end in ends:
        start = window_start(end)
        inside = [r for r in records if start <= r.granted_on <= end]
        check = CeilingCheck(
            amount=amount,
            window_from=start,
            window_to=end,
            received=sum((r.amount for r in inside), Decimal("0")),
            records=inside,
        )
        if worst is None or check.total > worst.total:
            worst = check
    assert worst is not None
    return worst


def refusal_message(check: CeilingCheck, name: str) -> str:
    return _(
        "Plafond de minimis dépassé pour l'entreprise unique « %(name)s » : aides déjà reçues du "
        "%(start)s au %(end)s : %(received)s ; cette aide : %(amount)s ; plafond : %(ceiling)s ; "
        "dépassement : %(excess)s."
    ) % {
        "name": name,
        "start": long_date(check.window_from),
        "end": long_date(check.window_to),
        "received": format_eur(check.received),
        "amount": format_eur(check.amount),
        "ceiling": format_eur(check.ceiling),
        "excess": format_eur(check.excess),
    }


def lock_undertaking(organisation: Organisation) -> list[int]:
    """Lock the single undertaking's organisation rows (primary-key order), so that two awards to
    the same undertaking at the same moment are checked one after the other."""
    ids = single_undertaking(organisation)
    list(
        Organisation.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk")
    )
    return ids


def ledger(organisation: Organisation, on: datetime.date, *, for_officer: bool) -> dict[str, Any]:
    """What the award page (`for_officer`) and the applicant's page show, as of `on`.

    The applicant sees its own records only, never another organisation's: its ledger is what it
    and the funders recorded for it. Officers see the whole single undertaking (confirmed links),
    with declared and verified aid apart, and the totals the award check uses."""
    ids = single_undertaking(organisation) if for_officer else [organisation.pk]
    records = records_of(ids)
    start = window_start(on)
    rows = []
    declared = verified = linked = Decimal("0")
    for r in records:
        counted = start <= r.granted_on <= on
        own = r.organisation_id == organisation.pk
        rows.append((r, counted, counts_until(r.granted_on), own))
        if not counted:
            continue
        if not own:
            linked += r.amount
        elif r.source == AidSource.DECLARED:
            declared += r.amount
        else:
            verified += r.amount
    received = declared + verified + linked
    return {
        "organisations": ids,
        "for_officer": for_officer,
        "records": rows,
        "window_from": start,
        "window_to": on,
        "declared": declared,
        "verified": verified,
        "linked": linked,
        "received": received,
        "ceiling": CEILING,
        "room": max(CEILING - received, Decimal("0")),
    }
