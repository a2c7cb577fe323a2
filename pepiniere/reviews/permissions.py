from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import is_call_staff
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.reviews.models import Assignment, AssignmentStatus, Conflict, ReviewStatus


def has_conflict(user: Any, organisation_id: int) -> bool:
    return Conflict.objects.filter(reviewer=user, organisation_id=organisation_id).exists()


def can_read_as_assigned_expert(user: Any, application: Application) -> Verdict:
    """An expert reads the application assigned to them (still in force), free of conflict;
    registered with applications.permissions.application_readers (see ReviewsConfig.ready)."""
    assigned = Assignment.objects.filter(application=application, reviewer=user).active().exists()
    if assigned and not has_conflict(user, application.organisation_id):
        return allow(_("Ce dossier vous est confié pour évaluation."))
    return deny(_("Ce dossier ne vous est pas confié."))


def can_review(user: Any, assignment: Assignment) -> Verdict:
    if not user.is_authenticated or assignment.reviewer_id != user.pk:
        return deny(_("Ce dossier ne vous est pas confié."))
    if assignment.status == AssignmentStatus.CONFLICTED:
        return deny(
            _(
                "Votre conflit d'intérêts sur ce dossier a été accepté : votre évaluation ne compte plus."
            )
        )
    if assignment.status == AssignmentStatus.WITHDRAWN:
        return deny(
            _(
                "Ce dossier vous a été retiré pour conflit d'intérêts : il a été confié à quelqu'un d'autre."
            )
        )
    if has_conflict(user, assignment.application.organisation_id):
        return deny(_("Vous êtes en conflit d'intérêts avec cette structure."))
    return allow()


def can_see_other_reviews(user: Any, assignment: Assignment) -> Verdict:
    call = assignment.application.call
    if not call.show_other_reviews:
        return deny(_("Cet appel ne montre pas les autres évaluations aux expert·es."))
    review = getattr(assignment, "review", None)
    if review is None or review.status != ReviewStatus.SUBMITTED:
        return deny(_("Vous verrez les autres évaluations après avoir remis la vôtre."))
    return allow()


def can_manage_reviews(user: Any, call: Call) -> Verdict:
    if is_call_staff(user, call, Role.OFFICER):
        return allow()
    return deny(_("Seul·es les chargé·es de mission du financeur organisent l'expertise."))


def can_see_ranking(user: Any, call: Call) -> Verdict:
    if is_call_staff(user, call, Role.OFFICER) or is_call_staff(user, call, Role.JURY):
        return allow()
    return deny(_("Le classement est réservé aux chargé·es de mission et au jury."))


def can_decide_as_jury(user: Any, call: Call) -> Verdict:
    if is_call_staff(user, call, Role.JURY):
        return allow()
    return deny(_("Seul·es les membres du jury de cet appel décident."))
