"""Decision letters from the officers' HTML templates, rendered to a real PDF (issue 9)."""

import io
from typing import Any

import pypdf
import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.audit.models import AuditEntry
from pepiniere.grants import letter_templates, letters, services
from pepiniere.grants.models import DecisionLetter, LetterTemplate
from pepiniere.grants.tests.factories import award_kwargs
from pepiniere.lib.testing.factories import make_user, page_text, plain
from pepiniere.selection.tests.factories import mark_selected, ranked_call

pytestmark = pytest.mark.django_db
MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT = 297 * MM
TITLE = "Appel à projets « Économie collaborative »"


@pytest.fixture
def decided():
    call, officer, (a, b) = ranked_call([("33", 40000, 5), ("64", 20000, 2)], title=TITLE)
    mark_selected(a, reason="Rang 1, dans l'enveloppe.")
    Application.objects.filter(pk=b.pk).update(
        status=Status.REJECTED, decision_reason="Non finançable : sous un seuil d'évaluation."
    )
    services.award_grant(application=a, actor=officer, **award_kwargs("40000"))
    services.set_call_policy(
        call=call,
        actor=officer,
        letters_show_scores=False,
        letters_show_comments=False,
        de_minimis=True,
        signatory="Alain Rousset",
        signatory_title="Le Président du Conseil régional",
        letter_place="Bordeaux",
        letter_contact="Mme Dupont, 05 56 00 00 00",
    )
    return call, officer, a, b


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _positions(pdf: bytes) -> list[tuple[str, float, float]]:
    """(text, mm from the left edge, mm from the top edge) of each text run of page 1."""
    found: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x / MM, (A4_HEIGHT - y) / MM))

    pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def test_the_letter_is_a_real_pdf_in_french_administrative_layout(decided):
    call, officer, awarded, _rejected = decided
    letters.send_decision_letters(call=call, actor=officer)
    letter = DecisionLetter.objects.get(application=awarded)
    pdf = letters.letter_pdf(letter)
    text = plain(_text(pdf))
    # The title is the call's, once: never « appel à projets « Appel à projets … » ».
    assert "Appel à projets « Appel" not in text and "appel à projets « Appel" not in text
    assert "présenté à l'appel à projets « Économie collaborative »" in " ".join(text.split())
    assert not any(line.rstrip().endswith("«") for line in text.splitlines())
    # The e-mail and the applicant's page word it the same way.
    opening = letters.letter_paragraphs(letter)[0][1]
    assert "présenté à l'appel à projets « Économie collaborative »," in opening
    for part in (
        call.funder.name,
        f"Nos réf. : {awarded.reference}",
        "Affaire suivie par : Mme Dupont, 05 56 00 00 00",
        "Bordeaux, le ",
        "Objet : ",
        "Madame, Monsieur,",
        "une aide de 40 000,00 € est attribuée",
        "Le Président du Conseil régional",
        "Alain Rousset",
    ):
        assert part in text, part
    # The address block lies in a DL envelope's window (right, ~110 mm from the left, from ~50 mm
    # from the top).
    name = awarded.organisation.name
    ((x, top),) = [(x, top) for t, x, top in _positions(pdf) if t == name]
    assert 100 <= x <= 120 and 45 <= top <= 65, (x, top)
    resources: Any = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]
    fonts = [str(f.get_object()["/BaseFont"]) for f in resources["/Font"].values()]
    assert fonts and all("DejaVu" in name for name in fonts), fonts  # the vendored fonts


