import hashlib

import pytest
from django.urls import reverse

from pepiniere.agreements import services, signature_services, signing
from pepiniere.agreements.models import AgreementStatus, Signature
from pepiniere.agreements.tests.factories import World, pdfa_conformance, refreshed
from pepiniere.applications.models import Status
from pepiniere.lib.testing.factories import make_user, page_text

pytestmark = pytest.mark.django_db


def test_the_beneficiary_reads_and_signs_its_agreement_with_consent(client):
    world = World()
    agreement = world.send()
    version = agreement.versions.get()
    client.force_login(world.applicant)
    url = reverse("agreements:mine", args=[world.application.pk])
    page = page_text(client.get(url))
    assert agreement.reference in page
    assert "Article 4" in page  # the text itself is on the page
    assert version.sha256 in page
    response = client.post(
        url, {"name": "Camille Martin", "title": "Présidente", "shown_sha256": version.sha256}
    )
    assert response.status_code == 422
    assert "Cochez la case" in page_text(response)
    assert "Camille Martin" in page_text(response)  # nothing typed is lost
    response = client.post(
        url,
        {
            "name": "Camille Martin",
            "title": "Présidente",
            "consent": "on",
            "shown_sha256": version.sha256,
        },
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.signer, signature.signer_name, signature.ip_address) == (
        world.applicant,
        "Camille Martin",
        "203.0.113.9",
    )
    assert refreshed(agreement).status == AgreementStatus.SIGNED_BENEFICIARY


def test_mes_dossiers_asks_the_beneficiary_to_sign_until_it_has_signed(client):
    world = World()
    agreement = world.send()
    version = agreement.versions.get()
    client.force_login(world.applicant)
    url = reverse("agreements:mine", args=[world.application.pk])
    home = client.get(reverse("applications:mine")).content.decode()
    task = f"{world.application.organisation.name} : signer la convention {agreement.reference}"
    assert task in page_text(client.get(reverse("applications:mine")))
    assert f'href="{url}"' in home
    client.force_login(make_user())  # a stranger has nothing to sign
    assert "signer la convention" not in page_text(client.get(reverse("applications:mine")))
    client.force_login(world.applicant)
    client.post(
        url,
        {"name": "C. Martin", "title": "Gérante", "consent": "on", "shown_sha256": version.sha256},
    )
    assert "signer la convention" not in page_text(client.get(reverse("applications:mine")))


def test_a_signature_on_a_pdf_that_changed_since_display_is_refused(client):
    world = World()
    agreement = world.send()
    client.force_login(world.applicant)
    response = client.post(
        reverse("agreements:mine", args=[world.application.pk]),
        {"name": "C M", "title": "P", "consent": "on", "shown_sha256": "f" * 64},
    )
    assert response.status_code == 422
    assert "a changé depuis son affichage" in page_text(response)
    assert refreshed(agreement).status == AgreementStatus.SENT


def test_another_organisation_gets_404_on_the_agreement_and_its_pdf(client):
    world = World()
    agreement = world.send()
    client.force_login(make_user())
    assert client.get(reverse("agreements:mine", args=[world.application.pk])).status_code == 404
    pdf = reverse("agreements:pdf", args=[agreement.versions.get().pk, "a-signer"])
    assert client.get(pdf).status_code == 404


def test_a_draft_is_not_shown_to_the_beneficiary(client):
    world = World()
    world.prepare()
    client.force_login(world.applicant)
    page = page_text(client.get(reverse("agreements:mine", args=[world.application.pk])))
    assert "en préparation" in page


def test_staff_of_another_funder_and_reviewers_see_nothing(client):
    world = World()
    agreement = world.send()
    client.force_login(world.stranger_officer())
    assert client.get(reverse("agreements:detail", args=[agreement.pk])).status_code == 404
    assert client.get(reverse("agreements:call", args=[world.call.slug])).status_code == 404
    client.force_login(make_user(role="reviewer"))
    assert client.get(reverse("agreements:detail", args=[agreement.pk])).status_code == 404


@pytest.mark.real_pdf
def test_officer_sends_then_finance_signs_and_downloads_the_sealed_pdf(client):
    world = World()
    agreement = world.prepare()
    client.force_login(world.officer)
    response = client.post(reverse("agreements:send", args=[agreement.pk]))
    assert response.status_code == 302
    agreement = world.sign_beneficiary(refreshed(agreement))
    client.force_login(world.finance)
    detail = reverse("agreements:detail", args=[agreement.pk])
    assert "Signer pour le financeur" in page_text(client.get(detail))
    version = agreement.versions.get()
    response = client.post(
        reverse("agreements:sign_funder", args=[agreement.pk]),
        {"name": "Fanny", "title": "DAF", "consent": "on", "shown_sha256": version.sha256},
    )
    assert response.status_code == 302
    assert refreshed(world.application).status == Status.CONTRACTED
    response = client.get(reverse("agreements:pdf", args=[version.pk, "signee"]))
    assert response.status_code == 200
    sealed = b"".join(response.streaming_content)
    assert pdfa_conformance(sealed) == ("3", "B")
    status = signing.validate_seal(sealed)
    assert status.intact and status.valid and status.trusted
    assert hashlib.sha256(sealed).hexdigest() == refreshed(version).sealed_sha256


