"""Assignment of experts to applications: bids and affinity, optimal proposal, adjustment and
confirmation by the officer, and reassignment when an expert declares a conflict."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role, User
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import funder_ids_of_call
from pepiniere.engine.affinity import combine_affinity, tfidf_similarity
from pepiniere.engine.assignment import InfeasibleAssignment, assign_reviewers
from pepiniere.reviews.errors import ReviewError
from pepiniere.reviews.errors import require as _require
from pepiniere.reviews.models import (
    Assignment,
    AssignmentRun,
    AssignmentStatus,
    Bid,
    CallReviewer,
    Conflict,
    ConflictRequest,
    ConflictRequestStatus,
)
from pepiniere.reviews.permissions import can_manage_reviews
from pepiniere.reviews.pool import declare_conflict

# ---- conflict on an assignment, reassignment ------------------------------------------------


@dataclass
class ConflictOutcome:
    """What a declaration did: withdrew the assignment at once (``withdrawn``, with the
    ``replacement`` found, if any), or opened a request an officer decides (``request``)."""

    withdrawn: bool = False
    replacement: Assignment | None = None
    request: ConflictRequest | None = None


def reviews_open(application: Application) -> bool:
    """Reviews of an application are open while it is « en expertise »; once closed (expertisé,
    jury decision, withdrawal…) no assignment is created nor changed by itself any more."""
    return application.status == Status.IN_REVIEW


@transaction.atomic
def declare_conflict_on_assignment(
    *, assignment: Assignment, actor: User, note: str
) -> ConflictOutcome:
    """The expert discovers a conflict on an assigned application.

    Before submitting, while reviews are open: the assignment is withdrawn and the application
    goes to the best available expert of the pool. After submitting, or once reviews are closed,
    a counted review (or the call's closed review) is at stake: the declaration becomes a request
    that an officer accepts or refuses (:func:`decide_conflict_request`)."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("application__call", "application__organisation")
        .get(pk=assignment.pk)
    )
    if assignment.reviewer_id != actor.pk:
        raise ReviewError(_("Ce dossier ne vous est pas confié."))
    if not assignment.is_active:
        raise ReviewError(_("Ce dossier vous a déjà été retiré pour conflit d'intérêts."))
    if not note.strip():
        raise ReviewError(_("Précisez la nature du conflit d'intérêts."))
    application = assignment.application
    if assignment.status == AssignmentStatus.SUBMITTED or not reviews_open(application):
        if assignment.conflict_requests.filter(status=ConflictRequestStatus.PENDING).exists():
            raise ReviewError(
                _("Vous avez déjà signalé ce conflit : le chargé de mission va décider.")
            )
        request = ConflictRequest.objects.create(
            assignment=assignment, note=note.strip(), requested_at=timezone.now()
        )
        record(
            actor=actor,
            obj=application,
            action="request_conflict",
            reason=note,
            public=False,
        )
        _notify_officers_of_request(request)
        return ConflictOutcome(request=request)
    declare_conflict(reviewer=actor, organisation=application.organisation, note=note)
    assignment.status = AssignmentStatus.WITHDRAWN
    assignment.save()
    record(
        actor=actor,
        obj=application,
        action="reviewer_conflict",
        reason=note,
        public=False,
    )
    return ConflictOutcome(
        withdrawn=True, replacement=reassign(application=application, actor=None)
    )


@transaction.atomic
def decide_conflict_request(
    *, request: ConflictRequest, actor: Any, accept: bool, reason: str = ""
) -> ConflictOutcome:
    """An officer decides on a conflict declared after submission (or once reviews closed).

    Accepted: the conflict is recorded, the assignment is set aside (its review stops counting
    everywhere, see ``Review.objects.counted()``) and, only while reviews are still open, the
    application goes to another expert. Refused: a reason is required; the review keeps counting.
    Both are audited and shown to the expert."""
    request = (
        ConflictRequest.objects.select_for_update()
        .select_related(
            "assignment__application__call",
            "assignment__application__organisation",
            "assignment__reviewer",
        )
        .get(pk=request.pk)
    )
    assignment = request.assignment
    application = assignment.application
    _require(can_manage_reviews(actor, application.call))
    if request.status != ConflictRequestStatus.PENDING:
        raise ReviewError(_("Ce signalement a déjà été tranché."))
    reason = reason.strip()
    if not accept and not reason:
        raise ReviewError(_("Indiquez à l'expert·e pourquoi le conflit est refusé."))
    request.status = ConflictRequestStatus.ACCEPTED if accept else ConflictRequestStatus.REFUSED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save()
    record(
        actor=actor,
        obj=application,
        action="accept_conflict" if accept else "refuse_conflict",
        reason=f"{assignment.reviewer} : {reason or request.note}",
        public=False,
    )
    if not accept:
        return ConflictOutcome(request=request)
    declare_conflict(
        reviewer=assignment.reviewer, organisation=application.organisation, note=request.note
    )
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.CONFLICTED)
    replacement = (
        reassign(application=application, actor=actor) if reviews_open(application) else None
    )
    return ConflictOutcome(withdrawn=True, replacement=replacement, request=request)


