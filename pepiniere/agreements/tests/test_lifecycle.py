import datetime
from decimal import Decimal

import pytest
from django.core import mail

from pepiniere.agreements import hooks, services, signature_services, signing
from pepiniere.agreements.models import AgreementStatus, Signature
from pepiniere.agreements.schedule import ScheduleRefused, StepSpec
from pepiniere.agreements.tests.factories import World, pdfa_conformance, refreshed
from pepiniere.applications.models import Status
from pepiniere.audit.services import trail_for

pytestmark = pytest.mark.django_db


def test_prepared_agreement_takes_the_award_and_the_default_schedule():
    world = World()
    agreement = world.prepare()
    version = agreement.versions.get()
    assert agreement.status == AgreementStatus.DRAFT
    assert agreement.reference.startswith("CONV-") and agreement.reference.endswith("-001")
    assert version.amount == Decimal("40000.00")
    assert version.eligible_budget == Decimal("80000.00")
    assert version.aid_rate == Decimal("50.00")
    assert [(s.percent, s.trigger) for s in version.schedule.all()] == [
        (Decimal("50.00"), "signature"),
        (Decimal("30.00"), "interim_report"),
        (Decimal("20.00"), "final_report"),
    ]
    assert services.prepare_agreement(award=world.award, actor=world.officer) == agreement


def test_full_lifecycle_contracts_the_application_and_calls_the_hook(
    django_capture_on_commit_callbacks,
):
    world = World()
    seen = []

    def provider(*, version, actor, now):
        seen.append((version.number, actor))

    hooks.version_signed.register(provider)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            agreement = world.send()
        assert agreement.status == AgreementStatus.SENT
        assert [m.to for m in mail.outbox] == [[world.applicant.email]]
        with django_capture_on_commit_callbacks(execute=True):
            agreement = world.sign_beneficiary(agreement)
        assert agreement.status == AgreementStatus.SIGNED_BENEFICIARY
        assert {m.to[0] for m in mail.outbox[1:]} == {world.officer.email, world.finance.email}
        with django_capture_on_commit_callbacks(execute=True):
            agreement = world.sign_funder(agreement)
    finally:
        hooks.version_signed._providers.remove(provider)
    assert agreement.status == AgreementStatus.SIGNED
    assert seen == [(1, world.finance)]
    assert refreshed(world.application).status == Status.CONTRACTED
    assert mail.outbox[-1].to == [world.applicant.email]
    assert "signée par les deux parties" in mail.outbox[-1].subject
    version = agreement.current_version
    assert version is not None and version.signed_at is not None
    actions = list(trail_for(agreement).values_list("action", flat=True))
    assert actions == [
        "prepare_agreement",
        "send_agreement",
        "sign_agreement_beneficiary",
        "sign_agreement_funder",
    ]


