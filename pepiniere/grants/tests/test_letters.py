import pytest
from django.core import mail
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.grants import letters, services
from pepiniere.grants.models import DecisionLetter
from pepiniere.grants.tests.factories import award_kwargs
from pepiniere.lib.testing.factories import make_user, page_text, plain
from pepiniere.selection.tests.factories import mark_selected, ranked_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided():
    call, officer, apps = ranked_call(
        [("33", 40000, 5), ("24", 30000, 4), ("40", 30000, 4), ("64", 20000, 2)]
    )
    a, b, c, d = apps
    mark_selected(a, b, reason="Rang 1, dans l'enveloppe.")
    Application.objects.filter(pk=c.pk).update(
        status=Status.RESERVE, decision_reason="Enveloppe épuisée au rang 3."
    )
    Application.objects.filter(pk=d.pk).update(
        status=Status.REJECTED, decision_reason="Non finançable : sous un seuil d'évaluation."
    )
    services.award_grant(application=a, actor=officer, **award_kwargs("40000"))
    return call, officer, apps


def test_letters_go_to_every_decided_applicant_once_with_the_pdf(
    decided, django_capture_on_commit_callbacks
):
    call, officer, (a, b, c, d) = decided
    with django_capture_on_commit_callbacks(execute=True):
        sent = letters.send_decision_letters(call=call, actor=officer)
    assert {(letter.application_id, letter.outcome) for letter in sent} == {
        (a.pk, "awarded"),
        (b.pk, "selected"),
        (c.pk, "reserve"),
        (d.pk, "rejected"),
    }
    assert len(mail.outbox) == 4
    rejected = next(m for m in mail.outbox if d.reference in m.subject)
    assert rejected.to == [d.created_by.email]
    assert "Non finançable : sous un seuil d'évaluation." in rejected.body
    assert "Voies de recours" in rejected.body
    name, content, mimetype = rejected.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    awarded = next(m for m in mail.outbox if a.reference in m.subject)
    assert "une aide de 40 000,00 € est attribuée" in plain(str(awarded.body))
    assert "Notes moyennes" not in awarded.body  # the call's policy does not show scores
    with django_capture_on_commit_callbacks(execute=True):
        assert letters.send_decision_letters(call=call, actor=officer) == []
    assert len(mail.outbox) == 4


def test_scores_and_comments_appear_when_the_policy_says_so(decided):
    call, officer, (a, b, c, d) = decided
    services.set_call_policy(
        call=call,
        actor=officer,
        letters_show_scores=True,
        letters_show_comments=True,
        de_minimis=True,
        signatory="La présidente du jury",
    )
    letters.send_decision_letters(call=call, actor=officer)
    letter = DecisionLetter.objects.get(application=d)
    text = "\n".join(t for _h, t in letters.letter_paragraphs(letter))
    assert "Innovation : 2 / 5" in text
    assert f"Expert·e 1 : Avis de l'expert sur le dossier {d.pk}." in text
    assert letters.letter_pdf(letter).startswith(b"%PDF")


def test_only_officers_send_letters_and_applicants_read_only_their_own(client, decided):
    call, officer, (a, b, c, d) = decided
    with pytest.raises(services.AwardError):
        letters.send_decision_letters(
            call=call, actor=make_user(role=Role.JURY, funder=call.funder)
        )
    letters.send_decision_letters(call=call, actor=officer)
    letter = DecisionLetter.objects.get(application=d)
    client.force_login(d.created_by)
    page = page_text(client.get(reverse("aid:decision", args=[d.pk])))
    assert "Non retenu — courrier du" in page and "Voies de recours" in page
    response = client.get(reverse("aid:letter_pdf", args=[letter.pk]))
    assert response["Content-Type"] == "application/pdf"
    client.force_login(a.created_by)
    assert client.get(reverse("aid:decision", args=[d.pk])).status_code == 404
    assert client.get(reverse("aid:letter_pdf", args=[letter.pk])).status_code == 404


def test_a_review_set_aside_for_a_conflict_is_neither_scored_nor_quoted_in_the_letter(decided):
    from pepiniere.reviews import services as review_services
    from pepiniere.reviews.models import Assignment

    call, officer, (a, b, c, d) = decided
    services.set_call_policy(
        call=call,
        actor=officer,
        letters_show_scores=True,
        letters_show_comments=True,
        de_minimis=True,
        signatory="La présidente du jury",
    )
    assignment = Assignment.objects.get(application=d)
    outcome = review_services.declare_conflict_on_assignment(
        assignment=assignment, actor=assignment.reviewer, note="Mon ancien employeur"
    )
    assert outcome.request is not None
    review_services.decide_conflict_request(request=outcome.request, actor=officer, accept=True)
    letters.send_decision_letters(call=call, actor=officer)
    text = "\n".join(
        t for _h, t in letters.letter_paragraphs(DecisionLetter.objects.get(application=d))
    )
    assert "Avis de l'expert" not in text and "Innovation : 2 / 5" not in text