def set_aside_for_detected_conflicts(
    pairs: Iterable[tuple[int, int]], *, actor: Any = None
) -> list[ConflictOutcome]:
    """A conflict found after the assignment was made (the expert joined the structure, or
    declared its SIREN): the assignment stops at once, as a conflict declared before submitting
    does. Not yet submitted, it is withdrawn; submitted, it is set aside (the review already does
    not count, see ``Review.objects.counted()``) and a request still waiting is answered. Each is
    audited « conflit détecté » and, while reviews are open, the application goes to another
    expert (:func:`reassign`)."""
    condition = Q()
    for reviewer_id, organisation_id in pairs:
        condition |= Q(reviewer_id=reviewer_id, application__organisation_id=organisation_id)
    if not condition:
        return []
    outcomes = []
    assignments = (
        Assignment.objects.active()
        .filter(condition)
        .select_for_update(of=("self",))
        .select_related("application__call", "reviewer")
        .order_by("pk")
    )
    for assignment in assignments:
        submitted = assignment.status == AssignmentStatus.SUBMITTED
        assignment.status = AssignmentStatus.CONFLICTED if submitted else AssignmentStatus.WITHDRAWN
        assignment.save(update_fields=["status"])
        reason = _("conflit détecté : %(expert)s") % {"expert": assignment.reviewer}
        assignment.conflict_requests.filter(status=ConflictRequestStatus.PENDING).update(
            status=ConflictRequestStatus.ACCEPTED,
            decided_at=timezone.now(),
            decision_reason=reason,
        )
        record(
            actor=actor,
            obj=assignment.application,
            action="reviewer_conflict",
            reason=reason,
            public=False,
        )
        outcomes.append(
            ConflictOutcome(
                withdrawn=True,
                replacement=reassign(application=assignment.application, actor=actor),
            )
        )
    return outcomes


def _notify_officers_of_request(request: ConflictRequest) -> None:
    """The call's officers learn that a conflict waits for their decision (after commit)."""
    application = request.assignment.application
    call = application.call
    officers = list(
        User.objects.filter(
            role_grants__role=Role.OFFICER, role_grants__funder_id__in=funder_ids_of_call(call)
        )
        .distinct()
        .values_list("email", flat=True)
    )
    if not officers:
        return
    body = _(
        "Bonjour,\n\n%(expert)s signale un conflit d'intérêts sur le dossier %(ref)s de l'appel "
        "« %(call)s », après avoir remis son évaluation ou après la clôture de l'expertise. "
        "Son évaluation compte tant que vous n'avez pas décidé.\n"
        "Acceptez ou refusez sur la page Avancement : %(link)s\n\nL'équipe Pépinière"
    ) % {
        "expert": request.assignment.reviewer,
        "ref": application.reference,
        "call": call.title,
        "link": settings.SITE_URL + reverse("reviews:progress", args=[call.slug]),
    }
    subject = _("Conflit d'intérêts à trancher — %(ref)s") % {"ref": application.reference}
    transaction.on_commit(lambda: send_mail(subject, body, None, officers))


def _reviewer_capacity(call: Call) -> dict[int, int]:
    members = CallReviewer.objects.filter(call=call).select_related("reviewer__reviewer_profile")
    capacity = {}
    for member in members:
        profile_load = getattr(
            getattr(member.reviewer, "reviewer_profile", None), "max_load", call.reviewer_max_load
        )
        capacity[member.reviewer_id] = min(
            member.max_load or call.reviewer_max_load, profile_load, call.reviewer_max_load
        )
    return capacity


def _active_loads(call: Call) -> dict[int, int]:
    loads: dict[int, int] = {}
    for reviewer_id in (
        Assignment.objects.filter(application__call=call)
        .active()
        .values_list("reviewer_id", flat=True)
    ):
        loads[reviewer_id] = loads.get(reviewer_id, 0) + 1
    return loads


