"""The accelerator's workflows: forming a cohort from the jury's selection, the stay's lifecycle,
the capacity rules, mentoring sessions and milestones. Mentor matching is in matching.py.

Stay lifecycle (one function per transition; each locks the programme then the stay, checks who
acts, writes one audit row):

    (selected application) ──start──▶ active ──renew (once)──▶ renewed
    active | renewed ──graduate──▶ graduated        active | renewed ──leave (reason)──▶ left

Capacity (checked when a stay starts and when it is renewed, with the programme row locked so
two officers cannot both take the last place):

* at most ``yearly_capacity`` stays start in one calendar year (a stay that ended early still
  used its place of the year);
* at most ``max_concurrent`` stays at any one day: a stay takes its place from its start to its
  planned end (moved by the renewal), or to the day it ended once graduated or left;
* one renewal at most, of the programme's stay length.

Milestone: planned ──reach (evidence text or file)──▶ reached;  planned ──miss──▶ missed."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pepiniere.accelerator.models import (
    OPEN_STATUSES,
    AcceleratorProgramme,
    Cohort,
    Mentor,
    MentoringSession,
    Milestone,
    MilestoneStatus,
    Stay,
    StayStatus,
    add_months,
)
from pepiniere.accelerator.permissions import (
    can_decide_milestone,
    can_follow_milestones,
    can_manage_programme,
    can_record_session,
    mentors_stay,
    runs_programme,
)
from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import record
from pepiniere.lib.dates import long_date
from pepiniere.lib.permissions import Verdict

# The jury's selection: selected, and the states an award and its agreement lead to.
SELECTED_STATES = (Status.SELECTED, Status.AWARDED, Status.CONTRACTED, Status.CLOSED)


class AcceleratorError(Exception):
    """A refused action, with the French message the person reads."""


def _require(verdict: Verdict) -> None:
    if not verdict:
        raise AcceleratorError(verdict.reason)


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    action: str


TRANSITIONS = {
    "renew": Transition(frozenset({StayStatus.ACTIVE}), StayStatus.RENEWED, "renew_stay"),
    "graduate": Transition(frozenset(OPEN_STATUSES), StayStatus.GRADUATED, "graduate_stay"),
    "leave": Transition(frozenset(OPEN_STATUSES), StayStatus.LEFT, "leave_stay"),
}


def _lock_programme(programme_id: int) -> AcceleratorProgramme:
    return AcceleratorProgramme.objects.select_for_update().get(pk=programme_id)


def _lock_stay(stay: Stay) -> tuple[Stay, AcceleratorProgramme]:
    programme_id = (
        Cohort.objects.filter(pk=stay.cohort_id).values_list("programme_id", flat=True).get()
    )
    programme = _lock_programme(programme_id)
    locked = (
        Stay.objects.select_for_update(of=("self",))
        .select_related("cohort__programme", "organisation")
        .get(pk=stay.pk)
    )
    return locked, programme


# --- capacity ----------------------------------------------------------------------------------


def selected_applications(programme: AcceleratorProgramme) -> list[Application]:
    """The applications the jury selected in the intake call that have no stay yet."""
    return list(
        Application.objects.filter(call_id=programme.call_id, status__in=SELECTED_STATES)
        .filter(accelerator_stay__isnull=True)
        .select_related("organisation")
        .order_by("number", "pk")
    )


def _occupying(programme: AcceleratorProgramme, exclude: int | None = None) -> list[Stay]:
    stays = Stay.objects.filter(cohort__programme=programme).select_related("organisation")
    if exclude is not None:
        stays = stays.exclude(pk=exclude)
    return list(stays.order_by("start_date", "pk"))


def _peak(
    stays: Iterable[Stay], start: datetime.date, end: datetime.date
) -> tuple[int, datetime.date, list[Stay]]:
    """The most stays holding a place on one day of [start, end), that day, and those stays."""
    overlapping = [s for s in stays if s.start_date < end and s.occupied_until > start]
    best: tuple[int, datetime.date, list[Stay]] = (0, start, [])
    days = sorted({start, *(s.start_date for s in overlapping if s.start_date > start)})
    for day in days:
        present = [s for s in overlapping if s.start_date <= day < s.occupied_until]
        if len(present) > best[0]:
            best = (len(present), day, present)
    return best


def check_capacity(
    *,
    programme: AcceleratorProgramme,
    start: datetime.date,
    end: datetime.date,
    starting: bool,
    exclude: int | None = None,
) -> None:
    """Refuse, with the figures, a place from ``start`` to ``end`` (exclusive) that would pass
    the yearly capacity (when ``starting``) or the number of start-ups at a time."""
    stays = _occupying(programme, exclude)
    if starting:
        started = [s for s in stays if s.start_date.year == start.year]
        if len(started) >= programme.yearly_capacity:
            raise AcceleratorError(
                _(
                    "Capacité annuelle atteinte : %(count)d start-ups ont déjà commencé leur "
                    "séjour en %(year)d, pour %(capacity)d places par an."
                )
                % {
                    "count": len(started),
                    "year": start.year,
                    "capacity": programme.yearly_capacity,
                }
            )
    count, day, present = _peak(stays, start, end)
    if count >= programme.max_concurrent:
        raise AcceleratorError(
            _(
                "Au plus %(max)d start-ups à la fois : le %(day)s, %(count)d séjours sont déjà "
                "en cours (%(names)s)."
            )
            % {
                "max": programme.max_concurrent,
                "day": long_date(day),
                "count": count,
                "names": ", ".join(s.organisation.name for s in present),
            }
        )


@dataclass(frozen=True)
class Gauge:
    """Places used: stays started in the year, and stays holding a place on the day."""

    year: int
    started: int
    yearly_capacity: int
    now: int
    max_concurrent: int


def gauge(programme: AcceleratorProgramme, day: datetime.date | None = None) -> Gauge:
    day = day or timezone.localdate()
    stays = list(
        Stay.objects.filter(cohort__programme=programme).only(
            "start_date", "planned_end", "ended_on"
        )
    )
    return Gauge(
        year=day.year,
        started=sum(1 for s in stays if s.start_date.year == day.year),
        yearly_capacity=programme.yearly_capacity,
        now=sum(1 for s in stays if s.start_date <= day < s.occupied_until),
        max_concurrent=programme.max_concurrent,
    )


# --- cohorts and stays -------------------------------------------------------------------------


@transaction.atomic
def form_cohort(
    *,
    programme: AcceleratorProgramme,
    year: int,
    starts: Sequence[tuple[Application, datetime.date]],
    actor: Any,
) -> Cohort:
    """The cohort of ``year`` (made on first use) gains one stay per selected application, each
    starting on its date (stays are staggered to respect the places at a time). All or nothing:
    one refused start-up (not selected, already in, over capacity) refuses the whole form."""
    programme = _lock_programme(programme.pk)
    _require(can_manage_programme(actor, programme))
    if not starts:
        raise AcceleratorError(_("Choisissez au moins une start-up retenue par le jury."))
    now = timezone.now()
    cohort, created = Cohort.objects.get_or_create(
        programme=programme, year=year, defaults={"formed_at": now, "formed_by": actor}
    )
    if created:
        record(actor=actor, obj=cohort, action="form_cohort", at=now)
    for application, start in sorted(starts, key=lambda pair: (pair[1], pair[0].pk)):
        stay = _start_stay(programme=programme, cohort=cohort, application=application, start=start)
        record(
            actor=actor,
            obj=stay,
            action="start_stay",
            to_state=StayStatus.ACTIVE,
            at=now,
        )
    return cohort


def _start_stay(
    *,
    programme: AcceleratorProgramme,
    cohort: Cohort,
    application: Application,
    start: datetime.date,
) -> Stay:
    application = Application.objects.select_related("organisation").get(pk=application.pk)
    name = application.organisation.name
    if application.call_id != programme.call_id or application.status not in SELECTED_STATES:
        raise AcceleratorError(
            _("%(name)s n'a pas été retenu·e par le jury de l'appel « %(call)s ».")
            % {"name": name, "call": programme.call.title}
        )
    if Stay.objects.filter(application=application).exists():
        raise AcceleratorError(_("%(name)s a déjà un séjour pour ce dossier.") % {"name": name})
    if start.year != cohort.year:
        raise AcceleratorError(
            _(
                "Le séjour de %(name)s commence en %(start)d, pas dans l'année de la cohorte (%(year)d)."
            )
            % {"name": name, "start": start.year, "year": cohort.year}
        )
    end = add_months(start, programme.stay_months)
    try:
        check_capacity(programme=programme, start=start, end=end, starting=True)
    except AcceleratorError as error:
        raise AcceleratorError(
            _("%(name)s ne peut pas commencer le %(day)s. %(reason)s")
            % {"name": name, "day": long_date(start), "reason": error}
        ) from error
    stay = Stay.objects.create(
        cohort=cohort,
        organisation=application.organisation,
        application=application,
        start_date=start,
        planned_end=end,
    )
    stay.sectors.set(programme.call.sectors.all())
    return stay


def _transition(stay: Stay, name: str) -> Transition:
    transition = TRANSITIONS[name]
    if stay.status not in transition.sources:
        raise AcceleratorError(
            _("Ce séjour est « %(status)s » : impossible de le %(verb)s.")
            % {"status": stay.get_status_display(), "verb": VERBS[name]}
        )
    return transition


VERBS = {
    "renew": gettext_lazy("renouveler"),
    "graduate": gettext_lazy("terminer"),
    "leave": gettext_lazy("clore"),
}


@transaction.atomic
def renew_stay(*, stay: Stay, actor: Any) -> Stay:
    """active ──renew──▶ renewed: the planned end moves by the programme's stay length, once."""
    stay, programme = _lock_stay(stay)
    _require(can_manage_programme(actor, programme))
    if stay.renewed:
        raise AcceleratorError(
            _(
                "Ce séjour a déjà été renouvelé une fois : un seul renouvellement de "
                "%(months)d mois est possible."
            )
            % {"months": programme.stay_months}
        )
    transition = _transition(stay, "renew")
    new_end = add_months(stay.planned_end, programme.stay_months)
    check_capacity(
        programme=programme, start=stay.planned_end, end=new_end, starting=False, exclude=stay.pk
    )
    before = stay.planned_end
    stay.planned_end, stay.renewed, stay.status = new_end, True, transition.target
    stay.save(update_fields=["planned_end", "renewed", "status"])
    record(
        actor=actor,
        obj=stay,
        action=transition.action,
        from_state=StayStatus.ACTIVE,
        to_state=transition.target,
        reason=_("fin prévue reportée du %(before)s au %(after)s")
        % {"before": long_date(before), "after": long_date(new_end)},
    )
    return stay


