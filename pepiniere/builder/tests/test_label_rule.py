"""The officers' call builder sets the labels a call requires, like its other eligibility rules."""

import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.audit.models import AuditEntry
from pepiniere.builder import services
from pepiniere.lib.testing.factories import make_call, make_user, page_text
from pepiniere.programmes.tests.factories import make_label, make_state

pytestmark = pytest.mark.django_db


def test_the_eligibility_step_sets_the_required_label_and_the_copy_keeps_it(client):
    state = make_state()
    label = make_label(funder=state)
    call = make_call(funder=state, is_published=False)
    officer = make_user(role=Role.OFFICER, funder=state)
    client.force_login(officer)
    url = reverse("builder:eligibility", args=[call.slug])
    text = page_text(client.get(url))
    assert "Labels exigés" in text
    assert "French Tech (décerné par État — Mission French Tech)" in text
    response = client.post(url, {"required_labels": [label.pk]})
    assert response.status_code == 302
    assert list(call.required_labels.all()) == [label]
    entry = AuditEntry.objects.filter(action="call_update").latest("pk")
    assert entry.reason == "Labels exigés : French Tech"
    copy = services.create_call(
        actor=officer,
        funder=state,
        programme=call.programme,
        axis=call.axis,
        title="Copie",
        envelope=call.envelope,
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        source=call,
    )
    assert list(copy.required_labels.all()) == [label]
    response = client.post(url, {"eligible_communes": ""})
    assert response.status_code == 302, page_text(response)[-3000:]
    assert list(call.required_labels.all()) == []


def test_the_call_page_and_the_catalogue_say_the_label_is_required(client):
    state = make_state()
    label = make_label(funder=state)
    call = make_call(funder=state, title="French Tech — attractivité internationale")
    call.required_labels.set([label])
    text = page_text(client.get(reverse("calls:detail", args=[call.slug])))
    assert (
        "Structures labellisées (par elles-mêmes ou par leur territoire, à la date du dépôt) :"
        in text
    )
    assert f'href="{reverse("programmes:label", args=[label.slug])}"' in text
    text = page_text(client.get(reverse("calls:catalogue")))
    assert "Réservé aux structures labellisées French Tech" in text
