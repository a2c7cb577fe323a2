"""Expert review workflows: pool, conflicts, bids, optimal assignment, reviews, reassignment."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.engine.affinity import combine_affinity, tfidf_similarity
from pepiniere.engine.assignment import InfeasibleAssignment, assign_reviewers
from pepiniere.organisations.models import Membership, Organisation
from pepiniere.reviews.models import (
    Assignment,
    AssignmentRun,
    AssignmentStatus,
    Bid,
    CallReviewer,
    Conflict,
    ConflictSource,
    CriterionScore,
    Invitation,
    Review,
    ReviewerProfile,
    ReviewStatus,
)
from pepiniere.reviews.permissions import can_manage_reviews, can_review


class ReviewError(Exception):
    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def _require(verdict: Any) -> None:
    if not verdict:
        raise ReviewError(verdict.reason)


# ---- pool and invitations -------------------------------------------------------------------


@transaction.atomic
def invite_reviewer(*, call: Call, email: str, actor: Any) -> Invitation:
    _require(can_manage_reviews(actor, call))
    email = email.strip().lower()
    invitation, created = Invitation.objects.get_or_create(
        call=call,
        email=email,
        defaults={
            "token": secrets.token_urlsafe(24),
            "invited_by": actor,
            "invited_at": timezone.now(),
        },
    )
    link = settings.SITE_URL + reverse("reviews:invitation", args=[invitation.token])
    body = _(
        "Bonjour,\n\n%(officer)s vous invite à évaluer des dossiers de l'appel « %(call)s » (%(funder)s).\n"
        "Pour accepter, ouvrez ce lien : %(link)s\n\nL'équipe Pépinière"
    ) % {"officer": actor, "call": call.title, "funder": call.funder.name, "link": link}
    transaction.on_commit(
        lambda: send_mail(
            _("Invitation à évaluer « %(call)s »") % {"call": call.title}, body, None, [email]
        )
    )
    record(actor=actor, obj=call, action="invite_reviewer", reason=email, public=False)
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> CallReviewer:
    if invitation.email != user.email.lower():
        raise ReviewError(
            _("Cette invitation a été envoyée à une autre adresse (%(email)s).")
            % {"email": invitation.email}
        )
    ReviewerProfile.objects.get_or_create(user=user)
    RoleGrant.objects.get_or_create(user=user, role=Role.REVIEWER, funder=None)
    member, _created = CallReviewer.objects.get_or_create(call=invitation.call, reviewer=user)
    if invitation.accepted_at is None:
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save()
        record(
            actor=user,
            obj=invitation.call,
            action="accept_invitation",
            reason=user.email,
            public=False,
        )
    detect_conflicts(call=invitation.call)
    return member


def add_to_pool(*, call: Call, reviewer: User, max_load: int | None = None) -> CallReviewer:
    ReviewerProfile.objects.get_or_create(user=reviewer)
    member, _created = CallReviewer.objects.update_or_create(
        call=call, reviewer=reviewer, defaults={"max_load": max_load}
    )
    return member


# ---- conflicts --------------------------------------------------------------------------------


def detect_conflicts(*, call: Call) -> int:
    """Membership of the applicant organisation, or its SIREN declared as employer or relation."""
    reviewers = list(User.objects.filter(call_pools__call=call).select_related("reviewer_profile"))
    organisations = (
        Organisation.objects.filter(applications__call=call)
        .exclude(applications__status=Status.DRAFT)
        .distinct()
    )
    by_siren: dict[str, list[int]] = {}
    for organisation in organisations:
        if organisation.siren:
            by_siren.setdefault(organisation.siren, []).append(organisation.pk)
    organisation_ids = set(organisations.values_list("pk", flat=True))
    created = 0
    now = timezone.now()
    memberships = Membership.objects.filter(
        user__in=reviewers, organisation_id__in=organisation_ids
    )
    pairs = {(m.user_id, m.organisation_id, ConflictSource.MEMBERSHIP) for m in memberships}
    for reviewer in reviewers:
        profile = getattr(reviewer, "reviewer_profile", None)
        for siren in profile.siren_set if profile else ():
            for organisation_id in by_siren.get(siren, []):
                pairs.add((reviewer.pk, organisation_id, ConflictSource.SIREN))
    for reviewer_id, organisation_id, source in sorted(pairs):
        _conflict, was_created = Conflict.objects.get_or_create(
            reviewer_id=reviewer_id,
            organisation_id=organisation_id,
            defaults={"source": source, "declared_at": now},
        )
        created += was_created
    return created


@transaction.atomic
def declare_conflict(*, reviewer: User, organisation: Organisation, note: str) -> Conflict:
    conflict, _created = Conflict.objects.get_or_create(
        reviewer=reviewer,
        organisation=organisation,
        defaults={"source": ConflictSource.DECLARED, "note": note, "declared_at": timezone.now()},
    )
    record(actor=reviewer, obj=organisation, action="declare_conflict", reason=note, public=False)
    return conflict


@transaction.atomic
def declare_conflict_on_assignment(
    *, assignment: Assignment, actor: User, note: str
) -> Assignment | None:
    """The expert discovers a conflict on an assigned application: the assignment is withdrawn and
    the application goes to the best available expert of the pool (None if nobody can take it)."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("application__call")
        .get(pk=assignment.pk)
    )
    if assignment.reviewer_id != actor.pk:
        raise ReviewError(_("Ce dossier ne vous est pas confié."))
    if not note.strip():
        raise ReviewError(_("Précisez la nature du conflit d'intérêts."))
    declare_conflict(reviewer=actor, organisation=assignment.application.organisation, note=note)
    assignment.status = AssignmentStatus.WITHDRAWN
    assignment.save()
    record(
        actor=actor,
        obj=assignment.application,
        action="reviewer_conflict",
        reason=note,
        public=False,
    )
    return reassign(application=assignment.application, actor=None)


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
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .values_list("reviewer_id", flat=True)
    ):
        loads[reviewer_id] = loads.get(reviewer_id, 0) + 1
    return loads