def _end_stay(
    stay: Stay, *, actor: Any, name: str, on: datetime.date | None, reason: str = ""
) -> Stay:
    stay, programme = _lock_stay(stay)
    _require(can_manage_programme(actor, programme))
    transition = _transition(stay, name)
    on = on or timezone.localdate()
    if on < stay.start_date:
        raise AcceleratorError(
            _("Le séjour a commencé le %(start)s : il ne peut pas finir avant.")
            % {"start": long_date(stay.start_date)}
        )
    source = stay.status
    stay.status, stay.ended_on = transition.target, min(on, stay.planned_end)
    stay.leave_reason = reason
    stay.save(update_fields=["status", "ended_on", "leave_reason"])
    record(
        actor=actor,
        obj=stay,
        action=transition.action,
        from_state=source,
        to_state=transition.target,
        reason=reason,
    )
    return stay


@transaction.atomic
def graduate_stay(*, stay: Stay, actor: Any, on: datetime.date | None = None) -> Stay:
    """active | renewed ──graduate──▶ graduated (on the day given, at the latest the planned end)."""
    return _end_stay(stay, actor=actor, name="graduate", on=on)


@transaction.atomic
def leave_stay(*, stay: Stay, actor: Any, reason: str, on: datetime.date | None = None) -> Stay:
    """active | renewed ──leave──▶ left: the start-up leaves before the end; the reason is kept."""
    if not reason.strip():
        raise AcceleratorError(_("Indiquez le motif de la sortie de la start-up."))
    return _end_stay(stay, actor=actor, name="leave", on=on, reason=reason.strip())


