"""The finance department's reads: every money movement of a funder's grants with its audit row,
and the multi-year view built from them (commitments and payments per year, per call and year).

A movement is one change of what a funder owes or paid on one grant, in the funder's part:

- commitment (engagement): the award, dated by its decision date;
- amendment (avenant): a signed amendment that changes the amount (its difference);
- release (dégagement): what will no longer be paid (termination, reduced final payment);
- payment (versement): a payment order confirmed paid, dated by the paid date;
- recovery (reversement demandé): an amount the beneficiary must pay back, dated when it is
  raised (it moves nothing until the money comes back);
- refund (reversement encaissé): that money received, dated when it is recorded.

Committed in a year = commitments + amendments − releases − refunds dated in that year; paid in
a year = payments − refunds. Summed over the years they are the ledger's committed and paid
(a test holds them together). Each movement source reads a bounded number of queries
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
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pepiniere.agreements.models import AgreementVersion
from pepiniere.applications.models import Application
from pepiniere.audit.models import AuditEntry
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award, AwardShare
from pepiniere.lib.money import to_cents
from pepiniere.payments.arithmetic import funder_parts, split_largest_remainder
from pepiniere.payments.models import (
    GrantAccount,
    Instalment,
    OrderStatus,
    PaymentOrder,
    Recovery,
    RecoveryStatus,
)

ZERO = Decimal("0")


class MovementKind(models.TextChoices):
    COMMITMENT = "commitment", _("Engagement (attribution)")
    AMENDMENT = "amendment", _("Avenant")
    RELEASE = "release", _("Dégagement")
    PAYMENT = "payment", _("Versement")
    RECOVERY = "recovery", _("Reversement demandé")
    REFUND = "refund", _("Reversement encaissé")


# What a movement does to the funder's commitment (+1 adds, −1 takes away, 0 none).
COMMITMENT_SIGN = {
    MovementKind.COMMITMENT: 1,
    MovementKind.AMENDMENT: 1,
    MovementKind.RELEASE: -1,
    MovementKind.PAYMENT: 0,
    MovementKind.RECOVERY: 0,
    MovementKind.REFUND: -1,  # money back: neither paid nor committed any more
}
PAID_SIGN = {MovementKind.PAYMENT: 1, MovementKind.REFUND: -1}


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


@dataclass
class _Grants:
    """The awards these funders have a share of, each with every funder's share (in cents: the
    payments split each movement over them) and these funders' part."""

    awards: dict[int, Award]
    shares_cents: dict[int, dict[int, int]]
    parts: dict[int, Decimal]
    funder_ids: set[int]

    def part_of(self, award_id: int, parts: dict[int, int]) -> Decimal:
        """These funders' part of a movement split by funder (cents) as a Decimal in euros."""
        return Decimal(sum(c for f, c in parts.items() if f in self.funder_ids)) / 100


def _grants(funder_ids: set[int]) -> _Grants:
    shares = list(
        AwardShare.objects.filter(
            award__in=AwardShare.objects.filter(funder_id__in=funder_ids).values("award")
        ).select_related(
            "award",
            "award__application",
            "award__application__organisation",
            "award__application__call__funder",
        )
    )
    grants = _Grants(awards={}, shares_cents=defaultdict(dict), parts={}, funder_ids=funder_ids)
    for share in shares:
        award = grants.awards.setdefault(share.award_id, share.award)
        grants.shares_cents[award.pk][share.funder_id] = to_cents(share.amount)
        if share.funder_id in funder_ids:
            grants.parts[award.pk] = grants.parts.get(award.pk, ZERO) + share.amount
    return grants


def _commitments(grants: _Grants) -> list[Movement]:
    awards, parts = grants.awards, grants.parts
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


