"""The finance department's reads: every money movement of a funder's grants with its audit row,
and the multi-year view built from them (commitments and payments per year, per call and year).

A movement is one change of what a funder owes or paid on one grant, in the funder's part:

- commitment (engagement): the award, dated by its decision date;
- amendment (avenant): a signed amendment that changes the amount (its difference);
- release (dégagement): what will no longer be paid (termination, reduced final payment);
- payment (versement): a payment order confirmed paid, dated by the paid date;
- recovery (reversement): an amount the beneficiary must pay back, dated when it is raised.

Committed in a year = commitments + amendments − releases dated in that year; the ledger's
committed is the sum over the years. Each movement source reads a bounded number of queries
whatever the number of grants."""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pepiniere.agreements.models import AgreementVersion
from pepiniere.applications.models import Application
from pepiniere.audit.models import AuditEntry
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award, AwardShare

ZERO = Decimal("0")


class MovementKind(models.TextChoices):
    COMMITMENT = "commitment", _("Engagement (attribution)")
    AMENDMENT = "amendment", _("Avenant")
    RELEASE = "release", _("Dégagement")
    PAYMENT = "payment", _("Versement")
    RECOVERY = "recovery", _("Reversement")


# What a movement does to the funder's commitment (+1 adds, −1 takes away, 0 none).
COMMITMENT_SIGN = {
    MovementKind.COMMITMENT: 1,
    MovementKind.AMENDMENT: 1,
    MovementKind.RELEASE: -1,
    MovementKind.PAYMENT: 0,
    MovementKind.RECOVERY: 0,
}


@dataclass
class Movement:
    kind: MovementKind
    date: datetime.date
    amount: Decimal  # the funder's part; an amendment that lowers the amount is negative
    call: Call
    application: Application
    label: str  # what it is: « Décision CP-2015-12 », « Tranche 1 sur 3 »…
    audit: AuditEntry | None = None
    detail_url: str = ""  # the page of the payments or agreements helper about it, if any

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def kind_label(self) -> str:
        return str(self.kind.label)


def _audit_entries(
    model: type[models.Model], ids: Iterable[int], actions: set[str]
) -> list[AuditEntry]:
    """The audit rows of the objects ``ids`` with one of ``actions``, oldest first (one query;
    none when there are no objects)."""
    ids = list(ids)
    if not ids:
        return []
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=ids,
            action__in=actions,
        )
        .select_related("actor")
        .order_by("at", "pk")
    )


def _audit_rows(model: type[models.Model], ids: Iterable[int], actions: set[str]) -> dict[int, Any]:
    """The latest audit row of each object among ``ids`` with one of ``actions`` (one query)."""
    return {entry.object_id: entry for entry in _audit_entries(model, ids, actions)}


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _amendments(awards: dict[int, Award], parts: dict[int, Decimal]) -> dict[int, list[Movement]]:
    """The signed amendments that changed the amount of these awards, each as the difference
    with the version before it, in the funder's part (its share of the award, pro rata: exact
    for a funder alone, to the cent for co-funders), dated by the full signature."""
    versions: dict[int, list[AgreementVersion]] = defaultdict(list)
    for version in (
        AgreementVersion.objects.filter(agreement__award__in=list(awards), signed_at__isnull=False)
        .select_related("agreement")
        .order_by("agreement__award_id", "number")
    ):
        versions[version.agreement.award_id].append(version)
    changed = [award_id for award_id, found in versions.items() if len(found) > 1]
    audit: dict[int, list[AuditEntry]] = defaultdict(list)
    for entry in _audit_entries(
        Application, (awards[a].application_id for a in changed), {"amend_award"}
    ):
        audit[entry.object_id].append(entry)
    out: dict[int, list[Movement]] = defaultdict(list)
    for award_id in changed:
        award = awards[award_id]
        entries = iter(audit[award.application_id])
        ratio = parts[award_id] / award.amount
        for before, after in itertools.pairwise(versions[award_id]):
            difference = after.amount - before.amount
            if not difference:
                continue  # dates or schedule only: nothing moves
            assert after.signed_at is not None
            out[award_id].append(
                Movement(
                    kind=MovementKind.AMENDMENT,
                    date=timezone.localdate(after.signed_at),
                    amount=_cents(difference * ratio),
                    call=award.application.call,
                    application=award.application,
                    label=str(
                        _("%(version)s de la convention %(ref)s")
                        % {"version": after.label, "ref": after.agreement.reference}
                    ),
                    audit=next(entries, None),
                )
            )
    return out


