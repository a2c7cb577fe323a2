"""Linked undertakings are one-sided declarations (issue 10, high 1: the de minimis hijack)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Status
from pepiniere.audit.models import AuditEntry
from pepiniere.grants import deminimis, services
from pepiniere.grants.models import LinkedUndertaking, LinkRelation
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import make_organisation, make_user, page_text, plain

pytestmark = pytest.mark.django_db
TWO_YEARS_AGO = datetime.date.today() - datetime.timedelta(days=730)


def _declare(organisation, amount, funder):
    return services.declare_aid(
        organisation=organisation,
        actor=organisation.members.first(),
        funder_name=funder,
        amount=Decimal(amount),
        granted_on=TWO_YEARS_AGO,
    )


def _link(declarant, target):
    return services.declare_linked_undertaking(
        organisation=declarant,
        actor=declarant.members.first(),
        name=target.name,
        siren=target.siren,
        relation=LinkRelation.VOTING,
    )


def _victim_and_attacker():
    """Two applications of one call: the victim's company has 280 000 € of Bpifrance aid; the
    attacker's organisation declares a link with the victim's SIREN."""
    call, officer, _finance, (victim_app, attacker_app) = selected_call(2)
    victim, attacker = victim_app.organisation, attacker_app.organisation
    _declare(victim, "280000", "Bpifrance Victime")
    link = _link(attacker, victim)
    return call, officer, victim_app, attacker_app, link


def test_a_one_sided_link_never_shows_the_other_organisations_aid_to_the_declarant(client):
    _call, _officer, victim_app, attacker_app, _link_row = _victim_and_attacker()
    attacker = attacker_app.organisation
    client.force_login(attacker_app.created_by)
    page = plain(page_text(client.get(reverse("aid:minimis", args=[attacker.pk]))))
    assert "Bpifrance Victime" not in page and "280 000,00 €" not in page
    assert "marge restante : <strong>300 000,00 €</strong>" in page
    # Even once the link is confirmed, the declarant reads its own records only.
    victim = victim_app.organisation
    link = LinkedUndertaking.objects.get()
    services.decide_linked_undertaking(link=link, actor=victim.members.first(), confirm=True)
    page = plain(page_text(client.get(reverse("aid:minimis", args=[attacker.pk]))))
    assert "Bpifrance Victime" not in page and "280 000,00 €" not in page


def test_a_one_sided_link_leaves_the_other_organisations_ceiling_alone(client):
    call, officer, victim_app, attacker_app, _link_row = _victim_and_attacker()
    attacker, victim = attacker_app.organisation, victim_app.organisation
    _declare(attacker, "15000", "Aide déclarée par l'attaquant")
    client.force_login(officer)
    page = plain(page_text(client.get(reverse("grants:award", args=[call.slug, victim_app.pk]))))
    assert "Aide déclarée par l'attaquant" not in page
    assert "marge restante : <strong>20 000,00 €</strong>" in page
    services.award_grant(application=victim_app, actor=officer, **award_kwargs("20000"))
    victim_app.refresh_from_db()
    assert victim_app.status == Status.AWARDED
    # Nor does the declarant's unconfirmed link count the victim's aid against the declarant.
    assert deminimis.single_undertaking(attacker) == [attacker.pk]
    assert deminimis.single_undertaking(victim) == [victim.pk]


def test_aid_the_declarant_declares_for_a_linked_undertaking_counts_against_the_declarant():
    _call, officer, _victim_app, attacker_app, link = _victim_and_attacker()
    attacker = attacker_app.organisation
    services.declare_aid(
        organisation=attacker,
        actor=attacker_app.created_by,
        funder_name="Région",
        amount=Decimal("270000"),
        granted_on=TWO_YEARS_AGO,
        beneficiary_name=link.name,
    )
    with pytest.raises(services.AwardError, match="dépassement : 10\u202f000,00"):
        services.award_grant(application=attacker_app, actor=officer, **award_kwargs("40000"))


def test_a_link_confirmed_by_the_linked_organisation_joins_both_ledgers(client):
    call, officer, victim_app, attacker_app, link = _victim_and_attacker()
    victim, declarant = victim_app.organisation, attacker_app.organisation
    client.force_login(victim.members.first())
    url = reverse("aid:minimis", args=[victim.pk])
    page = plain(page_text(client.get(url)))
    assert f"{declarant.name} déclare être liée à votre structure" in page
    response = client.post(url, {"decide_link": link.pk, "decision": "confirm"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.is_confirmed and link.confirmed_by == victim.members.first()
    assert deminimis.single_undertaking(declarant) == [declarant.pk, victim.pk]
    assert deminimis.single_undertaking(victim) == [victim.pk, declarant.pk]
    with pytest.raises(services.AwardError, match="dépassement : 20\u202f000,00"):
        services.award_grant(application=attacker_app, actor=officer, **award_kwargs("40000"))
    assert AuditEntry.objects.filter(action="confirm_linked_undertaking").count() == 2
    # A decided link is not decided again by a member.
    with pytest.raises(services.AwardError, match="déjà été confirmé"):
        services.decide_linked_undertaking(link=link, actor=victim.members.first(), confirm=False)


def test_the_linked_organisation_contests_a_link_and_it_never_counts(client):
    _call, _officer, victim_app, attacker_app, link = _victim_and_attacker()
    victim = victim_app.organisation
    client.force_login(victim.members.first())
    client.post(
        reverse("aid:minimis", args=[victim.pk]), {"decide_link": link.pk, "decision": "contest"}
    )
    link.refresh_from_db()
    assert link.status == "refused"
    assert deminimis.single_undertaking(victim) == [victim.pk]
    client.force_login(attacker_app.created_by)
    page = page_text(client.get(reverse("aid:minimis", args=[attacker_app.organisation.pk])))
    assert "contesté par l'entreprise liée" in page


def test_an_officer_confirms_a_link_from_the_award_page_and_sees_declared_and_verified_aid_apart(
    client,
):
    call, officer, victim_app, attacker_app, link = _victim_and_attacker()
    declarant = attacker_app.organisation
    _declare(declarant, "5000", "Déclarée par le déclarant")
    services.award_grant(application=victim_app, actor=officer, **award_kwargs("10000"))
    url = reverse("grants:award", args=[call.slug, attacker_app.pk])
    client.force_login(officer)
    page = plain(page_text(client.get(url)))
    assert "Lien déclaré, non confirmé" in page and "Bpifrance Victime" not in page
    response = client.post(
        reverse("grants:link", args=[call.slug, attacker_app.pk, link.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 302
    page = plain(page_text(client.get(url)))
    assert "Bpifrance Victime" in page
    assert "déclarées par la structure (non vérifiées) : <strong>5 000,00 €</strong>" in page
    assert "entreprises liées (lien confirmé) : <strong>290 000,00 €</strong>" in page
    assert "marge restante : <strong>5 000,00 €</strong>" in page
    entry = AuditEntry.objects.filter(action="confirm_linked_undertaking").first()
    assert entry is not None and entry.actor == officer


def test_declaring_the_reverse_link_confirms_both():
    _call, _officer, victim_app, _attacker_app, link = _victim_and_attacker()
    reverse_link = _link(victim_app.organisation, link.organisation)
    link.refresh_from_db()
    assert link.is_confirmed and reverse_link.is_confirmed


def test_outsiders_cannot_confirm_a_link(client):
    call, _officer, victim_app, attacker_app, link = _victim_and_attacker()
    for outsider in (
        attacker_app.created_by,  # the declarant cannot confirm its own claim
        make_user(),
        make_organisation(member=make_user()).members.first(),
        make_user(role=Role.OFFICER),
        make_user(role=Role.JURY, funder=call.funder),
    ):
        with pytest.raises(services.AwardError) as refused:
            services.decide_linked_undertaking(link=link, actor=outsider, confirm=True, call=call)
        assert refused.value.kind == "forbidden"
        client.force_login(outsider)
        response = client.post(
            reverse("grants:link", args=[call.slug, attacker_app.pk, link.pk]),
            {"decision": "confirm"},
        )
        assert response.status_code == 404
    link.refresh_from_db()
    assert not link.is_confirmed
    assert deminimis.single_undertaking(victim_app.organisation) == [victim_app.organisation.pk]


def test_a_malformed_link_decision_is_a_400_and_changes_nothing(client):
    call, officer, victim_app, attacker_app, link = _victim_and_attacker()
    victim = victim_app.organisation
    client.force_login(victim.members.first())
    url = reverse("aid:minimis", args=[victim.pk])
    assert client.post(url, {"decide_link": link.pk, "decision": "oui"}).status_code == 400
    assert client.post(url, {"decide_link": "abc", "decision": "confirm"}).status_code == 400
    client.force_login(officer)
    link_url = reverse("grants:link", args=[call.slug, attacker_app.pk, link.pk])
    assert client.post(link_url, {}).status_code == 400
    link.refresh_from_db()
    assert link.status == "declared"
