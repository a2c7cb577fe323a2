"""Reads of the home page, one bounded set of queries per section whatever the number of calls,
applications or awards."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.agreements.models import Agreement, AgreementStatus
from pepiniere.applications.models import Application, Status
from pepiniere.applications.selectors import applications_of_user
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award, BudgetLine, BudgetScope, DecisionLetter
from pepiniere.organisations.models import BankAccount, BankAccountStatus, Organisation
from pepiniere.organisations.selectors import organisations_supported_by
from pepiniere.payments.models import (
    Instalment,
    InstalmentStatus,
    PaymentRun,
    Recovery,
    RecoveryStatus,
    RunStatus,
)
from pepiniere.programmes.models import Programme
from pepiniere.reviews.models import Assignment, AssignmentStatus, JurySession
from pepiniere.selection.models import Scenario

RECENT = 10  # awards and letters listed on the finance home


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """The number of rows of ``queryset`` (filtered on OuterRef("pk")) as a subquery."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


def _funder_calls(funder_ids: set[int]) -> QuerySet[Call]:
    return Call.objects.filter(
        Q(funder_id__in=funder_ids) | Q(co_funders__in=funder_ids)
    ).distinct()


def officer_calls(user: Any, *, now: datetime.datetime | None = None) -> list[Call]:
    """The calls of the officer's funders (co-funded ones too; all calls for an administrator),
    each with what waits: applications to screen, reviews past the call's review deadline and not
    submitted, reviewed applications waiting for the jury (and whether a scenario was sent)."""
    now = now or timezone.now()
    calls: QuerySet[Call] = Call.objects.all()
    if not user.has_role(Role.ADMIN):
        calls = _funder_calls(user.funder_ids(Role.OFFICER))
    applications = Application.objects.filter(call=OuterRef("pk"))
    late = Assignment.objects.filter(
        application__call=OuterRef("pk"),
        status=AssignmentStatus.ASSIGNED,
        application__call__review_deadline__lt=now,
    )
    awards = Award.objects.filter(application__call=OuterRef("pk"))
    agreements = Agreement.objects.filter(award__application__call=OuterRef("pk"))
    return list(
        calls.select_related("funder")
        .annotate(
            agreements_to_prepare=_count(
                awards.filter(application__status=Status.AWARDED, agreement__isnull=True)
            ),
            agreements_to_send=_count(agreements.filter(status=AgreementStatus.DRAFT)),
            agreements_to_sign=_count(agreements.filter(status=AgreementStatus.SIGNED_BENEFICIARY)),
            requests_to_check=_count(
                Instalment.objects.filter(
                    award__application__call=OuterRef("pk"), status=InstalmentStatus.REQUESTED
                )
            ),
            to_screen=_count(applications.filter(status=Status.SUBMITTED)),
            reviews_late=_count(late),
            to_jury=_count(applications.filter(status=Status.REVIEWED)),
            scenario_sent=Exists(
                Scenario.objects.filter(call=OuterRef("pk"), sent_to_jury_at__isnull=False)
            ),
            has_session=Exists(JurySession.objects.filter(call=OuterRef("pk"))),
        )
        .order_by("-closes_at", "pk")
    )


QUIET_AFTER = datetime.timedelta(days=365)


def split_quiet(
    calls: list[Call], *, now: datetime.datetime | None = None
) -> tuple[list[Call], list[Call]]:
    """The officer's calls as the home shows them: those with something waiting or whose deadline
    is less than a year away (past or to come), and the quiet ones, closed more than a year ago
    with nothing waiting (counted, listed on « Tous vos appels »), so that a decade of closed calls
    does not bury the work of today."""
    now = now or timezone.now()
    shown: list[Call] = []
    quiet: list[Call] = []
    counters = (
        "to_screen",
        "reviews_late",
        "to_jury",
        "agreements_to_prepare",
        "agreements_to_send",
        "agreements_to_sign",
        "requests_to_check",
    )
    for call in calls:
        waiting = any(getattr(call, name) for name in counters)
        (quiet if not waiting and call.closes_at < now - QUIET_AFTER else shown).append(call)
    return shown, quiet


@dataclass
class JuryCall:
    call: Call
    sessions: list[JurySession]
    waiting: int  # reviewed applications without a decision yet


def jury_calls(user: Any) -> list[JuryCall]:
    """The calls of the jury member's funders that have a session, or reviewed applications
    waiting for one, with their sessions (open first) and their decisions counted."""
    calls = list(
        _funder_calls(user.funder_ids(Role.JURY))
        .select_related("funder")
        .annotate(
            waiting=_count(Application.objects.filter(call=OuterRef("pk"), status=Status.REVIEWED))
        )
        .order_by("-closes_at", "pk")
    )
    sessions: dict[int, list[JurySession]] = defaultdict(list)
    for session in (
        JurySession.objects.filter(call__in=[c.pk for c in calls])
        .annotate(decided=Count("decisions"))
        .order_by("-held_on", "pk")
    ):
        sessions[session.call_id].append(session)
    return [
        JuryCall(call=c, sessions=sessions[c.pk], waiting=c.waiting)
        for c in calls
        if sessions[c.pk] or c.waiting
    ]