def _payments(grants: _Grants) -> list[Movement]:
    """Payment orders confirmed paid, money recovered, recoveries raised and commitments released
    (closure, termination). Each payment and refund counts on the funder's line as the payments
    app counts it (payments.arithmetic.funder_parts, cumulative over the award's net paid, in the
    order they happened), so the funder's part is exact, co-funded awards included."""
    award_ids = list(grants.awards)
    orders = list(
        PaymentOrder.objects.filter(instalment__award__in=award_ids, status=OrderStatus.PAID)
        .select_related("instalment", "run")
        .order_by("paid_at", "pk")
    )
    recoveries = list(Recovery.objects.filter(award__in=award_ids).order_by("raised_at", "pk"))
    released = list(GrantAccount.objects.filter(award__in=award_ids, released__gt=0))
    paid_audit = _audit_rows(Instalment, (o.instalment_id for o in orders), {"record_payment"})
    recovery_audit: dict[tuple[int, str], AuditEntry] = {
        (entry.object_id, entry.action): entry
        for entry in _audit_entries(
            Recovery, (r.pk for r in recoveries), {"raise_recovery", "record_recovered"}
        )
    }
    release_audit = _audit_rows(Award, (a.award_id for a in released), {"release_commitment"})
    found: list[Movement] = []

    def movement(
        kind: MovementKind, award_id: int, when: Any, amount: Decimal, **extra: Any
    ) -> None:
        award = grants.awards[award_id]
        found.append(
            Movement(
                kind=kind,
                date=timezone.localdate(when),
                amount=amount,
                call=award.application.call,
                application=award.application,
                **extra,
            )
        )

    # Payments and refunds, replayed per award in time order to split them as the ledger did.
    events: list[tuple[Any, int, int, Any]] = [
        (o.paid_at, o.instalment.award_id, to_cents(o.amount), o) for o in orders
    ]
    events += [
        (r.settled_at, r.award_id, -to_cents(r.amount), r)
        for r in recoveries
        if r.status == RecoveryStatus.RECOVERED and r.settled_at is not None
    ]
    net: dict[int, int] = defaultdict(int)
    for when, award_id, cents, source in sorted(events, key=lambda e: (e[0], e[3].pk)):
        split = funder_parts(
            shares_cents=grants.shares_cents[award_id],
            paid_before_cents=net[award_id],
            amount_cents=cents,
        )
        net[award_id] += cents
        part = grants.part_of(award_id, split)
        if cents > 0:
            movement(
                MovementKind.PAYMENT,
                award_id,
                when,
                part,
                label=f"{source.instalment.label} — {source.run.reference}",
                audit=paid_audit.get(source.instalment_id),
                detail_url=reverse("payments_staff:run", args=[source.run_id]),
            )
        else:
            movement(
                MovementKind.REFUND,
                award_id,
                when,
                -part,
                label=source.title_reference or str(_("Reversement encaissé")),
                audit=recovery_audit.get((source.pk, "record_recovered")),
                detail_url=reverse("payments_staff:recoveries"),
            )
    for recovery in recoveries:
        shares = grants.shares_cents[recovery.award_id]
        ratio = Decimal(sum(c for f, c in shares.items() if f in grants.funder_ids)) / sum(
            shares.values()
        )
        movement(
            MovementKind.RECOVERY,
            recovery.award_id,
            recovery.raised_at,
            _cents(recovery.amount * ratio),
            label=recovery.get_status_display(),
            audit=recovery_audit.get((recovery.pk, "raise_recovery")),
            detail_url=reverse("payments_staff:recoveries"),
        )
    for account in released:
        # The release gives back each funder's share less its part of the net paid then
        # (ceiling − released), as payments.services does.
        shares = grants.shares_cents[account.award_id]
        funders = sorted(shares)
        kept = split_largest_remainder(
            to_cents(account.ceiling - account.released), [shares[f] for f in funders]
        )
        part = (
            Decimal(
                sum(shares[f] - kept[i] for i, f in enumerate(funders) if f in grants.funder_ids)
            )
            / 100
        )
        entry = release_audit.get(account.award_id)
        movement(
            MovementKind.RELEASE,
            account.award_id,
            entry.at if entry else account.closed_at or timezone.now(),
            part,
            label=str(_("Engagement libéré (solde ou résiliation)")),
            audit=entry,
        )
    return found


def movements(funder_ids: set[int]) -> list[Movement]:
    """Every money movement of these funders' grants, latest first."""
    grants = _grants(funder_ids)
    found = _commitments(grants) + _payments(grants)
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
        year, amount = movement.year, movement.amount
        sign = COMMITMENT_SIGN[movement.kind]
        if sign:
            row.committed += sign * amount
            per_call.committed[year] = per_call.committed_in(year) + sign * amount
        paid_sign = PAID_SIGN.get(movement.kind, 0)
        if paid_sign:
            row.paid += paid_sign * amount
            per_call.paid[year] = per_call.paid_in(year) + paid_sign * amount
        if movement.kind == MovementKind.RECOVERY:
            row.recovered += amount
    ordered = [years[y] for y in sorted(years)]
    committed = paid = ZERO
    for row in ordered:
        committed += row.committed
        paid += row.paid
        row.cumulative_committed, row.cumulative_paid = committed, paid
    call_rows = sorted(calls.values(), key=lambda c: (-c.call.closes_at.timestamp(), c.call.pk))
    return MultiYear(years=ordered, calls=call_rows)