# --- mentor pool -------------------------------------------------------------------------------


@transaction.atomic
def add_mentor(
    *,
    programme: AcceleratorProgramme,
    user: Any,
    actor: Any,
    expertise: str = "",
    languages: str = "",
    capacity: int = 2,
    sectors: Iterable[Any] = (),
) -> Mentor:
    _require(can_manage_programme(actor, programme))
    if capacity < 1:
        raise AcceleratorError(_("Un·e mentor suit au moins une start-up à la fois."))
    if Mentor.objects.filter(programme=programme, user=user).exists():
        raise AcceleratorError(
            _("%(name)s fait déjà partie des mentors de ce programme.") % {"name": user}
        )
    mentor = Mentor.objects.create(
        programme=programme,
        user=user,
        expertise=expertise,
        languages=languages,
        capacity=capacity,
    )
    mentor.sectors.set(list(sectors))
    record(actor=actor, obj=mentor, action="add_mentor")
    return mentor


# --- sessions and milestones ------------------------------------------------------------------


@transaction.atomic
def record_session(
    *,
    stay: Stay,
    mentor: Mentor,
    held_on: datetime.date,
    topic: str,
    actor: Any,
    notes: str = "",
) -> MentoringSession:
    """A mentoring session of one of the stay's mentors; a mentor records only their own."""
    stay, _programme = _lock_stay(stay)
    _require(can_record_session(actor, stay))
    if not stay.mentorings.filter(mentor=mentor).exists():
        raise AcceleratorError(_("%(name)s n'est pas mentor de ce séjour.") % {"name": mentor})
    if not runs_programme(actor, stay.cohort.programme) and mentor.user_id != actor.pk:
        raise AcceleratorError(_("Un·e mentor saisit seulement ses propres séances."))
    if not topic.strip():
        raise AcceleratorError(_("Indiquez le sujet de la séance."))
    if held_on < stay.start_date:
        raise AcceleratorError(
            _("La séance ne peut pas précéder le début du séjour (%(start)s).")
            % {"start": long_date(stay.start_date)}
        )
    session = MentoringSession.objects.create(
        stay=stay,
        mentor=mentor,
        held_on=held_on,
        topic=topic.strip(),
        notes=notes,
        recorded_by=actor,
    )
    record(actor=actor, obj=stay, action="record_mentoring_session", reason=session.topic)
    return session


