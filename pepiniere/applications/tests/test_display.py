"""Answers as people read them: never « yes », « 2015-08-01 », « 0.5 »."""

from pepiniere.applications.display import answer_text
from pepiniere.applications.templatetags.application_tags import action_label
from pepiniere.calls.models import FieldKind, FormField


def _field(kind, key="q", label="Question"):
    return FormField(kind=kind, key=key, label=label)


def test_answers_read_as_french():
    assert answer_text(_field(FieldKind.YES_NO), "yes") == "Oui"
    assert answer_text(_field(FieldKind.YES_NO), "no") == "Non"
    assert answer_text(_field(FieldKind.DATE), "2015-08-01") == "1er août 2015"
    assert answer_text(_field(FieldKind.DATE), "bientôt") == "bientôt"  # a draft keeps its text
    assert answer_text(_field(FieldKind.NUMBER), "0.5") == "0,5"
    assert answer_text(_field(FieldKind.NUMBER), "12500") == "12\xa0500"
    amount = answer_text(_field(FieldKind.AMOUNT), "40000,50")
    assert amount.replace("\u202f", " ").replace("\xa0", " ") == "40 000,50 €"
    assert answer_text(_field(FieldKind.SHORT_TEXT), "") == "—"


def test_group_rows_name_their_columns():
    columns = [_field(FieldKind.SHORT_TEXT, "role", "Rôle"), _field(FieldKind.NUMBER, "etp", "ETP")]
    rows = [{"role": "Direction", "etp": "0.5"}, {"role": "Commercial", "etp": "1"}]
    assert answer_text(_field(FieldKind.GROUP), rows, columns) == (
        "Rôle : Direction · ETP : 0,5\nRôle : Commercial · ETP : 1"
    )


def test_the_applications_journal_words_each_action_in_french():
    # The application's own wording where it is more precise, the audit trail's label otherwise.
    assert action_label("create") == "création du brouillon"
    assert action_label("submit") == "dépôt"
    assert action_label("mark_ineligible") == "déclaré irrecevable"
    assert action_label("decision_letter") != "decision_letter"