@pytest.mark.real_pdf
def test_the_seal_is_valid_and_both_signatures_name_the_pdf_the_beneficiary_saw():
    world = World()
    agreement = world.send()
    version = agreement.versions.get()
    shown = version.pdf.read()
    assert pdfa_conformance(shown) == ("3", "B")
    agreement = world.sign_funder(world.sign_beneficiary(agreement))
    version = agreement.versions.get()
    sealed = version.sealed_pdf.read()
    assert pdfa_conformance(sealed) == ("3", "B")
    status = signing.validate_seal(sealed)
    assert status.intact and status.valid and status.trusted
    import hashlib
    import io

    from pypdf import PdfReader

    assert {s.sha256 for s in version.signatures.all()} == {hashlib.sha256(shown).hexdigest()}
    attached = PdfReader(io.BytesIO(sealed)).attachments["convention-signee.pdf"][0]
    assert hashlib.sha256(attached).hexdigest() == version.sha256
    assert hashlib.sha256(sealed).hexdigest() == version.sealed_sha256
    tampered = bytearray(sealed)
    tampered[len(sealed) // 3] ^= 0x01
    assert not signing.validate_seal(bytes(tampered)).intact


def test_beneficiary_signature_is_refused_when_the_pdf_changed_since_display():
    world = World()
    agreement = world.send()
    with pytest.raises(services.AgreementError, match="a changé depuis son affichage"):
        signature_services.sign_as_beneficiary(
            agreement=agreement,
            actor=world.applicant,
            consent=True,
            name="Camille Martin",
            title="Présidente",
            shown_sha256="0" * 64,
        )
    assert not Signature.objects.exists()


def test_beneficiary_signature_needs_consent_name_and_title():
    world = World()
    agreement = world.send()
    with pytest.raises(services.AgreementError) as refused:
        signature_services.sign_as_beneficiary(
            agreement=agreement,
            actor=world.applicant,
            consent=False,
            name=" ",
            title="",
            shown_sha256=agreement.versions.get().sha256,
        )
    assert set(refused.value.errors) == {"consent", "name", "title"}
    assert refreshed(agreement).status == AgreementStatus.SENT


def test_the_funder_signs_only_after_the_beneficiary():
    world = World()
    agreement = world.send()
    with pytest.raises(services.AgreementError, match="d'abord être signée par le bénéficiaire"):
        world.sign_funder(agreement)


def test_only_members_sign_for_the_beneficiary_and_only_staff_for_the_funder():
    world = World()
    agreement = world.send()
    with pytest.raises(services.AgreementError, match="représentant légal"):
        signature_services.sign_as_beneficiary(
            agreement=agreement,
            actor=world.officer,
            consent=True,
            name="X",
            title="Y",
            shown_sha256=agreement.versions.get().sha256,
        )
    agreement = world.sign_beneficiary(agreement)
    with pytest.raises(services.AgreementError, match="signent pour lui"):
        world.sign_funder(agreement, actor=world.applicant)
    with pytest.raises(services.AgreementError, match="signent pour lui"):
        world.sign_funder(agreement, actor=world.stranger_officer())


def test_a_draft_cannot_be_signed_and_a_sent_one_cannot_be_sent_again():
    world = World()
    agreement = world.prepare()
    with pytest.raises(services.AgreementError, match="n'attend pas votre signature"):
        world.sign_beneficiary(agreement)
    services.send_agreement(agreement=agreement, actor=world.officer)
    with pytest.raises(services.AgreementError, match="déjà été envoyée"):
        services.send_agreement(agreement=agreement, actor=world.officer)


def test_finance_does_not_prepare_or_send():
    world = World()
    with pytest.raises(services.AgreementError, match="chargé·es de mission"):
        services.prepare_agreement(award=world.award, actor=world.finance)


def test_schedule_must_sum_to_one_hundred():
    world = World()
    agreement = world.prepare()
    version = agreement.versions.get()
    with pytest.raises(ScheduleRefused, match="totalisent 90,00"):
        services.update_draft(
            agreement=agreement,
            actor=world.officer,
            aid_rate=version.aid_rate,
            eligible_budget=version.eligible_budget,
            start_date=version.start_date,
            end_date=version.end_date,
            steps=[StepSpec(Decimal("60"), "signature"), StepSpec(Decimal("30"), "final_report")],
        )


def test_termination_needs_a_reason_terminates_the_application_and_calls_the_hook():
    world = World()
    agreement = world.signed()
    seen = []

    def provider(*, agreement, actor, now, reason):
        seen.append(reason)

    with pytest.raises(services.AgreementError, match="motif"):
        services.terminate_agreement(agreement=agreement, actor=world.officer, reason="")
    hooks.agreement_terminated.register(provider)
    try:
        services.terminate_agreement(
            agreement=agreement, actor=world.officer, reason="Projet abandonné."
        )
    finally:
        hooks.agreement_terminated._providers.remove(provider)
    agreement = refreshed(agreement)
    assert agreement.status == AgreementStatus.TERMINATED
    assert agreement.termination_reason == "Projet abandonné."
    assert seen == ["Projet abandonné."]
    assert refreshed(world.application).status == Status.TERMINATED
    with pytest.raises(services.AgreementError, match="déjà"):
        services.terminate_agreement(agreement=agreement, actor=world.officer, reason="Encore.")


def test_a_draft_can_be_terminated_too():
    world = World()
    agreement = world.prepare()
    services.terminate_agreement(agreement=agreement, actor=world.officer, reason="Renoncement.")
    assert refreshed(world.application).status == Status.TERMINATED


def test_close_after_the_final_payment():
    world = World()
    agreement = world.signed()
    services.close_agreement(agreement=agreement, actor=world.finance)
    assert refreshed(agreement).status == AgreementStatus.CLOSED
    assert refreshed(world.application).status == Status.CLOSED
    with pytest.raises(services.AgreementError, match="Seule une convention signée"):
        services.close_agreement(agreement=agreement, actor=world.finance)


def test_project_period_must_be_in_order():
    world = World()
    agreement = world.prepare()
    version = agreement.versions.get()
    with pytest.raises(services.AgreementError) as refused:
        services.update_draft(
            agreement=agreement,
            actor=world.officer,
            aid_rate=Decimal("50"),
            eligible_budget=Decimal("80000"),
            start_date=version.start_date,
            end_date=version.start_date - datetime.timedelta(days=1),
            steps=[StepSpec(Decimal("100"), "final_report")],
        )
    assert "end_date" in refused.value.errors