@transaction.atomic
def reassign(*, application: Application, actor: Any) -> Assignment | None:
    """Give the application to the best available expert of the pool, free of conflict and under
    their load. Never once reviews are closed: a closed call gets no new assignment."""
    call = application.call
    if not reviews_open(application):
        return None
    taken = set(application.assignments.values_list("reviewer_id", flat=True))
    conflicted = set(
        Conflict.objects.filter(organisation_id=application.organisation_id).values_list(
            "reviewer_id", flat=True
        )
    )
    capacity = _reviewer_capacity(call)
    loads = _active_loads(call)
    candidates = [
        r for r in capacity if r not in taken | conflicted and loads.get(r, 0) < capacity[r]
    ]
    if not candidates:
        record(
            actor=actor,
            obj=application,
            action="reassign_failed",
            public=False,
            reason=_("Aucun·e expert·e du vivier n'est disponible et sans conflit."),
        )
        return None
    reviewers = list(
        User.objects.filter(pk__in=candidates).select_related("reviewer_profile").order_by("pk")
    )
    matrix = affinity_matrix(call, [application], reviewers)
    best = int(np.nanargmax(matrix[0])) if not np.all(np.isnan(matrix[0])) else 0
    chosen = reviewers[best]
    assignment, _created = Assignment.objects.update_or_create(
        application=application,
        reviewer=chosen,
        defaults={
            "status": AssignmentStatus.ASSIGNED,
            "affinity": float(np.nan_to_num(matrix[0][best])),
            "assigned_at": timezone.now(),
            "assigned_by": actor if actor and actor.is_authenticated else None,
        },
    )
    record(actor=actor, obj=application, action="reassign", reason=str(chosen), public=False)
    _notify_assigned(call, [chosen])
    return assignment


# ---- bids and affinity -------------------------------------------------------------------------


@transaction.atomic
def place_bid(*, reviewer: User, application: Application, level: str) -> Bid:
    if not CallReviewer.objects.filter(call=application.call, reviewer=reviewer).exists():
        raise ReviewError(_("Vous ne faites pas partie des expert·es de cet appel."))
    bid, _created = Bid.objects.update_or_create(
        reviewer=reviewer, application=application, defaults={"level": level}
    )
    return bid


def _application_text(application: Application) -> str:
    return " ".join(
        [application.title, application.summary, str(application.answers.get("innovation", ""))]
    )


def _reviewer_text(reviewer: User) -> str:
    profile = getattr(reviewer, "reviewer_profile", None)
    return " ".join([profile.expertise, profile.keywords]) if profile else ""


def affinity_matrix(
    call: Call, applications: list[Application], reviewers: list[User]
) -> np.ndarray:
    """Text similarity of the application with the expertise statement, sector match with the call's
    sectors, bids ('want' raises, 'cannot' excludes). NaN = not a candidate."""
    if not applications or not reviewers:
        return np.zeros((len(applications), len(reviewers)))
    text = tfidf_similarity(
        [_application_text(a) for a in applications], [_reviewer_text(r) for r in reviewers]
    )
    call_sectors = set(call.sectors.values_list("code", flat=True))
    sector_rows = []
    for reviewer in reviewers:
        profile = getattr(reviewer, "reviewer_profile", None)
        theirs = set(profile.sectors.values_list("code", flat=True)) if profile else set()
        sector_rows.append(len(theirs & call_sectors) / len(call_sectors) if call_sectors else 0.0)
    sector = np.tile(np.array(sector_rows), (len(applications), 1))
    app_index = {a.pk: i for i, a in enumerate(applications)}
    reviewer_index = {r.pk: j for j, r in enumerate(reviewers)}
    bids = {
        (app_index[b.application_id], reviewer_index[b.reviewer_id]): b.level
        for b in Bid.objects.filter(application__in=applications, reviewer__in=reviewers)
    }
    return combine_affinity(text, sector, bids)


# ---- assignment -----------------------------------------------------------------------------------


def applications_to_assign(call: Call) -> list[Application]:
    """Eligible applications that have no active assignment yet."""
    return list(
        Application.objects.filter(call=call, status=Status.ELIGIBLE)
        .exclude(assignments__status__in=[AssignmentStatus.ASSIGNED, AssignmentStatus.SUBMITTED])
        .select_related("organisation")
        .order_by("number")
    )


