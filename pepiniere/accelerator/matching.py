"""Mentors matched to a cohort's start-ups with the assignment engine
(pepiniere.engine.assignment.assign_reviewers: an exact min-cost flow), as reviews/ matches experts.

Affinity (pepiniere.engine.affinity): TF-IDF similarity of the start-up's project (the selected
application's title, summary and innovation answer, and its sectors' names) with the mentor's
expertise, plus the share of the start-up's sectors the mentor covers. Each start-up without a
mentor gets the programme's ``mentors_per_startup`` distinct mentors; a mentor takes at most their
capacity minus the open stays they already follow; a mentor who is a member of the start-up's
organisation is a conflict, never proposed nor confirmed. The officer sees the proposal, swaps a
mentor for another, and confirms: the confirmation re-checks conflicts and capacity."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accelerator.models import (
    OPEN_STATUSES,
    Cohort,
    MatchingProposal,
    Mentor,
    Mentoring,
    Stay,
)
from pepiniere.accelerator.permissions import can_manage_programme
from pepiniere.accelerator.services import AcceleratorError, _require
from pepiniere.audit.services import record
from pepiniere.engine.affinity import combine_affinity, tfidf_similarity
from pepiniere.engine.assignment import InfeasibleAssignment, assign_reviewers
from pepiniere.lib.mail import mail_on_commit
from pepiniere.organisations.models import Membership


def stays_to_match(cohort: Cohort) -> list[Stay]:
    """The cohort's open stays that have no mentor yet."""
    return list(
        Stay.objects.filter(cohort=cohort, status__in=OPEN_STATUSES, mentorings__isnull=True)
        .select_related("organisation", "application")
        .prefetch_related("sectors")
        .order_by("start_date", "pk")
    )


def pool(cohort: Cohort) -> list[Mentor]:
    """The programme's available mentors, each with ``load``: the open stays they follow."""
    return pool_of_programme(cohort.programme_id)


def pool_of_programme(programme_id: int) -> list[Mentor]:
    return list(
        Mentor.objects.filter(programme_id=programme_id, active=True)
        .select_related("user")
        .prefetch_related("sectors")
        # ``load`` is declared on Mentor for the type checker; the query sets it.
        .annotate(
            **{"load": Count("mentorings", filter=Q(mentorings__stay__status__in=OPEN_STATUSES))}
        )
        .order_by("user__full_name", "pk")
    )


def _stay_text(stay: Stay) -> str:
    application = stay.application
    parts = [str(s.label_fr) for s in stay.sectors.all()]
    if application is not None:
        parts += [
            application.title,
            application.summary,
            str(application.answers.get("innovation", "")),
        ]
    return " ".join(parts)


def _mentor_text(mentor: Mentor) -> str:
    return " ".join([mentor.expertise, *(str(s.label_fr) for s in mentor.sectors.all())])


def affinity_matrix(stays: list[Stay], mentors: list[Mentor]) -> np.ndarray:
    if not stays or not mentors:
        return np.zeros((len(stays), len(mentors)))
    text = tfidf_similarity([_stay_text(s) for s in stays], [_mentor_text(m) for m in mentors])
    sector = np.zeros(text.shape)
    for i, stay in enumerate(stays):
        theirs = {s.code for s in stay.sectors.all()}
        if not theirs:
            continue
        for j, mentor in enumerate(mentors):
            sector[i, j] = len(theirs & {s.code for s in mentor.sectors.all()}) / len(theirs)
    return combine_affinity(text, sector)


def _members(stays: list[Stay], mentors: list[Mentor]) -> set[tuple[int, int]]:
    """(organisation id, user id) of the mentors who belong to one of the start-ups."""
    return set(
        Membership.objects.filter(
            organisation_id__in={s.organisation_id for s in stays},
            user_id__in={m.user_id for m in mentors},
        ).values_list("organisation_id", "user_id")
    )