def test_an_officer_edits_the_template_and_the_next_letter_uses_it(client, decided):
    call, officer, awarded, rejected = decided
    client.force_login(officer)
    url = reverse("grants:letter_template", args=[call.slug, "rejected"])
    page = plain(page_text(client.get(url)))
    assert "n'a pas été retenu" in page and "Voies de recours" in page
    response = client.post(
        url,
        {
            "save": "",
            "subject": "Votre dossier {{ dossier }}",
            "body": "<p>Madame, Monsieur,</p><p>Texte propre à l'appel pour {{ organisation }} : "
            "{{ motif }}</p>",
        },
    )
    assert response.status_code == 302
    assert LetterTemplate.objects.get(call=call, outcome="rejected").updated_by == officer
    assert AuditEntry.objects.filter(action="set_letter_template").exists()
    letters.send_decision_letters(call=call, actor=officer)
    text = plain(_text(letters.letter_pdf(DecisionLetter.objects.get(application=rejected))))
    assert f"Texte propre à l'appel pour {rejected.organisation.name}" in text
    assert f"Objet : Votre dossier {rejected.reference}" in text
    assert "Non finançable : sous un seuil d'évaluation." in text
    # The other kind keeps the default wording; a sent letter keeps its wording afterwards.
    awarded_text = plain(_text(letters.letter_pdf(DecisionLetter.objects.get(application=awarded))))
    assert "Texte propre" not in awarded_text and "une aide de 40 000,00 €" in awarded_text
    LetterTemplate.objects.filter(call=call).update(body="<p>Changé ensuite.</p>")
    text = plain(_text(letters.letter_pdf(DecisionLetter.objects.get(application=rejected))))
    assert "Texte propre à l'appel" in text and "Changé ensuite" not in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>{% if motif %}Sans fin</p>", "Corps du courrier : modèle invalide (ligne 1)"),
        ("<p>Bonjour {{ projt }}</p>", "variable inconnue « projt »"),
        ("{% include 'base.html' %}", "ne peut pas être rendu"),
        ("{% load static %}<p>{% static 'x' %}</p>", "modèle invalide"),
        ("<p>{{ montant|nofilter }}</p>", "modèle invalide"),
    ],
)
def test_an_invalid_template_is_refused_with_a_clear_message(client, decided, body, message):
    call, officer, _awarded, _rejected = decided
    client.force_login(officer)
    url = reverse("grants:letter_template", args=[call.slug, "awarded"])
    response = client.post(url, {"save": "", "subject": "Objet {{ dossier }}", "body": body})
    assert response.status_code == 422
    page = plain(page_text(response))
    assert message in page
    assert body in page  # what was typed is kept
    assert not LetterTemplate.objects.exists()


def test_values_are_escaped_and_the_preview_is_a_pdf(client, decided):
    call, officer, _awarded, _rejected = decided
    context = letter_templates.sample_context("awarded")
    context["organisation"] = "<script>alert(1)</script> & Cie"
    assert letter_templates.render("<p>{{ organisation }}</p>", context) == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie</p>"
    )
    client.force_login(officer)
    url = reverse("grants:letter_template", args=[call.slug, "selected"])
    response = client.post(
        url, {"preview": "", "subject": "Aperçu {{ dossier }}", "body": "<p>{{ projet }}</p>"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = plain(_text(response.content))
    assert "Objet : Aperçu 2015-ECO-0001" in text and "Plateforme de réemploi" in text
    assert not LetterTemplate.objects.exists()  # a preview saves nothing


def test_only_the_calls_officers_edit_templates(client, decided):
    call, _officer, awarded, _rejected = decided
    url = reverse("grants:letter_template", args=[call.slug, "awarded"])
    for user in (
        make_user(role=Role.JURY, funder=call.funder),
        make_user(role=Role.OFFICER),
        awarded.created_by,
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"save": "", "subject": "x", "body": "<p>x</p>"}).status_code == 404
    assert not LetterTemplate.objects.exists()


def test_every_default_template_is_valid_and_names_the_call_once():
    for outcome in ("awarded", "selected", "reserve", "rejected"):
        wording = letter_templates.default_wording(outcome)
        letter_templates.check_template(wording.subject, label="Objet", outcome=outcome)
        letter_templates.check_template(wording.body, label="Corps", outcome=outcome)
        body = letter_templates.render(wording.body, letter_templates.sample_context(outcome))
        assert body.count("appel à projets « Économie collaborative »") == 1, outcome
    assert letter_templates.call_designation("Soutien aux tiers-lieux") == (
        "appel à projets « Soutien aux tiers-lieux »"
    )


def test_the_admin_refuses_an_invalid_template_too(decided):
    from pepiniere.grants.admin import LetterTemplateAdminForm

    call, officer, _awarded, _rejected = decided
    data = {
        "call": call.pk,
        "outcome": "awarded",
        "subject": "Objet",
        "body": "<p>{{ inconnue }}</p>",
        "updated_by": officer.pk,
        "updated_at": "2026-07-10 10:00",
    }
    form = LetterTemplateAdminForm(data=data)
    assert not form.is_valid()
    assert "variable inconnue « inconnue »" in plain(str(form.errors["body"]))