@transaction.atomic
def propose_assignment(*, call: Call, actor: Any) -> AssignmentRun:
    _require(can_manage_reviews(actor, call))
    applications = applications_to_assign(call)
    capacity = _reviewer_capacity(call)
    loads = _active_loads(call)
    reviewers = list(
        User.objects.filter(pk__in=capacity).select_related("reviewer_profile").order_by("pk")
    )
    run = AssignmentRun(call=call, created_by=actor, created_at=timezone.now())
    if not applications:
        run.problems = [_("Aucun dossier recevable n'attend d'expert·e.")]
        run.save()
        return run
    if not reviewers:
        run.problems = [_("Le vivier d'expert·es de cet appel est vide : invitez des expert·es.")]
        run.save()
        return run
    matrix = affinity_matrix(call, applications, reviewers)
    conflicted = {
        (r, o)
        for r, o in Conflict.objects.filter(reviewer__in=reviewers).values_list(
            "reviewer_id", "organisation_id"
        )
    }
    conflicts = [
        (i, j)
        for i, a in enumerate(applications)
        for j, r in enumerate(reviewers)
        if (r.pk, a.organisation_id) in conflicted
    ]
    max_load = np.array([max(0, capacity[r.pk] - loads.get(r.pk, 0)) for r in reviewers])
    try:
        result = assign_reviewers(
            matrix, call.reviews_per_application, max_load, conflicts=conflicts
        )
    except InfeasibleAssignment as error:
        names = ", ".join(
            applications[i].reference or str(applications[i].pk) for i in error.applications[:20]
        )
        # The engine's own message is English and names rows by index: the officer reads the
        # numbers and the names here instead.
        run.problems = [
            _("Affectation impossible : il manque %(missing)d évaluation(s) de capacité.")
            % {"missing": error.missing},
            _("Dossiers concernés : %(names)s.") % {"names": names or "—"},
        ]
        if error.reviewers:
            run.problems.append(
                _("Expert·es qui ne peuvent pas atteindre leur charge minimale : %(names)s.")
                % {"names": ", ".join(str(reviewers[j]) for j in error.reviewers[:20])}
            )
        run.save()
        return run
    run.pairs = [
        [applications[i].pk, reviewers[j].pk, round(float(matrix[i, j]), 4)]
        for i, j in result.pairs
    ]
    run.save()
    return run


@transaction.atomic
def confirm_assignment(
    *,
    run: AssignmentRun,
    actor: Any,
    excluded: Iterable[tuple[int | str, int | str]] = (),
    added: Iterable[tuple[int | str, int | str]] = (),
) -> int:
    """Create the assignments of a proposal, minus the pairs the officer removed, plus the ones
    they added by hand (never a conflicted pair), and open the review of each application."""
    run = AssignmentRun.objects.select_for_update().get(pk=run.pk)
    _require(can_manage_reviews(actor, run.call))
    if run.confirmed_at is not None:
        return 0
    excluded_set = {(int(a), int(r)) for a, r in excluded}
    pairs = [(a, r, aff) for a, r, aff in run.pairs if (a, r) not in excluded_set]
    # A pair added by hand names a reviewer of the call's pool (an unknown id is skipped, never
    # an integrity error).
    pool = set(CallReviewer.objects.filter(call=run.call).values_list("reviewer_id", flat=True))
    pairs += [(int(a), int(r), 0.0) for a, r in added if int(r) in pool]
    applications = {
        a.pk: a
        # Never on an application whose reviews are closed (nor one not yet eligible).
        for a in Application.objects.filter(
            pk__in={p[0] for p in pairs},
            call=run.call,
            status__in=[Status.ELIGIBLE, Status.IN_REVIEW],
        ).select_related("organisation")
    }
    conflicted = set(
        Conflict.objects.filter(
            organisation_id__in=[a.organisation_id for a in applications.values()]
        ).values_list("reviewer_id", "organisation_id")
    )
    now = timezone.now()
    created = 0
    notified = set()
    for application_id, reviewer_id, affinity in pairs:
        application = applications.get(application_id)
        if application is None or (reviewer_id, application.organisation_id) in conflicted:
            continue
        _assignment, was_created = Assignment.objects.get_or_create(
            application=application,
            reviewer_id=reviewer_id,
            defaults={"affinity": affinity, "assigned_at": now, "assigned_by": actor},
        )
        created += was_created
        notified.add(reviewer_id)
    for application in applications.values():
        if application.status == Status.ELIGIBLE:
            application_services.open_review(application=application, actor=actor, now=now)
    run.confirmed_at = now
    run.save()
    record(
        actor=actor, obj=run.call, action="confirm_assignment", reason=f"{created}", public=False
    )
    _notify_assigned(run.call, list(User.objects.filter(pk__in=notified)))
    return created


def _notify_assigned(call: Call, reviewers: list[User]) -> None:
    link = settings.SITE_URL + reverse("reviews:home")
    for reviewer in reviewers:
        email = reviewer.email
        body = _(
            "Bonjour,\n\nDes dossiers de l'appel « %(call)s » vous sont confiés. Retrouvez-les ici : %(link)s\n\n"
            "L'équipe Pépinière"
        ) % {"call": call.title, "link": link}

        def send(email: str = email, body: str = body) -> None:
            send_mail(
                _("Dossiers à évaluer — %(call)s") % {"call": call.title}, body, None, [email]
            )

        transaction.on_commit(send)