@transaction.atomic
def reassign(*, application: Application, actor: Any) -> Assignment | None:
    call = application.call
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
        run.problems = [
            _("Affectation impossible : il manque %(missing)d évaluation(s) de capacité.")
            % {"missing": error.missing},
            _("Dossiers concernés : %(names)s.") % {"names": names or "—"},
            str(error),
        ]
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
    pairs += [(int(a), int(r), 0.0) for a, r in added]
    applications = {
        a.pk: a
        for a in Application.objects.filter(
            pk__in={p[0] for p in pairs}, call=run.call
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


# ---- reviews -----------------------------------------------------------------------------------


def _parse_score(raw: str, criterion: Any, half_marks: bool) -> Decimal | None:
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("« %(v)s » n'est pas une note.") % {"v": raw}) from None
    if not (criterion.scale_min <= value <= criterion.scale_max):
        raise ValueError(
            _("La note doit être entre %(min)s et %(max)s.")
            % {"min": criterion.scale_min.normalize(), "max": criterion.scale_max.normalize()}
        )
    step = Decimal("0.5") if half_marks else Decimal("1")
    if (value / step) != (value / step).to_integral_value():
        raise ValueError(
            _("Les demi-points sont autorisés (ex. 3,5).")
            if half_marks
            else _("Notez en points entiers.")
        )
    return value


def save_review(
    *,
    assignment: Assignment,
    actor: Any,
    scores: dict[int, tuple[str, str]],
    overall: str,
    recommendation: str,
    submit: bool = False,
) -> Review:
    """Save the review (always, as typed) and submit it when asked and complete. Problems are raised
    after the draft is committed, so that a refused submission never loses what the expert wrote."""
    review, errors = _store_review(
        assignment=assignment,
        actor=actor,
        scores=scores,
        overall=overall,
        recommendation=recommendation,
        submit=submit,
    )
    if errors and submit:
        raise ReviewError(
            _(
                "L'évaluation est enregistrée comme brouillon ; corrigez les points signalés pour la remettre."
            ),
            errors,
        )
    return review


@transaction.atomic
def _store_review(
    *,
    assignment: Assignment,
    actor: Any,
    scores: dict[int, tuple[str, str]],
    overall: str,
    recommendation: str,
    submit: bool,
) -> tuple[Review, dict[str, str]]:
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("application__call")
        .get(pk=assignment.pk)
    )
    _require(can_review(actor, assignment))
    review, _created = Review.objects.get_or_create(assignment=assignment)
    if review.status == ReviewStatus.SUBMITTED:
        raise ReviewError(
            _(
                "Cette évaluation est remise : demandez au chargé de mission de la rouvrir pour la modifier."
            )
        )
    call = assignment.application.call
    errors: dict[str, str] = {}
    for criterion in call.criteria.all():
        raw, comment = scores.get(criterion.pk, ("", ""))
        try:
            value = _parse_score(raw, criterion, call.allow_half_marks)
        except ValueError as error:
            errors[f"criterion-{criterion.pk}"] = str(error)
            value = None
        CriterionScore.objects.update_or_create(
            review=review, criterion=criterion, defaults={"score": value, "comment": comment}
        )
        if submit and value is None and f"criterion-{criterion.pk}" not in errors:
            errors[f"criterion-{criterion.pk}"] = _("Notez ce critère.")
    review.overall_comment = overall
    review.recommendation = (
        recommendation if recommendation in {"fund", "fund_if", "do_not_fund"} else ""
    )
    if submit and not review.recommendation:
        errors["recommendation"] = _("Choisissez une recommandation.")
    if submit and not overall.strip():
        errors["overall"] = _("Rédigez un avis général.")
    if submit and not errors:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = timezone.now()
        assignment.status = AssignmentStatus.SUBMITTED
        assignment.save()
        record(actor=actor, obj=assignment.application, action="submit_review", public=False)
    review.save()
    return review, errors


