"""Expert reviews: drafting, submission, reopening, closing and reminders.

Pool/invitation/conflict services live in :mod:`pepiniere.reviews.pool`, assignment services in
:mod:`pepiniere.reviews.assignment_services`; they are re-exported here for callers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.models import User
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.lib.dates import long_datetime
from pepiniere.lib.money import AmountError, parse_decimal
from pepiniere.reviews.assignment_services import ConflictOutcome as ConflictOutcome
from pepiniere.reviews.assignment_services import affinity_matrix as affinity_matrix
from pepiniere.reviews.assignment_services import applications_to_assign as applications_to_assign
from pepiniere.reviews.assignment_services import confirm_assignment as confirm_assignment
from pepiniere.reviews.assignment_services import (
    decide_conflict_request as decide_conflict_request,
)
from pepiniere.reviews.assignment_services import (
    declare_conflict_on_assignment as declare_conflict_on_assignment,
)
from pepiniere.reviews.assignment_services import place_bid as place_bid
from pepiniere.reviews.assignment_services import propose_assignment as propose_assignment
from pepiniere.reviews.assignment_services import reassign as reassign
from pepiniere.reviews.assignment_services import reviews_open as reviews_open
from pepiniere.reviews.errors import ReviewError as ReviewError
from pepiniere.reviews.errors import require as _require
from pepiniere.reviews.models import (
    Assignment,
    AssignmentStatus,
    CriterionScore,
    Review,
    ReviewStatus,
)
from pepiniere.reviews.permissions import can_manage_reviews, can_review
from pepiniere.reviews.pool import accept_invitation as accept_invitation
from pepiniere.reviews.pool import add_to_pool as add_to_pool
from pepiniere.reviews.pool import declare_conflict as declare_conflict
from pepiniere.reviews.pool import detect_conflicts as detect_conflicts
from pepiniere.reviews.pool import detect_conflicts_of_reviewer as detect_conflicts_of_reviewer
from pepiniere.reviews.pool import invite_reviewer as invite_reviewer

# ---- reviews -----------------------------------------------------------------------------------


def _parse_score(raw: str, criterion: Any, half_marks: bool) -> Decimal | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = parse_decimal(text, max_decimals=1, maximum=Decimal(1000))
    except AmountError:
        raise ValueError(_("« %(v)s » n'est pas une note.") % {"v": text[:40]}) from None
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
    if review.assignment.status != AssignmentStatus.SUBMITTED:
        # A withdrawn or set-aside assignment stays out of the review for good.
        raise ReviewError(
            _(
                "Cette évaluation est écartée pour conflit d'intérêts : elle ne peut pas être rouverte."
            )
        )
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


@dataclass
class ShortOfReviews:
    """An application that stays « en expertise » when reviews are closed, and why (French)."""

    application: Application
    counted: int
    required: int
    reasons: list[str]


@dataclass
class CloseOutcome:
    closed: int = 0
    short: list[ShortOfReviews] = field(default_factory=list)


def _short_reasons(assignments: list[Assignment], counted: set[int]) -> list[str]:
    reasons = []
    late = [a for a in assignments if a.status == AssignmentStatus.ASSIGNED]
    if late:
        reasons.append(
            _("évaluation encore à remettre : %(names)s")
            % {"names": ", ".join(str(a.reviewer) for a in late)}
        )
    set_aside = [
        a
        for a in assignments
        if a.pk not in counted
        and getattr(a, "review", None) is not None
        and a.review.status == ReviewStatus.SUBMITTED
    ]
    if set_aside:
        reasons.append(
            _("évaluation écartée pour conflit d'intérêts : %(names)s")
            % {"names": ", ".join(str(a.reviewer) for a in set_aside)}
        )
    if not late:
        reasons.append(_("aucun·e autre expert·e n'évalue ce dossier : affectez-en un·e"))
    return reasons


@transaction.atomic
def close_reviews(*, call: Call, actor: Any) -> CloseOutcome:
    """Applications with no review still to submit and at least the call's « avis par dossier »
    counted reviews (``Review.objects.counted()``: a review set aside for a conflict does not
    count) move to « expertisé ». The others stay « en expertise », as a late review always
    did, and are listed with the reason, for the officer to chase or reassign."""
    _require(can_manage_reviews(actor, call))
    required = max(call.reviews_per_application, 1)
    counted = set(
        Review.objects.counted()
        .filter(assignment__application__call=call)
        .values_list("assignment_id", flat=True)
    )
    outcome = CloseOutcome()
    applications = (
        Application.objects.filter(call=call, status=Status.IN_REVIEW)
        .prefetch_related("assignments__reviewer", "assignments__review")
        .order_by("number", "pk")
    )
    for application in applications:
        assignments = list(application.assignments.all())
        n_counted = sum(a.pk in counted for a in assignments)
        pending = any(a.status == AssignmentStatus.ASSIGNED for a in assignments)
        if not pending and n_counted >= required:
            application_services.close_review(application=application, actor=actor)
            outcome.closed += 1
        else:
            outcome.short.append(
                ShortOfReviews(
                    application=application,
                    counted=n_counted,
                    required=required,
                    reasons=_short_reasons(assignments, counted),
                )
            )
    return outcome


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
            "deadline": (_(" avant le %(d)s") % {"d": long_datetime(deadline)}) if deadline else "",
            "link": settings.SITE_URL + reverse("reviews:home"),
        }
        sent += send_mail(_("Rappel : évaluations à remettre"), text, None, [reviewer.email])
    return sent
