"""Mentor matching with the assignment engine: its guarantees hold (every start-up gets its
mentors when that is feasible, no mentor above capacity, no conflicted pair), the officer swaps
and confirms, and an infeasible match reads in French."""

from __future__ import annotations

import datetime
import random
from collections import Counter

import pytest

from pepiniere.accelerator import matching, services
from pepiniere.accelerator.models import Mentoring
from pepiniere.accelerator.services import AcceleratorError
from pepiniere.accelerator.tests.factories import (
    make_accelerator,
    make_mentor,
    make_sector,
    make_selected,
)
from pepiniere.organisations.models import MemberRole, Membership

pytestmark = pytest.mark.django_db

D = datetime.date


def _cohort(programme, officer, applications, day=None):
    day = day or D(2016, 1, 4)
    return services.form_cohort(
        programme=programme, year=day.year, starts=[(a, day) for a in applications], actor=officer
    )


def test_affinity_follows_sectors_and_texts():
    programme, officer = make_accelerator()
    health = make_sector("e-sante", "e-santé")
    finance = make_sector("fintech", "fintech")
    doctor = make_selected(
        programme,
        "Dossier Médical Libre",
        title="Dossier patient libre",
        summary="Logiciel libre de dossier médical pour les hôpitaux",
    )
    bank = make_selected(
        programme,
        "Compta Ouverte",
        title="Comptabilité libre",
        summary="Paiements et comptabilité pour les banques coopératives",
    )
    cohort = _cohort(programme, officer, [doctor, bank])
    doctor_stay, bank_stay = cohort.stays.order_by("pk")
    doctor_stay.sectors.set([health])
    bank_stay.sectors.set([finance])
    make_mentor(
        programme,
        officer,
        full_name="Anne Santé",
        sectors=[health],
        expertise="hôpitaux, dossier médical, données de santé",
        capacity=1,
    )
    make_mentor(
        programme,
        officer,
        full_name="Bruno Banque",
        sectors=[finance],
        expertise="banques, paiements, comptabilité",
        capacity=1,
    )
    proposal = matching.propose_mentors(cohort=cohort, actor=officer)
    assert proposal.problems == []
    names = {s: m for s, m, _a in proposal.pairs}
    from pepiniere.accelerator.models import Mentor

    assert str(Mentor.objects.get(pk=names[doctor_stay.pk])) == "Anne Santé"
    assert str(Mentor.objects.get(pk=names[bank_stay.pk])) == "Bruno Banque"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engine_guarantees_hold(seed):
    rng = random.Random(seed)
    programme, officer = make_accelerator(mentors_per_startup=2, max_concurrent=6)
    applications = [make_selected(programme) for _ in range(6)]
    mentors = [
        make_mentor(programme, officer, capacity=rng.randint(2, 3), expertise=f"sujet {i}")
        for i in range(7)
    ]
    # Some mentors belong to some start-ups: never proposed to them.
    conflicted = set()
    for application in rng.sample(applications, 3):
        mentor = rng.choice(mentors)
        Membership.objects.create(
            user=mentor.user, organisation=application.organisation, role=MemberRole.MEMBER
        )
        conflicted.add((application.organisation_id, mentor.pk))
    cohort = _cohort(programme, officer, applications)
    proposal = matching.propose_mentors(cohort=cohort, actor=officer)
    capacity = {m.pk: m.capacity for m in mentors}
    # 14 places or more for 12 pairs, at most one conflict per start-up: feasible.
    assert proposal.problems == []
    stays = {s.pk: s for s in cohort.stays.all()}
    per_stay = Counter(s for s, _m, _a in proposal.pairs)
    assert set(per_stay) == set(stays) and set(per_stay.values()) == {2}
    for mentor_id, load in Counter(m for _s, m, _a in proposal.pairs).items():
        assert load <= capacity[mentor_id]
    for stay_id, mentor_id, _a in proposal.pairs:
        assert (stays[stay_id].organisation_id, mentor_id) not in conflicted
    assert matching.confirm_mentors(proposal=proposal, actor=officer) == 12


