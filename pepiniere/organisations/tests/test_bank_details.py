"""Bank details: a member submits them with the RIB, an officer of a supporting funder validates
them (never the submitter), and payments are held while a change waits."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.audit.services import trail_for
from pepiniere.grants import services as grant_services
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import PDF_BYTES, make_call, make_user, page_text
from pepiniere.organisations.bank_services import (
    BankDetailsError,
    reject_bank_details,
    submit_bank_details,
    validate_bank_details,
)
from pepiniere.organisations.models import BankAccount, BankAccountStatus, Membership
from pepiniere.organisations.selectors import payable_bank_account, payable_bank_accounts

pytestmark = pytest.mark.django_db

CREDIT_AGRICOLE = "FR76 3000 6000 0112 3456 7890 189"
BANQUE_POSTALE = "FR14 2004 1010 0505 0001 3M02 606"
BELGIAN = "BE68 5390 0754 7034"  # a valid IBAN whose bank schwifty's registry does not know


def rib(name: str = "rib.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


@pytest.fixture
def supported():
    """An organisation awarded aid by the call's funder, its member and the funder's officer."""
    call, officer, finance, (application, *_rest) = selected_call(1)
    grant_services.award_grant(application=application, actor=officer, **award_kwargs("40000"))
    organisation = application.organisation
    return organisation, application.created_by, officer, finance


def submit(organisation, member, iban=CREDIT_AGRICOLE, **extra):
    return submit_bank_details(
        organisation=organisation,
        actor=member,
        holder=extra.pop("holder", organisation.name),
        iban=iban,
        bic=extra.pop("bic", ""),
        rib=extra.pop("rib", rib()),
    )


# --- the service ----------------------------------------------------------------------------


def test_a_member_submits_bank_details_the_bic_derived_and_everyone_is_told(
    supported, django_capture_on_commit_callbacks
):
    organisation, member, officer, _finance = supported
    colleague = make_user(email="colleague@example.test")
    Membership.objects.create(user=colleague, organisation=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        account = submit(organisation, member)

    assert account.status == BankAccountStatus.PENDING
    assert (account.iban, account.bic) == ("FR7630006000011234567890189", "AGRIFRPPXXX")
    assert account.bank_name == "CREDIT AGRICOLE SA"
    assert account.masked_iban == "•••• •••• •••• •••• •••• •••0 189"
    assert len(account.rib_sha256) == 64 and account.rib.read() == PDF_BYTES
    [entry] = [e for e in trail_for(organisation) if e.action == "submit_bank_details"]
    assert (entry.actor, entry.to_state, entry.reason) == (member, "pending", account.masked_iban)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([member.email, colleague.email, officer.email])
    to_colleague = next(m for m in mail.outbox if m.to == [colleague.email])
    assert "Si personne dans la structure n'a demandé ce changement" in to_colleague.body
    assert "0 189" in to_colleague.body and "30006" not in to_colleague.body


def test_payments_are_held_while_a_change_waits_and_resume_on_the_decision(supported):
    organisation, member, officer, _finance = supported
    assert payable_bank_account(organisation) is None

    first = submit(organisation, member)
    assert payable_bank_account(organisation) is None  # nothing validated yet
    validate_bank_details(account=first, actor=officer)
    assert payable_bank_account(organisation) == first

    change = submit(organisation, member, iban=BANQUE_POSTALE)
    assert payable_bank_account(organisation) is None  # held: the classic fraud route
    assert payable_bank_accounts([organisation.pk]) == {}
    reject_bank_details(account=change, actor=officer, reason="RIB retouché")
    assert payable_bank_account(organisation) == first  # the known account is paid again

    second = submit(organisation, member, iban=BANQUE_POSTALE)
    validate_bank_details(account=second, actor=officer)
    assert payable_bank_account(organisation) == second
    first.refresh_from_db()
    assert first.status == BankAccountStatus.REPLACED
    assert [e.action for e in trail_for(organisation) if "bank" in e.action] == [
        "submit_bank_details",
        "validate_bank_details",
        "submit_bank_details",
        "reject_bank_details",
        "submit_bank_details",
        "validate_bank_details",
    ]


def test_a_second_submission_replaces_the_change_still_waiting(supported):
    organisation, member, _officer, _finance = supported
    first = submit(organisation, member)
    second = submit(organisation, member, iban=BANQUE_POSTALE)
    first.refresh_from_db()
    assert (first.status, second.status) == (BankAccountStatus.REPLACED, BankAccountStatus.PENDING)


def test_who_submitted_never_validates_even_as_an_officer_of_the_funder(supported):
    organisation, member, officer, _finance = supported
    Membership.objects.create(user=officer, organisation=organisation)
    account = submit(organisation, officer)
    with pytest.raises(PermissionDenied, match="une autre personne doit les valider"):
        validate_bank_details(account=account, actor=officer)
    with pytest.raises(PermissionDenied, match="une autre personne doit les valider"):
        reject_bank_details(account=account, actor=officer, reason="non")
    other_officer = make_user(role=Role.OFFICER, funder=officer.role_grants.get().funder)
    validate_bank_details(account=account, actor=other_officer)


def test_the_database_refuses_a_decision_by_the_submitter(supported):
    organisation, member, _officer, _finance = supported
    account = submit(organisation, member)
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccount.objects.filter(pk=account.pk).update(
            decided_by=member, status=BankAccountStatus.VALIDATED
        )


def test_only_an_officer_of_a_supporting_funder_decides(supported):
    organisation, member, _officer, finance = supported
    account = submit(organisation, member)
    other_officer = make_user(role=Role.OFFICER, funder=make_call().funder)
    for person in (member, finance, other_officer):
        with pytest.raises(PermissionDenied, match="chargé·e de mission d'un financeur"):
            validate_bank_details(account=account, actor=person)


def test_a_stranger_cannot_submit_bank_details(supported):
    organisation, _member, _officer, _finance = supported
    with pytest.raises(PermissionDenied, match="Seul·es les membres"):
        submit(organisation, make_user())
    assert not BankAccount.objects.exists()


def test_a_decided_change_cannot_be_decided_again(supported):
    organisation, member, officer, _finance = supported
    account = submit(organisation, member)
    validate_bank_details(account=account, actor=officer)
    with pytest.raises(PermissionDenied, match="plus en attente"):
        reject_bank_details(account=account, actor=officer, reason="trop tard")


def test_a_rejection_needs_a_reason(supported):
    organisation, member, officer, _finance = supported
    account = submit(organisation, member)
    with pytest.raises(BankDetailsError) as refused:
        reject_bank_details(account=account, actor=officer, reason="  ")
    assert "Dites pourquoi" in refused.value.errors["reason"]
    account.refresh_from_db()
    assert account.status == BankAccountStatus.PENDING


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        (
            "FR76 3000 6000 0112 3456 7890 188",
            "Les chiffres de contrôle de l'IBAN (« 76 », après FR)",
        ),
        (
            "FR76 3000 6000 0112 3456 7890 18",
            "Un IBAN de France (FR) compte 27 caractères ; celui-ci en compte 26",
        ),
        (
            "XX76 3000 6000 0112 3456 7890 189",
            "« XX » n'est pas le code d'un pays qui utilise l'IBAN",
        ),
        ("BR18 0036 0305 0000 1000 9795 493C 1", "hors de la zone SEPA"),
        ("FR54 3000 6000 0112 3456 7890 100", "la clé RIB"),
        ("FR76-3000-6000", "retirez « - »"),
        ("", "Indiquez l'IBAN"),
    ],
)
def test_a_wrong_iban_is_refused_with_what_is_wrong(supported, iban, message):
    organisation, member, _officer, _finance = supported
    with pytest.raises(BankDetailsError) as refused:
        submit(organisation, member, iban=iban)
    assert message in refused.value.errors["iban"]
    assert not BankAccount.objects.exists()


def test_the_bic_is_asked_only_when_the_registry_does_not_know_the_bank(supported):
    organisation, member, _officer, _finance = supported
    with pytest.raises(BankDetailsError) as refused:
        submit(organisation, member, iban=BELGIAN)
    assert "n'est pas dans notre registre" in refused.value.errors["bic"]
    with pytest.raises(BankDetailsError) as refused:
        submit(organisation, member, iban=BELGIAN, bic="GEBA XX BB")
    assert "code du pays" in refused.value.errors["bic"]
    account = submit(organisation, member, iban=BELGIAN, bic="gebabebb")
    assert account.bic == "GEBABEBB"
    # A typed BIC never overrides the one of the IBAN's bank.
    other = submit(organisation, member, bic="GEBABEBB")
    assert other.bic == "AGRIFRPPXXX"


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (None, "Joignez le RIB"),
        (SimpleUploadedFile("rib.exe", b"MZ...", "application/octet-stream"), "PDF, PNG ou JPEG"),
        (SimpleUploadedFile("rib.pdf", b"<html>not a pdf</html>"), "ne correspond pas"),
        (SimpleUploadedFile("rib.pdf", b""), "vide"),
    ],
)
def test_the_rib_must_be_a_real_document(supported, file, message):
    organisation, member, _officer, _finance = supported
    with pytest.raises(BankDetailsError) as refused:
        submit(organisation, member, rib=file)
    assert message in refused.value.errors["rib"]


# --- the pages ------------------------------------------------------------------------------


def test_the_member_page_masks_the_account_and_keeps_what_was_typed_on_error(client, supported):
    organisation, member, officer, _finance = supported
    validate_bank_details(account=submit(organisation, member, iban=BANQUE_POSTALE), actor=officer)
    client.force_login(member)
    url = reverse("organisations:bank_details", args=[organisation.pk])

    page = page_text(client.get(url))
    assert "•••• •••• •••• •••• •••• •••2 606" in page
    assert "20041" not in page and "FR14" not in page

    response = client.post(
        url,
        {"holder": "Écocollab SAS", "iban": "FR76 3000 6000 0112 3456 7890 188", "rib": rib()},
    )
    assert response.status_code == 200
    page = page_text(response)
    assert "Les chiffres de contrôle de l'IBAN" in page
    assert "Joignez de nouveau le RIB" in page
    assert 'value="Écocollab SAS"' in response.content.decode()
    assert 'value="FR76 3000 6000 0112 3456 7890 188"' in response.content.decode()

    response = client.post(url, {"holder": "Écocollab SAS", "iban": CREDIT_AGRICOLE, "rib": rib()})
    assert response.status_code == 302
    page = page_text(client.get(url))
    assert "Changement en attente de validation" in page
    assert "Les versements à la structure sont suspendus" in page


def test_strangers_and_other_funders_see_nothing(client, supported):
    organisation, member, _officer, _finance = supported
    account = submit(organisation, member)
    other_officer = make_user(role=Role.OFFICER, funder=make_call().funder)
    for person in (make_user(), other_officer):
        client.force_login(person)
        assert (
            client.get(reverse("organisations:bank_details", args=[organisation.pk])).status_code
            == 404
        )
        assert (
            client.get(reverse("organisations:bank_decision", args=[account.pk])).status_code == 404
        )
        assert client.get(reverse("organisations:bank_rib", args=[account.pk])).status_code == 404
    client.force_login(member)  # members see their RIB, not the officers' decision page
    assert client.get(reverse("organisations:bank_decision", args=[account.pk])).status_code == 404
    response = client.get(reverse("organisations:bank_rib", args=[account.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_the_officer_compares_with_the_rib_and_validates(client, supported):
    organisation, member, officer, _finance = supported
    account = submit(organisation, member, holder="Jean Dupont")
    client.force_login(officer)
    url = reverse("organisations:bank_decision", args=[account.pk])

    page = page_text(client.get(url))
    assert "FR76 3000 6000 0112 3456 7890 189" in page
    assert "Ouvrir le RIB (rib.pdf)" in page
    assert "n'est pas la structure" in page  # the holder is a person, not the organisation
    assert client.get(reverse("organisations:bank_rib", args=[account.pk])).status_code == 200

    response = client.post(url, {"decision": "reject", "reason": ""})
    assert "Dites pourquoi" in page_text(response)
    response = client.post(url, {"decision": "validate"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.status, account.decided_by) == (BankAccountStatus.VALIDATED, officer)


def test_finance_reads_the_decision_page_but_may_not_decide(client, supported):
    organisation, member, _officer, finance = supported
    account = submit(organisation, member)
    client.force_login(finance)
    url = reverse("organisations:bank_decision", args=[account.pk])
    response = client.get(url)
    assert "chargé·e de mission d'un financeur" in page_text(response)
    # The officers' queue answers 403 to finance: the page does not link to it.
    queue = reverse("organisations:bank_queue")
    assert client.get(queue).status_code == 403
    assert f'href="{queue}"' not in response.content.decode()
    response = client.post(url, {"decision": "validate"})
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.status == BankAccountStatus.PENDING


QUEUE_QUERIES = 6  # the same for 2 or 6 changes: nothing is read per row


def test_the_officers_list_shows_the_changes_waiting_in_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    call, officer, _finance, applications = selected_call(6, envelope="500000")
    for application in applications:
        grant_services.award_grant(application=application, actor=officer, **award_kwargs("40000"))

    def pending(applications):
        for application in applications:
            submit(application.organisation, application.created_by)

    pending(applications[:2])
    client.force_login(officer)
    url = reverse("organisations:bank_queue")
    client.get(url)  # the session and the site's caches warm
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get(url)
    pending(applications[2:])
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(url)
    page = page_text(response)
    assert "6 changements en attente" in page
    for application in applications:
        assert application.organisation.name in page


def test_the_list_is_for_officers_only(client, supported):
    organisation, member, _officer, finance = supported
    submit(organisation, member)
    for person in (member, finance):
        client.force_login(person)
        assert client.get(reverse("organisations:bank_queue")).status_code == 403
    other_officer = make_user(role=Role.OFFICER, funder=make_call().funder)
    client.force_login(other_officer)
    assert "Aucun changement" in page_text(client.get(reverse("organisations:bank_queue")))