@transaction.atomic
def propose_mentors(*, cohort: Cohort, actor: Any) -> MatchingProposal:
    """The engine's optimal proposal for the cohort's start-ups without mentors, or the reasons
    none exists (in French)."""
    programme = cohort.programme
    _require(can_manage_programme(actor, programme))
    proposal = MatchingProposal(cohort=cohort, created_by=actor, created_at=timezone.now())
    stays = stays_to_match(cohort)
    mentors = pool(cohort)
    if not stays:
        proposal.problems = [_("Toutes les start-ups en cours de cette cohorte ont leur mentor.")]
    elif not mentors:
        proposal.problems = [_("Le vivier de mentors est vide : ajoutez des mentors.")]
    if proposal.problems:
        proposal.save()
        return proposal
    matrix = affinity_matrix(stays, mentors)
    members = _members(stays, mentors)
    conflicts = [
        (i, j)
        for i, stay in enumerate(stays)
        for j, mentor in enumerate(mentors)
        if (stay.organisation_id, mentor.user_id) in members
    ]
    free = np.array([max(0, m.capacity - m.load) for m in mentors])
    try:
        result = assign_reviewers(matrix, programme.mentors_per_startup, free, conflicts=conflicts)
    except InfeasibleAssignment as error:
        # The engine's message is English and names rows by index: the officer reads the
        # figures and the names.
        names = ", ".join(stays[i].organisation.name for i in error.applications[:20])
        proposal.problems = [
            _(
                "Appariement impossible : il manque %(missing)d place(s) de mentor pour donner "
                "%(k)d mentor(s) à chaque start-up (places libres : %(free)d)."
            )
            % {"missing": error.missing, "k": programme.mentors_per_startup, "free": free.sum()},
            _("Start-ups concernées : %(names)s.") % {"names": names or _("toute la cohorte")},
            _(
                "Ajoutez des mentors au vivier, augmentez la capacité d'un·e mentor, ou "
                "réduisez le nombre de mentors par start-up."
            ),
        ]
        proposal.save()
        return proposal
    proposal.pairs = [
        [stays[i].pk, mentors[j].pk, round(float(matrix[i, j]), 4)] for i, j in result.pairs
    ]
    proposal.save()
    record(actor=actor, obj=cohort, action="propose_mentors", public=False)
    return proposal


def _check_pairs(cohort: Cohort, pairs: list[tuple[int, int]]) -> None:
    """Refuse a conflicted pair, a mentor twice on one stay, a mentor over capacity."""
    stays = {s.pk: s for s in Stay.objects.filter(cohort=cohort).select_related("organisation")}
    mentors = {m.pk: m for m in pool(cohort)}
    if len(set(pairs)) != len(pairs):
        raise AcceleratorError(_("Un·e mentor est proposé·e deux fois à la même start-up."))
    unknown = [pair for pair in pairs if pair[0] not in stays or pair[1] not in mentors]
    if unknown:
        raise AcceleratorError(_("Cette proposition cite un séjour ou un·e mentor inconnu·e."))
    members = _members(list(stays.values()), list(mentors.values()))
    for stay_id, mentor_id in pairs:
        stay, mentor = stays[stay_id], mentors[mentor_id]
        if (stay.organisation_id, mentor.user_id) in members:
            raise AcceleratorError(
                _("%(mentor)s est membre de %(startup)s : conflit d'intérêts.")
                % {"mentor": mentor, "startup": stay.organisation.name}
            )
    for mentor_id, taken in Counter(m for _s, m in pairs).items():
        mentor = mentors[mentor_id]
        if mentor.load + taken > mentor.capacity:
            raise AcceleratorError(
                _(
                    "%(mentor)s suit déjà %(load)d start-up(s) et en recevrait %(taken)d de "
                    "plus, pour une capacité de %(capacity)d à la fois."
                )
                % {
                    "mentor": mentor,
                    "load": mentor.load,
                    "taken": taken,
                    "capacity": mentor.capacity,
                }
            )


