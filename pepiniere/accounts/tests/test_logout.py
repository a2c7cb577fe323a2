import pytest
from django.urls import reverse

from pepiniere.lib.testing.factories import make_draft, make_organisation, make_user

pytestmark = pytest.mark.django_db


def test_logout_asks_the_browser_to_forget_local_copies(client):
    client.force_login(make_user())
    page = client.get(reverse("applications:mine")).content.decode()
    assert "data-clear-drafts" in page  # the logout form: the script forgets the copies first
    response = client.post(reverse("accounts:logout"))
    assert response["Clear-Site-Data"] == '"storage"'


def test_the_local_copy_of_a_draft_is_keyed_with_the_user(client):
    applicant = make_user()
    draft = make_draft(
        applicant=applicant, organisation=make_organisation(member=applicant), complete=False
    )
    client.force_login(applicant)
    page = client.get(reverse("applications:edit", args=[draft.pk])).content.decode()
    assert f'data-user-id="{applicant.pk}" data-application-id="{draft.pk}"' in page