@transaction.atomic
def plan_milestone(*, stay: Stay, title: str, due_date: datetime.date, actor: Any) -> Milestone:
    _require(can_follow_milestones(actor, stay))
    if not title.strip():
        raise AcceleratorError(_("Indiquez l'intitulé du jalon."))
    milestone = Milestone.objects.create(stay=stay, title=title.strip(), due_date=due_date)
    record(actor=actor, obj=milestone, action="plan_milestone", to_state=MilestoneStatus.PLANNED)
    return milestone


def _lock_milestone(milestone: Milestone) -> Milestone:
    return (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("stay__cohort__programme")
        .get(pk=milestone.pk)
    )


def _planned(milestone: Milestone) -> None:
    if milestone.status != MilestoneStatus.PLANNED:
        raise AcceleratorError(
            _("Ce jalon est déjà « %(status)s ».") % {"status": milestone.get_status_display()}
        )


@transaction.atomic
def reach_milestone(
    *,
    milestone: Milestone,
    actor: Any,
    evidence: str = "",
    evidence_file: UploadedFile | None = None,
    on: datetime.date | None = None,
) -> Milestone:
    """planned ──reach──▶ reached, with its evidence (a text, a file or both)."""
    milestone = _lock_milestone(milestone)
    _require(can_decide_milestone(actor, milestone))
    _planned(milestone)
    if not evidence.strip() and evidence_file is None:
        raise AcceleratorError(
            _("Un jalon atteint se prouve : décrivez la preuve ou joignez une pièce.")
        )
    milestone.status = MilestoneStatus.REACHED
    milestone.evidence = evidence.strip()
    milestone.decided_on = on or timezone.localdate()
    if evidence_file is not None:
        milestone.evidence_file.save(evidence_file.name or "preuve", evidence_file, save=False)
    milestone.save()
    record(
        actor=actor,
        obj=milestone,
        action="reach_milestone",
        from_state=MilestoneStatus.PLANNED,
        to_state=MilestoneStatus.REACHED,
        reason=milestone.evidence,
    )
    return milestone


@transaction.atomic
def miss_milestone(
    *, milestone: Milestone, actor: Any, on: datetime.date | None = None, reason: str = ""
) -> Milestone:
    """planned ──miss──▶ missed."""
    milestone = _lock_milestone(milestone)
    _require(can_decide_milestone(actor, milestone))
    _planned(milestone)
    milestone.status = MilestoneStatus.MISSED
    milestone.decided_on = on or timezone.localdate()
    milestone.evidence = reason.strip()
    milestone.save(update_fields=["status", "decided_on", "evidence"])
    record(
        actor=actor,
        obj=milestone,
        action="miss_milestone",
        from_state=MilestoneStatus.PLANNED,
        to_state=MilestoneStatus.MISSED,
        reason=milestone.evidence,
    )
    return milestone


__all__ = [
    "AcceleratorError",
    "add_mentor",
    "check_capacity",
    "form_cohort",
    "gauge",
    "graduate_stay",
    "leave_stay",
    "mentors_stay",
    "miss_milestone",
    "plan_milestone",
    "reach_milestone",
    "record_session",
    "renew_stay",
    "selected_applications",
]
