"""Issue 10: changes made through the Django admin to money, budgets, aid, letters or roles are
audited like the services' changes; the admin is in French and scoped per funder."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from pepiniere.accounts.models import Role, RoleGrant
from pepiniere.audit.models import AuditEntry
from pepiniere.calls.models import Call
from pepiniere.grants.models import BudgetLine, BudgetScope
from pepiniere.lib.testing.factories import make_call, make_funder, make_user, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return make_user("admin@example.test", role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_an_envelope_changed_in_the_admin_writes_an_audit_row_with_old_and_new(client, admin_user):
    call = make_call(envelope=Decimal("550000"))
    line = BudgetLine.objects.create(scope=BudgetScope.CALL, call=call, envelope=Decimal("550000"))
    client.force_login(admin_user)
    url = reverse("admin:grants_budgetline_change", args=[line.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["envelope"] = "600000"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="admin_change", object_id=line.pk)
    assert entry.actor == admin_user
    assert "550000" in entry.reason and "600000" in entry.reason
    assert entry.public is False


def test_a_role_granted_and_removed_in_the_user_admin_is_audited(client, admin_user):
    funder = make_funder()
    person = make_user("person@example.test")
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    grant = person.role_grants.get()
    data = {
        "email": person.email,
        "full_name": person.full_name,
        "language": "fr",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "role_grants-TOTAL_FORMS": "2",
        "role_grants-INITIAL_FORMS": "1",
        "role_grants-MIN_NUM_FORMS": "0",
        "role_grants-MAX_NUM_FORMS": "1000",
        "role_grants-0-id": str(grant.pk),
        "role_grants-0-user": str(person.pk),
        "role_grants-0-role": grant.role,
        "role_grants-0-DELETE": "on",
        "role_grants-1-user": str(person.pk),
        "role_grants-1-role": Role.OFFICER,
        "role_grants-1-funder": str(funder.pk),
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    new_grant = RoleGrant.objects.get(user=person)
    assert new_grant.role == Role.OFFICER
    actions = set(
        AuditEntry.objects.filter(object_repr__contains=str(person)).values_list(
            "action", "object_id"
        )
    )
    assert ("admin_create", new_grant.pk) in actions
    assert ("admin_delete", grant.pk) in actions


def test_a_call_deleted_in_the_admin_is_audited(client, admin_user):
    call = make_call(fields=False)
    client.force_login(admin_user)
    response = client.post(reverse("admin:calls_call_delete", args=[call.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Call.objects.filter(pk=call.pk).exists()
    assert AuditEntry.objects.filter(action="admin_delete", object_id=call.pk).exists()


def test_admin_titles_and_headings_are_correct_french(client, admin_user):
    call = make_call()
    client.force_login(admin_user)
    index = page_text(client.get(reverse("admin:index")))
    assert "Administration de Pépinière" in index
    add = page_text(client.get(reverse("admin:calls_call_add")))
    assert "Appel à projets — ajout" in add
    assert "Ajout de appel" not in add
    change = page_text(client.get(reverse("admin:calls_call_change", args=[call.pk])))
    assert "Documents de l'appel" in change
    assert "appels" not in change.split("Documents de l'appel")[0][-20:]
    assert "Document de l'appels" not in change
    listing = page_text(client.get(reverse("admin:calls_call_changelist")))
    assert "<title>Appels à projets" in listing


def test_call_admin_shows_kinds_as_checkboxes_and_communes_one_per_line(client, admin_user):
    call = make_call(eligible_kinds=["association"], eligible_communes=["33063", "64445"])
    client.force_login(admin_user)
    page = page_text(client.get(reverse("admin:calls_call_change", args=[call.pk])))
    assert 'type="checkbox" name="eligible_kinds" value="association"' in page
    assert "33063\n64445" in page
    assert '["association"]' not in page


def test_a_staff_account_of_one_funder_sees_only_its_funders_calls(client):
    mine = make_call(title="Appel de ma Région")
    other = make_call(title="Appel d'un autre financeur")
    staff = make_user(role=Role.OFFICER, funder=mine.funder, is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_call", "change_call"])
    )
    client.force_login(staff)
    listing = page_text(client.get(reverse("admin:calls_call_changelist")))
    assert "Appel de ma Région" in listing
    assert "Appel d'un autre financeur" not in listing
    assert client.get(reverse("admin:calls_call_change", args=[other.pk])).status_code == 302
    form = client.get(reverse("admin:calls_call_change", args=[mine.pk])).context["adminform"]
    funders = list(form.form.fields["funder"].queryset)
    assert funders == [mine.funder]


def _staff(funder, *codenames):
    staff = make_user(role=Role.OFFICER, funder=funder, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return staff


def test_staff_of_one_funder_sees_only_its_budget_lines_and_awards_pages(client):
    mine = make_call(title="Appel de ma Région")
    other = make_call(title="Appel d'un autre financeur")
    own_line = BudgetLine.objects.create(scope=BudgetScope.CALL, call=mine, envelope=Decimal(1))
    other_line = BudgetLine.objects.create(scope=BudgetScope.CALL, call=other, envelope=Decimal(1))
    client.force_login(_staff(mine.funder, "view_budgetline", "change_budgetline"))
    assert (
        client.get(reverse("admin:grants_budgetline_change", args=[own_line.pk])).status_code == 200
    )
    response = client.get(reverse("admin:grants_budgetline_change", args=[other_line.pk]))
    assert response.status_code == 302  # "does not exist" for this account


def test_a_funders_staff_account_cannot_make_itself_superuser(client):
    funder = make_funder()
    staff = _staff(
        funder, "view_user", "change_user", "add_rolegrant", "change_rolegrant", "view_rolegrant"
    )
    colleague = make_user("colleague@example.test", role=Role.OFFICER, funder=funder)
    outsider = make_user("outsider@example.test", role=Role.OFFICER, funder=make_funder("Autre"))
    client.force_login(staff)
    listing = page_text(client.get(reverse("admin:accounts_user_changelist")))
    assert colleague.email in listing and outsider.email not in listing
    page = client.get(reverse("admin:accounts_user_change", args=[staff.pk]))
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
    inline = page.context["inline_admin_formsets"][0].formset
    roles = {value for value, _label in inline.empty_form.fields["role"].choices if value}
    assert Role.ADMIN not in roles and Role.REVIEWER not in roles
    assert list(inline.empty_form.fields["funder"].queryset) == [funder]
