import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from pepiniere.agreements import hooks, services, signing
from pepiniere.agreements.models import AgreementStatus
from pepiniere.agreements.tests.factories import World, pdfa_conformance, refreshed
from pepiniere.grants import services as grant_services
from pepiniere.grants.models import AidRecord, BudgetLine
from pepiniere.lib.testing.factories import plain

pytestmark = pytest.mark.django_db


def _amend(world, agreement, amount, **extra):
    current = agreement.versions.order_by("-number").first()
    return services.create_amendment(
        agreement=agreement,
        actor=world.officer,
        purpose=extra.pop("purpose", "Prolongation et aide complémentaire."),
        amount=Decimal(amount),
        aid_rate=current.aid_rate,
        eligible_budget=extra.pop("eligible_budget", Decimal("120000")),
        start_date=current.start_date,
        end_date=current.end_date + datetime.timedelta(days=180),
        **extra,
    )


def _committed(world) -> Decimal:
    return BudgetLine.objects.get(scope="call", call=world.call).committed


@pytest.mark.real_pdf
def test_a_higher_amount_is_committed_at_the_amendment_full_signature():
    world = World()
    agreement = world.signed()
    first = agreement.versions.get()
    first_sealed = first.sealed_pdf.read()
    seen = []

    def provider(*, version, actor, now):
        seen.append(version.number)

    version = _amend(world, agreement, "45000")
    assert refreshed(agreement).status == AgreementStatus.DRAFT
    assert refreshed(agreement).current_version == first  # payments keep following v1
    assert _committed(world) == Decimal("40000")
    services.send_agreement(agreement=agreement, actor=world.officer)
    world.sign_beneficiary(refreshed(agreement))
    hooks.version_signed.register(provider)
    try:
        agreement = world.sign_funder(refreshed(agreement))
    finally:
        hooks.version_signed._providers.remove(provider)
    assert seen == [2]
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.current_version == refreshed(version)
    assert refreshed(world.award).amount == Decimal("45000")
    assert _committed(world) == Decimal("45000")
    assert AidRecord.objects.get(award=world.award).amount == Decimal("45000")
    assert [s.amount for s in world.award.shares.all()] == [Decimal("45000")]
    # The initial agreement stays readable, its sealed PDF unchanged.
    first = refreshed(first)
    assert first.signed_at is not None
    assert first.sealed_pdf.read() == first_sealed
    assert signing.validate_seal(first_sealed).intact
    # The amendment is a PDF/A of its own, sealed, naming the PDF both parties signed.
    version = refreshed(version)
    assert version.sha256 != first.sha256
    sealed = version.sealed_pdf.read()
    assert pdfa_conformance(sealed) == ("3", "B")
    status = signing.validate_seal(sealed)
    assert status.intact and status.valid and status.trusted
    assert hashlib.sha256(sealed).hexdigest() == version.sealed_sha256
    attached = PdfReader(io.BytesIO(sealed)).attachments["convention-signee.pdf"][0]
    assert hashlib.sha256(attached).hexdigest() == version.sha256


def test_a_lower_amount_releases_the_difference():
    world = World()
    agreement = world.signed()
    _amend(world, agreement, "30000", eligible_budget=Decimal("80000"))
    services.send_agreement(agreement=agreement, actor=world.officer)
    world.sign_funder(world.sign_beneficiary(refreshed(agreement)))
    assert _committed(world) == Decimal("30000")


def test_a_higher_amount_beyond_the_envelope_is_refused_with_the_figures():
    world = World(envelope="42000")
    agreement = world.signed()
    with pytest.raises(services.AgreementError, match="Enveloppe dépassée") as refused:
        _amend(world, agreement, "45000")
    assert "enveloppe 42 000,00 €" in plain(refused.value.message)
    assert "dépassement 3 000,00 €" in plain(refused.value.message)
    assert agreement.versions.count() == 1
    assert refreshed(agreement).status == AgreementStatus.SIGNED


def test_a_higher_amount_over_the_de_minimis_ceiling_is_refused_with_the_figures():
    world = World()
    grant_services.declare_aid(
        organisation=world.application.organisation,
        actor=world.applicant,
        funder_name="Bpifrance",
        amount=Decimal("258000"),
        granted_on=datetime.date.today() - datetime.timedelta(days=200),
    )
    agreement = world.signed()
    with pytest.raises(services.AgreementError, match="Plafond de minimis dépassé") as refused:
        _amend(world, agreement, "45000")
    assert "plafond : 300 000,00 €" in plain(refused.value.message)
    assert refreshed(world.award).amount == Decimal("40000")


def test_an_amendment_needs_a_signed_agreement_and_a_purpose():
    world = World()
    agreement = world.send()
    with pytest.raises(services.AgreementError, match="convention signée"):
        _amend(world, agreement, "40000")
    agreement = world.sign_funder(world.sign_beneficiary(agreement))
    with pytest.raises(services.AgreementError, match="objet de l'avenant"):
        _amend(world, agreement, "40000", purpose=" ")
