"""Malformed input on every builder form: a 4xx or a message on the form, never a 500, and nothing
half-written."""

import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Call
from pepiniere.lib.testing.factories import make_call, make_user

pytestmark = pytest.mark.django_db

BAD = [
    "NaN",
    "-Infinity",
    "sNaN",
    "1e999",
    "١٢٣",
    "9" * 40,
    "<script>",
    "",
    "\x00",
    "2030-02-30T25:61",
]
FIELDS = [
    "title",
    "summary",
    "description",
    "programme",
    "axis",
    "sectors",
    "co_funders",
    "envelope",
    "opens_at",
    "closes_at",
    "contact_email",
    "regions",
    "eligible_departements",
    "eligible_communes",
    "eligible_kinds",
    "eligible_legal_forms",
    "eligible_size_bands",
    "min_age_years",
    "max_age_years",
    "max_requested_amount",
    "max_aid_rate",
    "label",
    "kind",
    "word_limit",
    "min_value",
    "max_value",
    "choices",
    "max_rows",
    "allowed_extensions",
    "max_file_mb",
    "reviews_per_application",
    "reviewer_max_load",
    "review_deadline",
    "tie_1",
    "order",
    "direction",
    "move",
    "action",
    "start",
    "source",
    "funder",
    "signatory",
    "criteria-TOTAL_FORMS",
    "criteria-INITIAL_FORMS",
    "criteria-0-id",
    "criteria-0-title",
    "criteria-0-scale_min",
    "criteria-0-scale_max",
    "criteria-0-weight",
    "criteria-0-threshold",
    "overall_threshold",
]


def test_no_builder_page_answers_500_to_malformed_values(client):
    call = make_call(is_published=False)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    client.force_login(officer)
    field = call.form_fields.get(key="innovation")
    urls = (
        [reverse("builder:new")]
        + [
            reverse(f"builder:{name}", args=[call.slug])
            for name in [
                "general",
                "eligibility",
                "form",
                "grid",
                "review",
                "letters",
                "preview",
                "publish",
                "reorder",
            ]
        ]
        + [
            reverse(f"builder:{name}", args=[call.slug, field.pk])
            for name in ["question", "add_column", "move_question"]
        ]
    )
    for url in urls:
        for value in BAD:
            response = client.post(url, {name: value for name in FIELDS})
            assert response.status_code < 500, (url, value)
            response = client.get(url, {"kind": value})
            assert response.status_code < 500, (url, value)
    assert (
        client.get("/instruction/conception/x/formulaire/99999999999999999999/").status_code == 404
    )
    assert Call.objects.count() == 1