def _locked_proposal(proposal: MatchingProposal) -> MatchingProposal:
    locked = (
        MatchingProposal.objects.select_for_update(of=("self",))
        .select_related("cohort__programme")
        .get(pk=proposal.pk)
    )
    if locked.confirmed_at is not None:
        raise AcceleratorError(_("Cette proposition est déjà confirmée."))
    return locked


@transaction.atomic
def swap_mentor(
    *, proposal: MatchingProposal, stay_id: int, old_mentor_id: int, new_mentor_id: int, actor: Any
) -> MatchingProposal:
    """The officer's adjustment: ``new`` instead of ``old`` for one start-up."""
    proposal = _locked_proposal(proposal)
    _require(can_manage_programme(actor, proposal.cohort.programme))
    pairs = [(int(s), int(m)) for s, m, _a in proposal.pairs]
    if (stay_id, old_mentor_id) not in pairs:
        raise AcceleratorError(_("Ce mentor n'est pas proposé à cette start-up."))
    if old_mentor_id == new_mentor_id:
        return proposal
    changed = [
        (s, new_mentor_id) if (s, m) == (stay_id, old_mentor_id) else (s, m) for s, m in pairs
    ]
    _check_pairs(proposal.cohort, changed)
    proposal.pairs = [
        [s, new_mentor_id, 0.0] if (s, m) == (stay_id, old_mentor_id) else [s, m, a]
        for s, m, a in proposal.pairs
    ]
    proposal.save(update_fields=["pairs"])
    record(
        actor=actor,
        obj=proposal.cohort,
        action="swap_mentor",
        reason=f"{stay_id}: {old_mentor_id} → {new_mentor_id}",
        public=False,
    )
    return proposal


@transaction.atomic
def confirm_mentors(*, proposal: MatchingProposal, actor: Any) -> int:
    """The proposal (as adjusted) becomes the stays' mentors. Returns the mentorings made."""
    proposal = _locked_proposal(proposal)
    cohort = proposal.cohort
    _require(can_manage_programme(actor, cohort.programme))
    pairs = [(int(s), int(m)) for s, m, _a in proposal.pairs]
    if not pairs:
        raise AcceleratorError(_("Cette proposition ne contient aucun mentor à confirmer."))
    _check_pairs(cohort, pairs)
    if Mentoring.objects.filter(stay_id__in={s for s, _m in pairs}).exists():
        raise AcceleratorError(
            _("Des mentors ont été confirmé·es entre-temps : demandez une nouvelle proposition.")
        )
    now = timezone.now()
    affinity = {(int(s), int(m)): float(a) for s, m, a in proposal.pairs}
    Mentoring.objects.bulk_create(
        [
            Mentoring(
                stay_id=s,
                mentor_id=m,
                affinity=affinity[(s, m)],
                assigned_at=now,
                assigned_by=actor,
            )
            for s, m in pairs
        ]
    )
    proposal.confirmed_at = now
    proposal.save(update_fields=["confirmed_at"])
    record(actor=actor, obj=cohort, action="confirm_mentors", reason=str(len(pairs)))
    _tell_mentors(pairs, cohort)
    return len(pairs)


def _tell_mentors(pairs: list[tuple[int, int]], cohort: Cohort) -> None:
    """Each mentor learns, after the commit, which start-up they accompany."""
    stays = Stay.objects.filter(pk__in={s for s, _m in pairs}).select_related("organisation")
    names = {s.pk: s.organisation.name for s in stays}
    mentors = Mentor.objects.filter(pk__in={m for _s, m in pairs}).select_related("user")
    people = {m.pk: m.user for m in mentors}
    for stay_id, mentor_id in pairs:
        user = people[mentor_id]
        mail_on_commit(
            template="accelerator/email/mentor_confirmed.txt",
            to=user.email,
            language=user.language,
            context={
                "name": user.get_short_name(),
                "startup": names[stay_id],
                "programme": cohort.programme.name,
                "path": reverse("accelerator:stay", args=[stay_id]),
            },
        )
