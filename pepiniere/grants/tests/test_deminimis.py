import datetime
from decimal import Decimal

import pytest

from pepiniere.applications.models import Status
from pepiniere.grants import deminimis, services
from pepiniere.grants.models import AidRecord, BudgetLine, LinkRelation
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import make_organisation, make_user, plain

pytestmark = pytest.mark.django_db
D = datetime.date


def test_window_is_three_years_rolling_with_the_grant_day_included():
    assert deminimis.window_start(D(2023, 3, 15)) == D(2020, 3, 16)
    assert deminimis.counts_until(D(2020, 3, 15)) == D(2023, 3, 14)
    # 29 February: counted up to 28 February three years later.
    assert deminimis.counts_until(D(2020, 2, 29)) == D(2023, 2, 28)
    assert deminimis.window_start(D(2024, 2, 29)) == D(2021, 3, 1)


def test_counts_until_and_window_start_agree_on_every_day():
    day = D(2019, 1, 1)
    while day < D(2022, 1, 1):
        last = deminimis.counts_until(day)
        assert (
            deminimis.window_start(last)
            <= day
            < deminimis.window_start(last + datetime.timedelta(days=1))
        )
        day += datetime.timedelta(days=1)


def _declare(organisation, amount, on, funder="Bpifrance"):
    member = organisation.members.first()
    return services.declare_aid(
        organisation=organisation,
        actor=member,
        funder_name=funder,
        amount=Decimal(amount),
        granted_on=on,
    )


def test_award_exactly_at_the_ceiling_is_allowed():
    call, officer, _finance, (application, *_rest) = selected_call()
    _declare(application.organisation, "260000", D(2024, 5, 2))
    services.award_grant(
        application=application, actor=officer, **award_kwargs("40000", on=D(2025, 1, 10))
    )
    application.refresh_from_db()
    assert application.status == Status.AWARDED
    check = deminimis.check_ceiling(application.organisation, Decimal("0.01"), D(2025, 1, 10))
    assert check.received == Decimal("300000") and not check.allowed


def test_award_above_the_ceiling_is_refused_with_the_figures_and_changes_nothing():
    call, officer, _finance, (application, *_rest) = selected_call()
    _declare(application.organisation, "280000", D(2023, 6, 1))
    with pytest.raises(services.AwardError) as refused:
        services.award_grant(
            application=application, actor=officer, **award_kwargs("40000", on=D(2025, 6, 1))
        )
    assert refused.value.kind == "de_minimis"
    assert plain(refused.value.message) == (
        f"Plafond de minimis dépassé pour l'entreprise unique « {application.organisation.name} » : "
        "aides déjà reçues du 2 juin 2022 au 1er juin 2025 : 280 000,00 € ; cette aide : 40 000,00 € ; "
        "plafond : 300 000,00 € ; dépassement : 20 000,00 €."
    )
    application.refresh_from_db()
    assert application.status == Status.SELECTED
    assert not BudgetLine.objects.filter(committed__gt=0).exists()


def test_aid_falls_out_of_the_window_the_day_after_its_third_anniversary_minus_one():
    call, officer, _finance, (first, second, _third) = selected_call()
    for application in (first, second):
        _declare(application.organisation, "280000", D(2022, 3, 15))
    with pytest.raises(services.AwardError, match="Plafond de minimis"):
        services.award_grant(application=first, actor=officer, **award_kwargs(on=D(2025, 3, 14)))
    services.award_grant(application=second, actor=officer, **award_kwargs(on=D(2025, 3, 15)))
    second.refresh_from_db()
    assert second.status == Status.AWARDED


def test_a_later_declared_aid_counts_against_a_backdated_award():
    call, officer, _finance, (application, *_rest) = selected_call()
    _declare(application.organisation, "280000", D(2025, 9, 1))
    with pytest.raises(services.AwardError, match="au 1er septembre 2025"):
        services.award_grant(
            application=application, actor=officer, **award_kwargs(on=D(2025, 1, 6))
        )


def test_aid_of_a_linked_undertaking_counts_for_the_single_undertaking():
    call, officer, _finance, (application, *_rest) = selected_call()
    owner = make_user()
    parent = make_organisation(member=owner, name="Holding Océane")
    _declare(parent, "280000", D(2024, 1, 10), funder="Conseil départemental")
    link = services.declare_linked_undertaking(
        organisation=application.organisation,
        actor=application.created_by,
        name="Holding Océane",
        siren=parent.siren,
        relation=LinkRelation.VOTING,
    )
    # One-sided until the holding (a member) confirms it.
    assert deminimis.single_undertaking(application.organisation) == [application.organisation.pk]
    services.decide_linked_undertaking(link=link, actor=owner, confirm=True)
    assert deminimis.single_undertaking(application.organisation) == [
        application.organisation.pk,
        parent.pk,
    ]
    with pytest.raises(services.AwardError) as refused:
        services.award_grant(
            application=application, actor=officer, **award_kwargs(on=D(2025, 1, 6))
        )
    assert "aides déjà reçues du 7 janvier 2022 au 6 janvier 2025 : 280 000,00 €" in plain(
        refused.value.message
    )


def test_members_declare_aid_and_others_cannot():
    call, _officer, _finance, (application, *_rest) = selected_call()
    organisation = application.organisation
    with pytest.raises(services.AwardError, match="membres de la structure"):
        services.declare_aid(
            organisation=organisation,
            actor=make_user(),
            funder_name="Bpifrance",
            amount=Decimal("1000"),
            granted_on=D(2025, 1, 1),
        )
    with pytest.raises(services.AwardError, match="futur"):
        _declare(organisation, "1000", datetime.date.today() + datetime.timedelta(days=1))
    with pytest.raises(services.AwardError, match="SIREN invalide"):
        services.declare_linked_undertaking(
            organisation=organisation,
            actor=application.created_by,
            name="Filiale",
            siren="123456789",
            relation=LinkRelation.BOARD,
        )
    _declare(organisation, "1000", D(2025, 1, 1))
    assert (
        AidRecord.objects.get(organisation=organisation).get_source_display()
        == "déclarée par la structure"
    )