def test_infeasible_match_says_why_in_french():
    programme, officer = make_accelerator(mentors_per_startup=1)
    cohort = _cohort(
        programme, officer, [make_selected(programme, n) for n in ("Alpha", "Beta", "Gamma")]
    )
    make_mentor(programme, officer, capacity=2)
    proposal = matching.propose_mentors(cohort=cohort, actor=officer)
    assert proposal.pairs == []
    assert proposal.problems[0] == (
        "Appariement impossible : il manque 1 place(s) de mentor pour donner 1 mentor(s) à "
        "chaque start-up (places libres : 2)."
    )
    assert proposal.problems[1].startswith("Start-ups concernées : ")


def test_a_member_of_the_start_up_is_never_its_mentor():
    programme, officer = make_accelerator()
    insider = make_mentor(
        programme, officer, full_name="Initiée", capacity=5, expertise="logiciel libre"
    )
    application = make_selected(programme, "Maison", title="Logiciel libre", member=insider.user)
    cohort = _cohort(programme, officer, [application])
    proposal = matching.propose_mentors(cohort=cohort, actor=officer)
    assert proposal.pairs == [] and proposal.problems
    outsider = make_mentor(programme, officer, full_name="Extérieur", capacity=1)
    proposal = matching.propose_mentors(cohort=cohort, actor=officer)
    ((stay_id, mentor_id, _a),) = proposal.pairs
    assert mentor_id == outsider.pk
    with pytest.raises(AcceleratorError, match="Initiée est membre de Maison : conflit d'intérêts"):
        matching.swap_mentor(
            proposal=proposal,
            stay_id=stay_id,
            old_mentor_id=outsider.pk,
            new_mentor_id=insider.pk,
            actor=officer,
        )


def test_officer_swaps_then_confirms_and_capacity_is_checked(
    mailoutbox, django_capture_on_commit_callbacks
):
    programme, officer = make_accelerator()
    cohort = _cohort(programme, officer, [make_selected(programme) for _ in range(2)])
    first = make_mentor(programme, officer, full_name="Première", capacity=1)
    second = make_mentor(programme, officer, full_name="Seconde", capacity=1)
    third = make_mentor(programme, officer, full_name="Troisième", capacity=1)
    proposal = matching.propose_mentors(cohort=cohort, actor=officer)
    pairs = [(s, m) for s, m, _a in proposal.pairs]
    assert len(pairs) == 2 and len({m for _s, m in pairs}) == 2
    (stay_a, mentor_a), (stay_b, mentor_b) = pairs
    with pytest.raises(AcceleratorError) as refused:
        matching.swap_mentor(
            proposal=proposal,
            stay_id=stay_b,
            old_mentor_id=mentor_b,
            new_mentor_id=mentor_a,
            actor=officer,
        )
    assert str(refused.value).endswith(
        "suit déjà 0 start-up(s) et en recevrait 2 de plus, pour une capacité de 1 à la fois."
    )
    unused = ({first.pk, second.pk, third.pk} - {mentor_a, mentor_b}).pop()
    matching.swap_mentor(
        proposal=proposal,
        stay_id=stay_b,
        old_mentor_id=mentor_b,
        new_mentor_id=unused,
        actor=officer,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert matching.confirm_mentors(proposal=proposal, actor=officer) == 2
    assert sorted(m.subject.split(" : ")[0] for m in mailoutbox) == ["Accélérateur open source"] * 2
    assert "saisissez vos séances ici" in mailoutbox[0].body
    assert set(Mentoring.objects.values_list("stay_id", "mentor_id")) == {
        (stay_a, mentor_a),
        (stay_b, unused),
    }
    with pytest.raises(AcceleratorError, match="déjà confirmée"):
        matching.confirm_mentors(proposal=proposal, actor=officer)
    # Every start-up has its mentor now.
    again = matching.propose_mentors(cohort=cohort, actor=officer)
    assert again.problems == ["Toutes les start-ups en cours de cette cohorte ont leur mentor."]
    # A mentor's load counts: the used ones have no place left for another cohort.
    assert {m.pk: m.load for m in matching.pool(cohort)} == {
        mentor_a: 1,
        unused: 1,
        mentor_b: 0,
    }