@pytest.mark.real_pdf
def test_a_seal_left_for_later_is_made_at_the_first_download_then_kept(client):
    world = World()
    agreement = world.sign_beneficiary(world.send())
    version = agreement.versions.get()
    signature_services.sign_as_funder(
        agreement=agreement,
        actor=world.finance,
        consent=True,
        name="Fanny",
        title="DAF",
        shown_sha256=version.sha256,
        seal=False,
    )
    version = refreshed(version)
    assert version.signed_at is not None and not version.sealed_pdf
    client.force_login(world.applicant)
    url = reverse("agreements:pdf", args=[version.pk, "signee"])
    sealed = b"".join(client.get(url).streaming_content)
    status = signing.validate_seal(sealed)
    assert status.intact and status.valid and status.trusted
    assert hashlib.sha256(sealed).hexdigest() == refreshed(version).sealed_sha256
    assert b"".join(client.get(url).streaming_content) == sealed  # sealed once, then served


def test_finance_may_not_send_or_terminate(client):
    world = World()
    agreement = world.prepare()
    client.force_login(world.finance)
    assert client.post(reverse("agreements:send", args=[agreement.pk])).status_code == 403
    response = client.post(reverse("agreements:terminate", args=[agreement.pk]), {"reason": "x"})
    assert response.status_code == 403


def test_termination_without_a_reason_says_so(client):
    world = World()
    agreement = world.prepare()
    client.force_login(world.officer)
    response = client.post(reverse("agreements:terminate", args=[agreement.pk]), {"reason": ""})
    assert response.status_code == 422
    assert "motif est obligatoire" in page_text(response)


def test_schedule_not_summing_to_100_is_refused_with_the_figures_and_kept(client):
    world = World()
    client.force_login(world.officer)
    url = reverse("agreements:schedule", args=[world.call.slug])
    data = {
        "percent_0": "50",
        "trigger_0": "signature",
        "percent_1": "40",
        "trigger_1": "final_report",
    }
    response = client.post(url, data)
    assert response.status_code == 422
    text = page_text(response)
    assert "totalisent 90,00 % au lieu de 100 %" in text
    assert 'value="40"' in response.content.decode()
    data["percent_1"] = "50"
    assert client.post(url, data).status_code == 302
    assert [s.percent for s in world.call.schedule_steps.all()] == [50, 50]


def test_a_broken_template_is_refused_in_french_never_a_500(client):
    world = World()
    client.force_login(world.officer)
    url = reverse("agreements:template", args=[world.call.slug])
    for body, message in [
        ("{{ beneficiaire.nmo }}", "Champ inconnu « beneficiaire.nmo »"),
        ("{% if aide.de_minimis %}x", "n'est pas refermée"),
        ("{% load static %}", "n'est pas permis"),
        ("{% include 'base.html' %}", "ne sont pas permis"),
        ('<p onclick="x()">{{ lieu }}</p>', "n'est pas permis dans une convention"),
        ("<script>alert(1)</script>", "« <script » n'est pas permis"),
    ]:
        response = client.post(url, {"body": body, "action": "save"})
        assert response.status_code == 422, body
        assert message in page_text(response), body
    assert (
        client.post(url, {"body": "<p>{{ beneficiaire.nom }}</p>", "action": "save"}).status_code
        == 302
    )


def test_template_preview_is_a_pdf(client):
    world = World()
    client.force_login(world.officer)
    response = client.post(
        reverse("agreements:template", args=[world.call.slug]),
        {"body": "<h1>{{ convention.reference }}</h1>", "action": "preview"},
    )
    assert response["Content-Type"] == "application/pdf"


def test_call_list_query_count_does_not_grow_with_agreements(client, django_assert_num_queries):
    world = World(envelope="500000")
    world.signed()
    client.force_login(world.officer)
    url = reverse("agreements:call", args=[world.call.slug])
    client.get(url)  # warm the session and the role caches
    with django_assert_num_queries(13) as captured:
        response = client.get(url)
    assert response.status_code == 200
    first = len(captured.captured_queries)
    from pepiniere.grants import services as grant_services
    from pepiniere.grants.tests.factories import award_kwargs
    from pepiniere.lib.testing.factories import make_submitted
    from pepiniere.selection.tests.factories import mark_selected

    for _ in range(3):
        application = make_submitted(call=world.call)
        mark_selected(application)
        award = grant_services.award_grant(
            application=application, actor=world.officer, **award_kwargs("10000")
        )
        services.prepare_agreement(award=award, actor=world.officer)
    with django_assert_num_queries(first):
        client.get(url)
