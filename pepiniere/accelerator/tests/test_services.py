"""Cohorts, the stay's lifecycle and the capacity rules, each refusal with its message."""

from __future__ import annotations

import datetime

import pytest

from pepiniere.accelerator import services
from pepiniere.accelerator.models import MilestoneStatus, StayStatus
from pepiniere.accelerator.services import AcceleratorError
from pepiniere.accelerator.tests.factories import (
    make_accelerator,
    make_mentor,
    make_selected,
    start,
)
from pepiniere.accounts.models import Role
from pepiniere.applications.models import Status
from pepiniere.audit.labels import action_label
from pepiniere.audit.models import AuditEntry
from pepiniere.lib.testing.factories import make_funder, make_user

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def accelerator():
    return make_accelerator()


def test_a_cohort_is_formed_from_the_jury_selection(accelerator):
    programme, officer = accelerator
    selected = make_selected(programme, "Libre Logistique")
    awarded = make_selected(programme, "Code Commun", status=Status.AWARDED)
    make_selected(programme, "Recalée", status=Status.REJECTED)
    assert {a.organisation.name for a in services.selected_applications(programme)} == {
        "Libre Logistique",
        "Code Commun",
    }
    cohort = services.form_cohort(
        programme=programme,
        year=2016,
        starts=[(selected, D(2016, 1, 4)), (awarded, D(2016, 3, 1))],
        actor=officer,
    )
    stays = list(cohort.stays.order_by("start_date"))
    assert [(s.start_date, s.planned_end, s.status) for s in stays] == [
        (D(2016, 1, 4), D(2016, 7, 4), StayStatus.ACTIVE),
        (D(2016, 3, 1), D(2016, 9, 1), StayStatus.ACTIVE),
    ]
    assert services.selected_applications(programme) == []
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-3:] == ["form_cohort", "start_stay", "start_stay"]
    assert action_label("start_stay") == "séjour d'accélération commencé"


def test_an_application_the_jury_did_not_select_cannot_start(accelerator):
    programme, officer = accelerator
    rejected = make_selected(programme, "Recalée", status=Status.REJECTED)
    with pytest.raises(AcceleratorError, match="Recalée n'a pas été retenu·e par le jury"):
        services.form_cohort(
            programme=programme, year=2016, starts=[(rejected, D(2016, 1, 4))], actor=officer
        )


def test_the_seventh_start_up_of_a_year_is_refused_with_the_figures(accelerator):
    programme, officer = accelerator
    # Six stays in 2016, never more than four at a time (two waves of three).
    start(programme, officer, *[D(2016, 1, 4)] * 3, *[D(2016, 7, 4)] * 3)
    seventh = make_selected(programme, "Septième")
    with pytest.raises(AcceleratorError) as refused:
        services.form_cohort(
            programme=programme, year=2016, starts=[(seventh, D(2016, 12, 1))], actor=officer
        )
    assert str(refused.value) == (
        "Septième ne peut pas commencer le 1er décembre 2016. Capacité annuelle atteinte : 6 "
        "start-ups ont déjà commencé leur séjour en 2016, pour 6 places par an."
    )
    # The next year has its own places.
    services.form_cohort(
        programme=programme, year=2017, starts=[(seventh, D(2017, 1, 9))], actor=officer
    )


def test_the_fifth_at_a_time_is_refused_naming_the_day_and_the_four(accelerator):
    programme, officer = accelerator
    stays = start(programme, officer, D(2016, 1, 4), D(2016, 2, 1), D(2016, 3, 1), D(2016, 4, 4))
    fifth = make_selected(programme, "Cinquième")
    with pytest.raises(AcceleratorError) as refused:
        services.form_cohort(
            programme=programme, year=2016, starts=[(fifth, D(2016, 6, 1))], actor=officer
        )
    names = ", ".join(s.organisation.name for s in stays)
    assert str(refused.value) == (
        "Cinquième ne peut pas commencer le 1er juin 2016. Au plus 4 start-ups à la fois : le "
        f"1er juin 2016, 4 séjours sont déjà en cours ({names})."
    )
    # The day the first place frees (4 July), it fits; a stay that left early frees its place.
    services.form_cohort(
        programme=programme, year=2016, starts=[(fifth, D(2016, 7, 4))], actor=officer
    )
    services.leave_stay(stay=stays[1], actor=officer, reason="Cessation", on=D(2016, 5, 2))
    sixth = make_selected(programme, "Sixième")
    services.form_cohort(
        programme=programme, year=2016, starts=[(sixth, D(2016, 5, 2))], actor=officer
    )


def test_a_form_with_one_refused_start_up_adds_nobody(accelerator):
    programme, officer = accelerator
    applications = [make_selected(programme) for _ in range(5)]
    with pytest.raises(AcceleratorError, match="Au plus 4 start-ups à la fois"):
        services.form_cohort(
            programme=programme,
            year=2016,
            starts=[(a, D(2016, 1, 4)) for a in applications],
            actor=officer,
        )
    assert len(services.selected_applications(programme)) == 5