def expert_assignments(user: Any) -> list[Assignment]:
    """The applications waiting for this expert's review, earliest deadline first (no deadline
    last)."""
    assignments = list(
        Assignment.objects.filter(reviewer=user, status=AssignmentStatus.ASSIGNED)
        .select_related("application", "application__call")
        .order_by("application__number", "pk")
    )
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    assignments.sort(key=lambda a: a.application.call.review_deadline or far)
    return assignments


def applicant_applications(user: Any, *, limit: int = 5) -> list[Application]:
    return list(applications_of_user(user)[:limit])


@dataclass
class LedgerRow:
    label: str
    envelope: Decimal
    committed: Decimal
    paid: Decimal
    detail: str = ""
    url_slug: str = ""  # a call's slug: its awards page

    @property
    def remaining(self) -> Decimal:
        return self.envelope - self.committed

    @property
    def to_pay(self) -> Decimal:
        """Committed and not paid yet (reste à verser)."""
        return self.committed - self.paid

    @property
    def percent(self) -> int:
        return int(self.committed * 100 / self.envelope) if self.envelope else 0


@dataclass
class FinanceLedger:
    programmes: list[LedgerRow] = field(default_factory=list)
    axes: list[LedgerRow] = field(default_factory=list)
    calls: list[LedgerRow] = field(default_factory=list)
    years: list[LedgerRow] = field(default_factory=list)

    @property
    def paid_total(self) -> Decimal:
        return sum((row.paid for row in self.calls), Decimal("0"))


def _line_row(label: str, line: BudgetLine | None, envelope: Decimal, detail: str) -> LedgerRow:
    """A budget line as it stands, or its envelope with nothing committed when no award has
    created it yet."""
    if line is None:
        return LedgerRow(label, envelope, Decimal("0"), Decimal("0"), detail=detail)
    return LedgerRow(label, line.envelope, line.committed, line.paid, detail=detail)


def finance_ledger(funder_ids: set[int]) -> FinanceLedger:
    """The budget ledgers of these funders: their programmes and axes (envelope and committed as
    the award transactions left them), their part of each call they fund or co-fund (the lead
    funder brings what the co-funders do not), and the calls' parts summed per year of the
    call's deadline. Lines not created yet (no award so far) show their envelope, nothing
    committed."""
    ledger = FinanceLedger()
    programmes = list(
        Programme.objects.filter(funder_id__in=funder_ids)
        .prefetch_related("axes")
        .order_by("-start_date", "title")
    )
    calls = list(_funder_calls(funder_ids).select_related("funder").order_by("-closes_at", "pk"))
    axis_ids = [a.pk for p in programmes for a in p.axes.all()]
    lines = list(
        BudgetLine.objects.filter(
            Q(scope=BudgetScope.PROGRAMME, programme__in=[p.pk for p in programmes])
            | Q(scope=BudgetScope.AXIS, axis_id__in=axis_ids)
            | Q(scope=BudgetScope.FUNDER, call__in=[c.pk for c in calls])
        )
    )
    by_programme = {
        line.programme_id: line for line in lines if line.scope == BudgetScope.PROGRAMME
    }
    by_axis = {line.axis_id: line for line in lines if line.scope == BudgetScope.AXIS}
    parts: dict[int, list[BudgetLine]] = defaultdict(list)
    for line in lines:
        if line.scope == BudgetScope.FUNDER:
            parts[line.call_id].append(line)  # type: ignore[index]
    zero = Decimal("0")
    for programme in programmes:
        period = f"{programme.start_date.year}–{programme.end_date.year}"
        ledger.programmes.append(
            _line_row(programme.title, by_programme.get(programme.pk), programme.budget, period)
        )
        for axis in programme.axes.all():
            ledger.axes.append(
                _line_row(axis.title, by_axis.get(axis.pk), axis.budget, programme.title)
            )
    years: dict[int, LedgerRow] = {}
    for call in calls:
        ours = [line for line in parts[call.pk] if line.funder_id in funder_ids]
        others = sum(
            (line.envelope for line in parts[call.pk] if line.funder_id != call.funder_id), zero
        )
        envelope = sum((line.envelope for line in ours), zero)
        if call.funder_id in funder_ids and not any(
            line.funder_id == call.funder_id for line in ours
        ):
            envelope += max(call.envelope - others, zero)  # the lead's part, no award yet
        row = LedgerRow(
            call.title,
            envelope,
            sum((line.committed for line in ours), zero),
            sum((line.paid for line in ours), zero),
            detail=call.funder.name,
            url_slug=call.slug,
        )
        ledger.calls.append(row)
        year = timezone.localtime(call.closes_at).year
        total = years.setdefault(year, LedgerRow(str(year), zero, zero, zero))
        total.envelope += row.envelope
        total.committed += row.committed
        total.paid += row.paid
    ledger.years = [years[y] for y in sorted(years, reverse=True)]
    return ledger