def _commitments(funder_ids: set[int]) -> list[Movement]:
    shares = list(
        AwardShare.objects.filter(funder_id__in=funder_ids).select_related(
            "award",
            "award__application",
            "award__application__organisation",
            "award__application__call__funder",
        )
    )
    parts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    awards = {}
    for share in shares:
        parts[share.award_id] += share.amount
        awards[share.award_id] = share.award
    audit = _audit_rows(Application, (a.application_id for a in awards.values()), {"award"})
    amendments = _amendments(awards, parts)
    found = []
    for award in awards.values():
        changes = amendments.get(award.pk, [])
        found += changes
        found.append(
            Movement(
                kind=MovementKind.COMMITMENT,
                # The share now less what the amendments changed: the award as decided.
                date=award.decision_date,
                amount=parts[award.pk] - sum((m.amount for m in changes), ZERO),
                call=award.application.call,
                application=award.application,
                label=str(_("Décision %(ref)s") % {"ref": award.decision_reference}),
                audit=audit.get(award.application_id),
            )
        )
    return found


def movements(funder_ids: set[int]) -> list[Movement]:
    """Every money movement of these funders' grants, latest first."""
    found = _commitments(funder_ids)
    found.sort(key=lambda m: (m.date, m.application.pk, m.kind), reverse=True)
    return found


@dataclass
class YearRow:
    year: int
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    recovered: Decimal = ZERO
    cumulative_committed: Decimal = ZERO
    cumulative_paid: Decimal = ZERO

    @property
    def label(self) -> str:
        return str(self.year)


@dataclass
class CallYears:
    """One call's commitments and payments per year (the years of the whole view)."""

    call: Call
    committed: dict[int, Decimal] = field(default_factory=dict)
    paid: dict[int, Decimal] = field(default_factory=dict)

    def committed_in(self, year: int) -> Decimal:
        return self.committed.get(year, ZERO)

    def paid_in(self, year: int) -> Decimal:
        return self.paid.get(year, ZERO)

    @property
    def committed_total(self) -> Decimal:
        return sum(self.committed.values(), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum(self.paid.values(), ZERO)


@dataclass
class MultiYear:
    years: list[YearRow]
    calls: list[CallYears]

    @property
    def year_numbers(self) -> list[int]:
        return [row.year for row in self.years]


def multi_year(found: list[Movement]) -> MultiYear:
    """Commitments and payments per year (oldest first, with running totals) and per call."""
    years: dict[int, YearRow] = {}
    calls: dict[int, CallYears] = {}
    for movement in found:
        row = years.setdefault(movement.year, YearRow(movement.year))
        per_call = calls.setdefault(movement.call.pk, CallYears(movement.call))
        sign = COMMITMENT_SIGN[movement.kind]
        if sign:
            row.committed += sign * movement.amount
            per_call.committed[movement.year] = (
                per_call.committed_in(movement.year) + sign * movement.amount
            )
        elif movement.kind == MovementKind.PAYMENT:
            row.paid += movement.amount
            per_call.paid[movement.year] = per_call.paid_in(movement.year) + movement.amount
        else:
            row.recovered += movement.amount
    ordered = [years[y] for y in sorted(years)]
    committed = paid = ZERO
    for row in ordered:
        committed += row.committed
        paid += row.paid
        row.cumulative_committed, row.cumulative_paid = committed, paid
    call_rows = sorted(calls.values(), key=lambda c: (-c.call.closes_at.timestamp(), c.call.pk))
    return MultiYear(years=ordered, calls=call_rows)