def test_renewal_moves_the_end_once_and_counts_at_a_time(accelerator):
    programme, officer = accelerator
    first, *others = start(programme, officer, D(2016, 1, 4), D(2016, 2, 1), D(2016, 3, 1))
    renewed = services.renew_stay(stay=first, actor=officer)
    assert (renewed.status, renewed.planned_end, renewed.renewed) == (
        StayStatus.RENEWED,
        D(2017, 1, 4),
        True,
    )
    entry = AuditEntry.objects.get(action="renew_stay")
    assert (entry.from_state, entry.to_state) == ("active", "renewed")
    assert entry.reason == "fin prévue reportée du 4 juillet 2016 au 4 janvier 2017"
    with pytest.raises(AcceleratorError) as refused:
        services.renew_stay(stay=first, actor=officer)
    assert str(refused.value) == (
        "Ce séjour a déjà été renouvelé une fois : un seul renouvellement de 6 mois est possible."
    )
    # Two more start on 1 September, with the renewed one and August's: four that day, so the
    # March stay cannot be renewed past it.
    start(programme, officer, D(2016, 8, 1), D(2016, 9, 1), D(2016, 9, 1))
    with pytest.raises(AcceleratorError) as refused:
        services.renew_stay(stay=others[1], actor=officer)
    assert str(refused.value).startswith(
        "Au plus 4 start-ups à la fois : le 1er septembre 2016, 4 séjours sont déjà en cours ("
    )


def test_a_planned_renewal_holds_its_place(accelerator):
    programme, officer = accelerator
    first, *_others = start(
        programme, officer, D(2016, 1, 4), D(2016, 2, 1), D(2016, 3, 1), D(2016, 4, 4)
    )
    services.renew_stay(stay=first, actor=officer)
    late = make_selected(programme, "Tardive")
    # Without the renewal the first place frees on 4 July (see above); with it, not before 2017.
    with pytest.raises(AcceleratorError, match="le 4 juillet 2016, 4 séjours sont déjà en cours"):
        services.form_cohort(
            programme=programme, year=2016, starts=[(late, D(2016, 7, 4))], actor=officer
        )


def test_state_machine(accelerator):
    programme, officer = accelerator
    graduating, leaving = start(programme, officer, D(2016, 1, 4), D(2016, 1, 4))
    with pytest.raises(AcceleratorError, match="Indiquez le motif"):
        services.leave_stay(stay=leaving, actor=officer, reason="  ")
    left = services.leave_stay(
        stay=leaving, actor=officer, reason="Rachat par un groupe", on=D(2016, 3, 15)
    )
    assert (left.status, left.ended_on, left.leave_reason) == (
        StayStatus.LEFT,
        D(2016, 3, 15),
        "Rachat par un groupe",
    )
    graduated = services.graduate_stay(stay=graduating, actor=officer, on=D(2016, 9, 1))
    assert (graduated.status, graduated.ended_on) == (StayStatus.GRADUATED, D(2016, 7, 4))
    with pytest.raises(
        AcceleratorError, match="« terminé avec succès » : impossible de le renouveler"
    ):
        services.renew_stay(stay=graduated, actor=officer)
    with pytest.raises(
        AcceleratorError, match="« sorti avant la fin » : impossible de le terminer"
    ):
        services.graduate_stay(stay=left, actor=officer)
    assert list(
        AuditEntry.objects.filter(action__in=["graduate_stay", "leave_stay"])
        .order_by("pk")
        .values_list("action", "from_state", "to_state", "reason")
    ) == [
        ("leave_stay", "active", "left", "Rachat par un groupe"),
        ("graduate_stay", "active", "graduated", ""),
    ]


def test_only_the_funders_officers_run_the_programme(accelerator):
    programme, officer = accelerator
    (stay,) = start(programme, officer, D(2016, 1, 4))
    other_officer = make_user(role=Role.OFFICER, funder=make_funder("Autre région"))
    member = stay.organisation.members.get()
    for actor in (other_officer, member):
        with pytest.raises(AcceleratorError, match="Seul·es les chargé·es de mission"):
            services.renew_stay(stay=stay, actor=actor)
        with pytest.raises(AcceleratorError, match="Seul·es les chargé·es de mission"):
            services.form_cohort(
                programme=programme,
                year=2016,
                starts=[(make_selected(programme), D(2016, 2, 1))],
                actor=actor,
            )


def test_sessions_and_milestones(accelerator):
    programme, officer = accelerator
    (stay,) = start(programme, officer, D(2016, 1, 4))
    mentor = make_mentor(programme, officer, full_name="Hélène Mentor")
    other = make_mentor(programme, officer, full_name="Paul Ailleurs")
    from django.utils import timezone

    from pepiniere.accelerator.models import Mentoring

    Mentoring.objects.create(
        stay=stay, mentor=mentor, assigned_at=timezone.now(), assigned_by=officer
    )
    session = services.record_session(
        stay=stay, mentor=mentor, held_on=D(2016, 2, 1), topic="Licence", actor=mentor.user
    )
    assert session.recorded_by == mentor.user
    with pytest.raises(AcceleratorError, match="Seul·es les mentors du séjour"):
        services.record_session(
            stay=stay, mentor=mentor, held_on=D(2016, 2, 1), topic="x", actor=other.user
        )
    with pytest.raises(AcceleratorError, match="n'est pas mentor de ce séjour"):
        services.record_session(
            stay=stay, mentor=other, held_on=D(2016, 2, 1), topic="x", actor=officer
        )
    milestone = services.plan_milestone(
        stay=stay, title="Première version publiée", due_date=D(2016, 4, 1), actor=officer
    )
    with pytest.raises(AcceleratorError, match="Un jalon atteint se prouve"):
        services.reach_milestone(milestone=milestone, actor=mentor.user)
    reached = services.reach_milestone(
        milestone=milestone, actor=mentor.user, evidence="Version 1.0 sur le dépôt public"
    )
    assert reached.status == MilestoneStatus.REACHED
    with pytest.raises(AcceleratorError, match="Ce jalon est déjà « atteint »"):
        services.miss_milestone(milestone=milestone, actor=officer)
    missed = services.miss_milestone(
        milestone=services.plan_milestone(
            stay=stay, title="Premier client", due_date=D(2016, 6, 1), actor=officer
        ),
        actor=officer,
    )
    assert missed.status == MilestoneStatus.MISSED