@dataclass
class FinanceWaiting:
    to_award: list[Any]  # calls with selected applications without an award (annotated .to_award)
    awards: list[Award]
    letters: list[DecisionLetter]
    bank_changes: list[BankAccount] = field(default_factory=list)  # payments held meanwhile


@dataclass
class PaymentsWaiting:
    """What waits after the award, counted (each count links to the payments or agreements
    page where the work is done)."""

    to_check: int = 0  # payment requests waiting for an officer's check
    to_authorise: int = 0  # checked, waiting for finance's authorisation
    authorised: int = 0  # authorised, in no payment run yet
    runs_to_confirm: int = 0  # payment runs not confirmed paid (or partly)
    recoveries_to_issue: int = 0
    recoveries_to_follow: int = 0  # issued, not recovered nor written off yet
    agreements_to_prepare: int = 0  # awards without an agreement
    agreements_to_send: int = 0  # drafts
    agreements_to_sign: int = 0  # signed by the beneficiary, waiting for the funder

    def __bool__(self) -> bool:
        return any(vars(self).values())


def payments_waiting(funder_ids: set[int]) -> PaymentsWaiting:
    """The counts of :class:`PaymentsWaiting` for the calls of these funders (co-funded ones
    too), in a fixed number of queries."""
    call_ids = list(_funder_calls(funder_ids).values_list("pk", flat=True))
    instalments = dict(
        Instalment.objects.filter(award__application__call__in=call_ids)
        .filter(
            status__in=[
                InstalmentStatus.REQUESTED,
                InstalmentStatus.CHECKED,
                InstalmentStatus.AUTHORISED,
            ]
        )
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    recoveries = dict(
        Recovery.objects.filter(award__application__call__in=call_ids)
        .filter(status__in=[RecoveryStatus.RAISED, RecoveryStatus.ISSUED])
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    agreements = dict(
        Agreement.objects.filter(award__application__call__in=call_ids)
        .filter(status__in=[AgreementStatus.DRAFT, AgreementStatus.SIGNED_BENEFICIARY])
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return PaymentsWaiting(
        to_check=instalments.get(InstalmentStatus.REQUESTED, 0),
        to_authorise=instalments.get(InstalmentStatus.CHECKED, 0),
        authorised=instalments.get(InstalmentStatus.AUTHORISED, 0),
        runs_to_confirm=PaymentRun.objects.filter(
            funder_id__in=funder_ids, status__in=[RunStatus.CREATED, RunStatus.PARTLY_PAID]
        ).count(),
        recoveries_to_issue=recoveries.get(RecoveryStatus.RAISED, 0),
        recoveries_to_follow=recoveries.get(RecoveryStatus.ISSUED, 0),
        agreements_to_prepare=Award.objects.filter(
            application__call__in=call_ids,
            application__status=Status.AWARDED,
            agreement__isnull=True,
        ).count(),
        agreements_to_send=agreements.get(AgreementStatus.DRAFT, 0),
        agreements_to_sign=agreements.get(AgreementStatus.SIGNED_BENEFICIARY, 0),
    )


def pending_bank_changes(funder_ids: set[int]) -> list[BankAccount]:
    """Changes of bank details waiting for an officer's validation, of organisations these
    funders support: their payments are held until then (one query)."""
    return list(
        BankAccount.objects.filter(status=BankAccountStatus.PENDING)
        .filter(
            organisation__in=Organisation.objects.filter(organisations_supported_by(funder_ids))
        )
        .select_related("organisation")
        .defer("rib")
        .order_by("submitted_at", "id")
    )


def finance_waiting(funder_ids: set[int]) -> FinanceWaiting:
    calls = _funder_calls(funder_ids)
    call_ids = list(calls.values_list("pk", flat=True))
    to_award = list(
        Call.objects.filter(pk__in=call_ids)
        .annotate(
            to_award=_count(
                Application.objects.filter(
                    call=OuterRef("pk"), status=Status.SELECTED, award__isnull=True
                )
            )
        )
        .filter(to_award__gt=0)
        .order_by("-closes_at", "pk")
    )
    awards = list(
        Award.objects.filter(application__call__in=call_ids)
        .select_related("application", "application__call", "application__organisation")
        .order_by("-awarded_at", "-pk")[:RECENT]
    )
    letters = list(
        DecisionLetter.objects.filter(application__call__in=call_ids)
        .select_related("application", "application__call", "application__organisation")
        .order_by("-sent_at", "-pk")[:RECENT]
    )
    return FinanceWaiting(
        to_award=to_award,
        awards=awards,
        letters=letters,
        bank_changes=pending_bank_changes(funder_ids),
    )
