"""The call builder as an officer uses it: create, set every step, preview, publish."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.audit.models import AuditEntry
from pepiniere.calls.models import Call, FieldKind, FormField
from pepiniere.grants.models import CallPolicy, LetterTemplate
from pepiniere.lib.testing.factories import (
    PDF_BYTES,
    make_call,
    make_draft,
    make_funder,
    make_programme,
    make_user,
    page_text,
    plain,
)
from pepiniere.programmes.models import Axis

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return make_programme(make_funder("Région Aquitaine"))


@pytest.fixture
def officer(programme):
    return make_user("agent@example.test", role=Role.OFFICER, funder=programme.funder)


def _new(client, programme, **extra):
    axis = Axis.objects.create(
        programme=programme, code="innovation", title="Innovation", budget=Decimal("1000000")
    )
    data = {
        "start": "blank",
        "title": "Économie collaborative",
        "funder": programme.funder.pk,
        "programme": programme.pk,
        "axis": axis.pk,
        "envelope": "550 000",
        "opens_at": "2030-03-01T09:00",
        "closes_at": "2030-05-29T12:00",
        **extra,
    }
    return client.post(reverse("builder:new"), data)


def test_officer_creates_a_blank_call_with_paris_dates_and_french_amount(
    client, programme, officer
):
    client.force_login(officer)
    response = _new(client, programme)
    call = Call.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("builder:general", args=[call.slug])
    assert call.envelope == Decimal("550000")
    assert not call.is_published
    assert timezone.localtime(call.closes_at).strftime("%d/%m/%Y %H:%M") == "29/05/2030 12:00"
    assert call.closes_at.utcoffset() is not None
    entry = AuditEntry.objects.get(action="call_create")
    assert entry.actor == officer and entry.object_id == call.pk


def test_close_before_open_is_refused_with_a_message_and_nothing_typed_lost(
    client, programme, officer
):
    client.force_login(officer)
    response = _new(client, programme, closes_at="2030-02-01T12:00")
    page = page_text(response)
    assert response.status_code == 200
    assert "La date limite de dépôt doit suivre la date d'ouverture." in page
    assert 'value="Économie collaborative"' in page
    assert not Call.objects.exists()


def test_starting_point_cerfa_gives_the_association_form_and_a_grid(client, programme, officer):
    client.force_login(officer)
    _new(client, programme, start="cerfa-12156")
    call = Call.objects.get()
    labels = [f.label for f in call.form_fields.filter(group__isnull=True)]
    assert any("RNA" in label for label in labels)
    assert any("Budget prévisionnel de l'action" in label for label in labels)
    assert call.criteria.count() == 3
    assert call.eligible_kinds == ["association"]
    group = call.form_fields.get(kind=FieldKind.GROUP)
    assert [c.label for c in group.children.all()] == ["Fonction", "Nombre de personnes", "ETP"]


def test_copying_a_call_copies_form_grid_eligibility_documents_review_and_letters(
    client, programme, officer
):
    source = make_call(
        funder=programme.funder,
        programme=programme,
        departements=["24", "33"],
        eligible_kinds=["startup"],
        blind_review=False,
        blind_hides_commune=True,
        tie_break=["criterion:0"],
    )
    CallPolicy.objects.create(
        call=source,
        signatory="Le Président",
        signatory_title="Le Président du Conseil régional",
        letter_place="Bordeaux",
        letter_contact="Marie Martin, 05 56 00 00 00",
        letters_show_scores=True,
    )
    LetterTemplate.objects.create(
        call=source,
        outcome="awarded",
        subject="Votre aide",
        body="<p>Bonne nouvelle, {{ organisation }}.</p>",
        updated_by=make_user(role=Role.OFFICER, funder=programme.funder),
        updated_at=timezone.now(),
    )
    client.force_login(officer)
    _new(client, programme, start="copy", source=source.pk, title="Édition 2030")
    call = Call.objects.exclude(pk=source.pk).get()
    assert call.title == "Édition 2030" and call.envelope == Decimal("550000")
    assert [f.key for f in call.form_fields.all()] == ["innovation", "plan"]
    assert call.criteria.count() == 1
    assert sorted(d.code for d in call.eligible_departements.all()) == ["24", "33"]
    assert call.eligible_kinds == ["startup"] and call.blind_review is False
    assert call.blind_hides_commune
    assert call.grant_policy.signatory == "Le Président"
    assert call.grant_policy.signatory_title == "Le Président du Conseil régional"
    assert call.grant_policy.letter_place == "Bordeaux"
    assert call.grant_policy.letter_contact == "Marie Martin, 05 56 00 00 00"
    [template] = call.letter_templates.all()
    assert (template.outcome, template.subject, template.updated_by) == (
        "awarded",
        "Votre aide",
        officer,
    )
    assert template.body == "<p>Bonne nouvelle, {{ organisation }}.</p>"
    assert source.letter_templates.count() == 1
    assert AuditEntry.objects.filter(action="call_copy", object_id=call.pk).exists()


def test_eligibility_whole_region_shortcut_and_labels_not_codes(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme, is_published=False)
    client.force_login(officer)
    url = reverse("builder:eligibility", args=[call.slug])
    page = page_text(client.get(url))
    assert "0 salarié" in page or "salarié" in page
    response = client.post(
        url,
        {
            "regions": ["ex-aquitaine"],
            "eligible_kinds": ["association", "startup"],
            "eligible_communes": "33063, 64445\n40192",
            "max_requested_amount": "40 000",
            "max_aid_rate": "80",
        },
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert sorted(d.code for d in call.eligible_departements.all()) == [
        "24",
        "33",
        "40",
        "47",
        "64",
    ]
    assert call.eligible_kinds == ["association", "startup"]
    assert call.eligible_communes == ["33063", "64445", "40192"]
    assert call.max_requested_amount == Decimal("40000")


def test_wrong_commune_codes_are_named(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme)
    client.force_login(officer)
    response = client.post(
        reverse("builder:eligibility", args=[call.slug]), {"eligible_communes": "Bordeaux 33063"}
    )
    assert "BORDEAUX" in page_text(response)
    assert "codes commune INSEE" in page_text(response)


def test_questions_added_set_reordered_and_removed(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme, fields=False)
    client.force_login(officer)
    form_url = reverse("builder:form", args=[call.slug])
    client.post(form_url, {"label": "Statut", "kind": "choice"})
    choice = call.form_fields.get(label="Statut")
    response = client.post(
        reverse("builder:question", args=[call.slug, choice.pk]),
        {
            "label": "Statut juridique",
            "kind": "choice",
            "required": "on",
            "choices": "SAS\n\nSARL\n SCIC ",
        },
    )
    assert response.status_code == 302
    choice.refresh_from_db()
    assert choice.choices == ["SAS", "SARL", "SCIC"]
    client.post(form_url, {"label": "Effectif", "kind": "number"})
    number = call.form_fields.get(label="Effectif")
    client.post(
        reverse("builder:question", args=[call.slug, number.pk]),
        {"label": "Effectif", "kind": "number", "min_value": "0", "max_value": "250"},
    )
    number.refresh_from_db()
    assert (number.min_value, number.max_value) == (Decimal("0"), Decimal("250"))
    client.post(form_url, {"label": "Pièce", "kind": "file"})
    file_q = call.form_fields.get(label="Pièce")
    client.post(
        reverse("builder:question", args=[call.slug, file_q.pk]),
        {
            "label": "Pièce",
            "kind": "file",
            "allowed_extensions": ["pdf", "ods"],
            "max_file_mb": "5",
        },
    )
    file_q.refresh_from_db()
    assert file_q.extensions == ["pdf", "ods"] and file_q.max_file_mb == 5
    # keyboard alternative: move "Pièce" up; drag and drop: a full order
    client.post(reverse("builder:move_question", args=[call.slug, file_q.pk]), {"direction": "up"})
    assert list(call.form_fields.values_list("label", flat=True)) == [
        "Statut juridique",
        "Pièce",
        "Effectif",
    ]
    client.post(
        reverse("builder:reorder", args=[call.slug]), {"order": [number.pk, choice.pk, file_q.pk]}
    )
    assert list(call.form_fields.values_list("label", flat=True)) == [
        "Effectif",
        "Statut juridique",
        "Pièce",
    ]
    client.post(reverse("builder:remove_question", args=[call.slug, number.pk]))
    assert not FormField.objects.filter(pk=number.pk).exists()
    actions = set(AuditEntry.objects.filter(object_id=call.pk).values_list("action", flat=True))
    assert {"question_add", "question_update", "questions_reorder", "question_remove"} <= actions


def test_a_choice_question_needs_two_options_one_per_line(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme, fields=False)
    client.force_login(officer)
    client.post(reverse("builder:form", args=[call.slug]), {"label": "Statut", "kind": "choice"})
    field = call.form_fields.get()
    response = client.post(
        reverse("builder:question", args=[call.slug, field.pk]),
        {"label": "Statut", "kind": "choice", "choices": "SAS"},
    )
    assert "Proposez au moins deux options, une par ligne." in page_text(response)


def test_a_question_with_answers_cannot_be_removed_or_change_kind(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme)
    make_draft(call=call)  # answers "innovation" and attaches "plan"
    client.force_login(officer)
    innovation = call.form_fields.get(key="innovation")
    response = client.post(
        reverse("builder:remove_question", args=[call.slug, innovation.pk]), follow=True
    )
    assert "ne peut plus être retirée" in page_text(response)
    assert FormField.objects.filter(pk=innovation.pk).exists()
    response = client.post(
        reverse("builder:question", args=[call.slug, innovation.pk]),
        {"label": "Innovation", "kind": "short_text"},
    )
    assert "son type ne peut plus changer" in page_text(response)
    innovation.refresh_from_db()
    assert innovation.kind == FieldKind.LONG_TEXT
    # wording and limits may still change
    response = client.post(
        reverse("builder:question", args=[call.slug, innovation.pk]),
        {"label": "L'innovation du projet", "kind": "long_text", "word_limit": "300"},
    )
    innovation.refresh_from_db()
    assert innovation.label == "L'innovation du projet" and innovation.word_limit == 300


def test_grid_review_settings_documents_and_letters(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme, fields=False)
    client.force_login(officer)
    grid = {
        "criteria-TOTAL_FORMS": "3",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "30",
        "allow_half_marks": "on",
        "overall_threshold": "10",
    }
    for i, title in enumerate(["Innovation", "Marché", "Équipe"]):
        grid |= {
            f"criteria-{i}-title": title,
            f"criteria-{i}-scale_min": "0",
            f"criteria-{i}-scale_max": "5",
            f"criteria-{i}-weight": "1",
            f"criteria-{i}-threshold": "3",
        }
    assert client.post(reverse("builder:grid", args=[call.slug]), grid).status_code == 302
    assert [c.title for c in call.criteria.all()] == ["Innovation", "Marché", "Équipe"]
    call.refresh_from_db()
    assert call.allow_half_marks and call.overall_threshold == Decimal("10")
    second = call.criteria.get(title="Marché")
    response = client.post(
        reverse("builder:review", args=[call.slug]),
        {
            "reviews_per_application": "2",
            "reviewer_max_load": "10",
            "show_other_reviews": "on",
            "review_deadline": "2030-07-01T18:00",
            "tie_1": f"criterion:{second.position}",
            "tie_2": "submitted_at",
        },
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.tie_break == [f"criterion:{second.position}", "submitted_at"]
    assert call.show_other_reviews and not call.blind_review
    assert timezone.localtime(call.review_deadline).hour == 18
    upload = SimpleUploadedFile("règlement.pdf", PDF_BYTES, "application/pdf")
    client.post(
        reverse("builder:documents", args=[call.slug]), {"title": "Règlement", "file": upload}
    )
    assert call.documents.get().title == "Règlement"
    page = page_text(client.get(reverse("builder:letters", args=[call.slug])))
    for label in ("Qualité du signataire", "Lieu d'émission des courriers", "Affaire suivie par"):
        assert label in page
    client.post(
        reverse("builder:letters", args=[call.slug]),
        {
            "signatory": "Alain Rousset",
            "signatory_title": "Le Président du Conseil régional",
            "letter_place": "Bordeaux",
            "letter_contact": "Marie Martin, 05 56 00 00 00",
            "de_minimis": "on",
        },
    )
    policy = CallPolicy.objects.get(call=call)
    assert policy.signatory == "Alain Rousset"
    assert policy.signatory_title == "Le Président du Conseil régional"
    assert (policy.letter_place, policy.letter_contact) == (
        "Bordeaux",
        "Marie Martin, 05 56 00 00 00",
    )


def test_preview_shows_the_applicant_form_and_its_messages_without_saving(
    client, programme, officer
):
    call = make_call(funder=programme.funder, programme=programme)
    client.force_login(officer)
    url = reverse("builder:preview", args=[call.slug])
    page = page_text(client.get(url))
    assert "Titre du projet" in page and "Innovation" in page and "Plan de financement" in page
    assert "50 mots au maximum" in page
    response = client.post(url, {"core-title": "X", "f-innovation": "mot " * 60})
    page = plain(page_text(response))
    assert "60 mots pour 50 au maximum" in page
    assert not call.applications.exists()


def test_publish_needs_a_complete_call_then_puts_it_in_the_catalogue(client, programme, officer):
    call = make_call(
        funder=programme.funder, programme=programme, fields=False, is_published=False, summary=""
    )
    client.force_login(officer)
    url = reverse("builder:publish", args=[call.slug])
    page = page_text(client.get(url))
    assert "Le formulaire n'a aucune question" in page
    assert "La grille d'évaluation n'a aucun critère." in page
    assert "Écrivez le résumé" in page
    response = client.post(url, {"action": "publish"}, follow=True)
    assert "ne peut pas encore être publié" in page_text(response)
    call.refresh_from_db()
    assert not call.is_published
    call.summary = "Un appel"
    call.save()
    FormField.objects.create(call=call, key="q", label="Q", kind=FieldKind.SHORT_TEXT)
    call.criteria.create(title="Innovation")
    client.post(url, {"action": "publish"})
    call.refresh_from_db()
    assert call.is_published
    assert AuditEntry.objects.filter(action="call_publish", object_id=call.pk).exists()


def test_envelope_above_what_the_axis_has_left_is_a_warning_not_a_block(client, programme, officer):
    axis = Axis.objects.create(
        programme=programme, code="a", title="Formation", budget=Decimal("600000")
    )
    make_call(funder=programme.funder, programme=programme, axis=axis, envelope=Decimal("400000"))
    call = make_call(funder=programme.funder, programme=programme, axis=axis, is_published=False)
    client.force_login(officer)
    page = plain(page_text(client.get(reverse("builder:publish", args=[call.slug]))))
    assert "dépasse ce qui reste sur l'axe « Formation » (200 000,00 €)" in page
    client.post(reverse("builder:publish", args=[call.slug]), {"action": "publish"})
    call.refresh_from_db()
    assert call.is_published


def test_co_funder_reads_without_controls_and_cannot_post(client, programme):
    call = make_call(funder=programme.funder, programme=programme)
    partner = make_funder("Bordeaux Métropole")
    call.co_funders.add(partner)
    reader = make_user(role=Role.OFFICER, funder=partner)
    client.force_login(reader)
    page = page_text(client.get(reverse("builder:general", args=[call.slug])))
    assert "Lecture seule" in page
    assert "Enregistrer" not in page
    response = client.post(reverse("builder:general", args=[call.slug]), {"title": "Piraté"})
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.title != "Piraté"


def test_another_funders_officer_gets_404_everywhere(client, programme):
    call = make_call(funder=programme.funder, programme=programme)
    stranger = make_user(role=Role.OFFICER, funder=make_funder("Région Occitanie"))
    client.force_login(stranger)
    for name in [
        "general",
        "eligibility",
        "form",
        "grid",
        "review",
        "documents",
        "letters",
        "preview",
        "publish",
    ]:
        assert client.get(reverse(f"builder:{name}", args=[call.slug])).status_code == 404, name
    field = call.form_fields.get(key="innovation")
    assert (
        client.post(reverse("builder:remove_question", args=[call.slug, field.pk])).status_code
        == 404
    )
    listing = page_text(client.get(reverse("builder:list")))
    assert call.title not in listing


def test_list_page_query_count_does_not_grow_with_calls(
    client, programme, officer, django_assert_max_num_queries
):
    make_call(funder=programme.funder, programme=programme)
    client.force_login(officer)
    with django_assert_max_num_queries(12) as small:
        assert client.get(reverse("builder:list")).status_code == 200
    for _ in range(5):
        make_call(funder=programme.funder, programme=programme)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("builder:list")).status_code == 200


def test_form_step_query_count_does_not_grow_with_questions(
    client, programme, officer, django_assert_max_num_queries
):
    call = make_call(funder=programme.funder, programme=programme)
    client.force_login(officer)
    url = reverse("builder:form", args=[call.slug])
    with django_assert_max_num_queries(14) as small:
        client.get(url)
    for i in range(6):
        FormField.objects.create(call=call, key=f"k{i}", label=f"Q{i}", kind=FieldKind.SHORT_TEXT)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_back_office_home_links_the_builder(client, programme, officer):
    client.force_login(officer)
    page = page_text(client.get(reverse("backoffice:home")))
    assert "Nouvel appel à projets" in page
    assert reverse("builder:new") in page
    _ = datetime


def test_every_step_opens_in_french_for_the_officer(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme, is_published=False)
    group = FormField.objects.create(call=call, key="team", label="Équipe", kind=FieldKind.GROUP)
    FormField.objects.create(
        call=call, key="name", label="Nom", kind=FieldKind.SHORT_TEXT, group=group
    )
    client.force_login(officer)
    for name in [
        "general",
        "eligibility",
        "form",
        "grid",
        "review",
        "documents",
        "letters",
        "preview",
        "publish",
    ]:
        response = client.get(reverse(f"builder:{name}", args=[call.slug]))
        assert response.status_code == 200, name
        assert 'aria-current="page"' in response.content.decode(), name
    for field in call.form_fields.all():
        page = page_text(client.get(reverse("builder:question", args=[call.slug, field.pk])))
        assert "Enregistrer la question" in page
    page = page_text(client.get(reverse("builder:question", args=[call.slug, group.pk])))
    assert "Colonnes du groupe" in page and "Nom" in page
    # the kind's settings come from the server when the kind changes (htmx)
    innovation = call.form_fields.get(key="innovation")
    partial = page_text(
        client.get(
            reverse("builder:question", args=[call.slug, innovation.pk]),
            {"kind": "file"},
            headers={"HX-Request": "true"},
        )
    )
    assert "Formats de fichier acceptés" in partial and "<html" not in partial
    page = page_text(client.get(reverse("builder:list")))
    assert call.title in page
    page = page_text(client.get(reverse("builder:new")))
    assert "Subvention à une association (CERFA n° 12156)" in page


def test_general_step_saves_without_summary_and_shows_amounts_as_typed(client, programme, officer):
    client.force_login(officer)
    _new(client, programme, title="Numérique 2030")
    call = Call.objects.get()
    assert call.slug == "numerique-2030"  # the year is not repeated
    url = reverse("builder:general", args=[call.slug])
    page = page_text(client.get(url))
    assert 'value="550 000"' in page
    response = client.post(
        url,
        {
            "title": "Numérique 2030",
            "programme": programme.pk,
            "envelope": "600 000,50",
            "opens_at": "2030-03-01T09:00",
            "closes_at": "2030-05-29T12:00",
        },
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.envelope == Decimal("600000.50")
    assert 'value="600 000,50"' in page_text(client.get(url))
    entry = AuditEntry.objects.filter(action="call_update", object_id=call.pk).get()
    assert "600000.50" in entry.reason


def test_grid_shows_marks_as_a_person_writes_them(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme)
    client.force_login(officer)
    page = page_text(client.get(reverse("builder:grid", args=[call.slug])))
    assert 'name="criteria-0-scale_max" value="5"' in page
    assert "5.00" not in page


def test_publication_step_shows_the_history_in_french(client, programme, officer):
    client.force_login(officer)
    _new(client, programme, start="innovation")
    call = Call.objects.get()
    client.post(reverse("builder:publish", args=[call.slug]), {"action": "publish"})
    page = page_text(client.get(reverse("builder:publish", args=[call.slug])))
    assert "Historique des modifications" in page
    assert "Création de l'appel — Modèle : Projet d'innovation d'une start-up." in page
    assert "call_create" not in page


def test_the_review_step_offers_to_hide_the_commune_in_blind_review(client, programme, officer):
    call = make_call(funder=programme.funder, programme=programme, is_published=False)
    client.force_login(officer)
    url = reverse("builder:review", args=[call.slug])
    assert "masquer aussi la commune" in page_text(client.get(url))
    response = client.post(
        url,
        {
            "reviews_per_application": "2",
            "reviewer_max_load": "10",
            "blind_review": "on",
            "blind_hides_commune": "on",
        },
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.blind_review and call.blind_hides_commune
