"""Who may see and act on the accelerator: the officers of the programme's funder run it (an
administrator too); a start-up's members see their own stay; a mentor sees the stays they mentor
and records their sessions. Another funder's officer sees nothing (404: not theirs to know)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accelerator.models import AcceleratorProgramme, Milestone, Stay
from pepiniere.accounts.models import Role
from pepiniere.applications.permissions import is_member
from pepiniere.lib.permissions import Verdict, allow, deny


def officer_funder_ids(user: Any) -> set[int] | None:
    """The funders whose accelerators the user runs; None for an administrator (all)."""
    if not user.is_authenticated:
        return set()
    if user.has_role(Role.ADMIN):
        return None
    ids: set[int] = user.funder_ids(Role.OFFICER)
    return ids


def runs_programme(user: Any, programme: AcceleratorProgramme) -> bool:
    ids = officer_funder_ids(user)
    return ids is None or programme.funder_id in ids


def can_manage_programme(user: Any, programme: AcceleratorProgramme) -> Verdict:
    """Form cohorts, renew, end stays, keep the mentor pool, match: the funder's officers."""
    if runs_programme(user, programme):
        return allow()
    return deny(_("Seul·es les chargé·es de mission du financeur gèrent cet accélérateur."))


def mentors_stay(user: Any, stay: Stay) -> bool:
    if not user.is_authenticated:
        return False
    return stay.mentorings.filter(mentor__user=user).exists()


def can_see_stay(user: Any, stay: Stay) -> Verdict:
    """The start-up's members, its mentors, the programme's officers."""
    if is_member(user, stay.organisation_id):
        return allow()
    if runs_programme(user, stay.cohort.programme) or mentors_stay(user, stay):
        return allow()
    return deny(_("Ce séjour d'accélération ne vous est pas accessible."))


def can_record_session(user: Any, stay: Stay) -> Verdict:
    """A mentoring session: one of the stay's mentors (for themselves) or an officer."""
    if runs_programme(user, stay.cohort.programme) or mentors_stay(user, stay):
        if not stay.is_open:
            return deny(_("Ce séjour est terminé : plus de séance à saisir."))
        return allow()
    return deny(_("Seul·es les mentors du séjour et le financeur saisissent les séances."))


def can_follow_milestones(user: Any, stay: Stay) -> Verdict:
    """Plan milestones and say whether they were reached: the officers and the stay's mentors."""
    if runs_programme(user, stay.cohort.programme) or mentors_stay(user, stay):
        return allow()
    return deny(_("Seul·es les mentors du séjour et le financeur suivent les jalons."))


def can_decide_milestone(user: Any, milestone: Milestone) -> Verdict:
    return can_follow_milestones(user, milestone.stay)