@transaction.atomic
def reopen_review(*, review: Review, actor: Any, reason: str) -> Review:
    review = (
        Review.objects.select_for_update()
        .select_related("assignment__application__call")
        .get(pk=review.pk)
    )
    _require(can_manage_reviews(actor, review.assignment.application.call))
    review.status = ReviewStatus.DRAFT
    review.submitted_at = None
    review.save()
    Assignment.objects.filter(pk=review.assignment_id).update(status=AssignmentStatus.ASSIGNED)
    record(
        actor=actor,
        obj=review.assignment.application,
        action="reopen_review",
        reason=reason,
        public=False,
    )
    return review


@transaction.atomic
def close_reviews(*, call: Call, actor: Any) -> int:
    """Applications whose every active assignment is submitted move to 'reviewed'."""
    _require(can_manage_reviews(actor, call))
    closed = 0
    for application in Application.objects.filter(
        call=call, status=Status.IN_REVIEW
    ).prefetch_related("assignments"):
        active = [
            a for a in application.assignments.all() if a.status != AssignmentStatus.WITHDRAWN
        ]
        if active and all(a.status == AssignmentStatus.SUBMITTED for a in active):
            application_services.close_review(application=application, actor=actor)
            closed += 1
    return closed


def send_reminders(*, call: Call, now: datetime.datetime | None = None) -> int:
    """Remind experts with reviews still to do (run daily by the worker before the deadline)."""
    pending: dict[int, int] = {}
    for reviewer_id in Assignment.objects.filter(
        application__call=call, status=AssignmentStatus.ASSIGNED
    ).values_list("reviewer_id", flat=True):
        pending[reviewer_id] = pending.get(reviewer_id, 0) + 1
    sent = 0
    deadline = call.review_deadline
    for reviewer in User.objects.filter(pk__in=pending):
        text = _(
            "Bonjour,\n\nIl vous reste %(n)d évaluation(s) à remettre pour l'appel « %(call)s »%(deadline)s.\n"
            "%(link)s\n\nL'équipe Pépinière"
        ) % {
            "n": pending[reviewer.pk],
            "call": call.title,
            "deadline": (
                _(" avant le %(d)s")
                % {"d": timezone.localtime(deadline).strftime("%d/%m/%Y %H:%M")}
            )
            if deadline
            else "",
            "link": settings.SITE_URL + reverse("reviews:home"),
        }
        sent += send_mail(_("Rappel : évaluations à remettre"), text, None, [reviewer.email])
    return sent
