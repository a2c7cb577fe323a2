"""Each role lands on its work; menus and a call's tabs only show what the person may open."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from pepiniere.accounts.models import Role, RoleGrant
from pepiniere.lib.testing.factories import (
    make_call,
    make_funder,
    make_organisation,
    make_submitted,
    make_user,
    page_text,
    plain,
)
from pepiniere.lib.testing.world import build_world
from pepiniere.reviews.models import Assignment

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"
HEADER = re.compile(r'<nav aria-label="Navigation principale">(.*?)</nav>', re.S)
TABS = re.compile(r"<ul class=\"tabs\">(.*?)</ul>", re.S)
HREF = re.compile(r'href="([^"#]+)"')


def _inside(pattern: re.Pattern[str], html: str) -> str:
    found = pattern.search(html)
    assert found is not None, pattern.pattern
    return found.group(1)


def _links(pattern: re.Pattern[str], html: str) -> list[str]:
    found = pattern.search(html)
    return HREF.findall(found.group(1)) if found else []


@pytest.fixture
def world():
    return build_world()


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("applicant", "/dossiers/"),
        ("expert", "/expertise/"),
        ("officer", "/accueil/"),
        ("jury", "/accueil/"),
        ("finance", "/accueil/"),
        ("admin", "/accueil/"),
    ],
)
def test_after_login_each_role_lands_on_its_work(world, role, landing):
    client = Client()
    response = client.post(
        reverse("accounts:login"),
        {"username": world.users[role].email, "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain, response.content.decode()[:500]
    assert response.request["PATH_INFO"] == landing
    assert response.status_code == 200


def test_login_keeps_the_page_asked_for(world):
    client = Client()
    target = reverse("grants:call", args=[world.call.slug])
    response = client.post(
        f"{reverse('accounts:login')}?next={target}",
        {"username": world.users["finance"].email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302 and response["Location"] == target


@pytest.mark.parametrize("role", ["applicant", "expert", "officer", "jury", "finance", "admin"])
def test_every_menu_link_and_tab_opens_for_the_role_that_sees_it(world, role):
    client = Client()
    client.force_login(world.users[role])
    home = client.get(reverse("home:index"), follow=True)
    assert home.status_code == 200
    links = set(_links(HEADER, home.content.decode()))
    pages = [
        reverse(name, args=[world.call.slug])
        for name in ("grants:call", "reviews:ranking", "reviews:pool", "selection:scenarios")
    ]
    for page in pages:
        response = client.get(page)
        if response.status_code == 200:
            links |= set(_links(TABS, response.content.decode()))
    assert links
    refused = {url: client.get(url).status_code for url in sorted(links)}
    refused = {url: status for url, status in refused.items() if status >= 400}
    assert not refused, f"{role} sees links that refuse them: {refused}"


def test_menus_name_each_roles_work(world):
    def menu(role):
        client = Client()
        client.force_login(world.users[role])
        html = client.get(reverse("calls:catalogue")).content.decode()
        return plain(strip_tags(_inside(HEADER, html)))

    assert "Mes évaluations" in menu("expert") and "Instruction" not in menu("expert")
    assert "Mes dossiers" in menu("applicant") and "Instruction" not in menu("applicant")
    assert "Instruction" not in menu("finance") and "Accueil" in menu("finance")
    assert "Mes dossiers" not in menu("finance")
    assert "Instruction" in menu("officer") and "Mes évaluations" not in menu("officer")


def test_the_jury_and_finance_see_only_the_tabs_they_may_open(world):
    def tabs(role):
        client = Client()
        client.force_login(world.users[role])
        html = client.get(reverse("grants:call", args=[world.call.slug])).content.decode()
        return re.findall(r">([^<]+)</a>", _inside(TABS, html))

    assert tabs("finance") == ["Aides", "Conventions"]  # finance reads the agreements too
    assert "Affectation" not in tabs("jury") and "Jury" in tabs("jury")
    assert "Affectation" in tabs("officer")


def test_finance_home_shows_the_funders_ledgers_with_real_figures(world):
    client = Client()
    client.force_login(world.users["finance"])
    response = client.get(reverse("home:index"))
    text = plain(page_text(response))
    assert "Finances : suivi budgétaire" in text
    assert world.call.title in text
    assert "40 000,00 €" in text  # the award of the world, committed on the call
    assert "Par programme" in text and "Par axe prioritaire" in text and "Par année" in text
    assert "Versé : les versements confirmés payés, 0,00 € en tout." in text
    assert "CP-2026-001" in text  # recent awards
    assert 'id="finance-chart"' in response.content.decode()
    assert world.objects.get("other_call", None) is None or "other" not in text


def test_finance_home_does_not_show_another_funders_calls():
    mine = make_call(title="Appel de ma Région")
    theirs = make_call(title="Appel d'un autre financeur")
    finance = make_user(role=Role.FINANCE, funder=mine.funder)
    client = Client()
    client.force_login(finance)
    text = plain(page_text(client.get(reverse("home:index"))))
    assert mine.title in text and theirs.title not in text
    assert "550 000,00 €" in text  # the call's envelope, nothing committed yet


def test_officer_home_says_what_waits_per_call():
    call = make_call(
        title="Tiers-lieux", review_deadline=timezone.now() - datetime.timedelta(days=1)
    )
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    application = make_submitted(call=call)
    make_submitted(call=call)
    expert = make_user(role=Role.REVIEWER)
    Assignment.objects.create(application=application, reviewer=expert, assigned_at=timezone.now())
    other = make_call(title="Appel d'ailleurs")
    make_submitted(call=other)
    client = Client()
    client.force_login(officer)
    text = plain(page_text(client.get(reverse("home:index"))))
    assert "Tiers-lieux" in text and "Appel d'ailleurs" not in text
    assert "2 dossiers" in text  # to screen
    assert "1 évaluation" in text  # late: past the review deadline, not submitted


def test_officer_home_sets_aside_calls_closed_long_ago_with_nothing_waiting():
    now = timezone.now()
    old = make_call(
        title="Appel de 2015",
        opens_at=now - datetime.timedelta(days=900),
        closes_at=now - datetime.timedelta(days=800),
    )
    officer = make_user(role=Role.OFFICER, funder=old.funder)
    busy = make_call(title="Appel de 2016 encore à instruire", funder=old.funder)
    make_submitted(call=busy)
    type(busy).objects.filter(pk=busy.pk).update(
        opens_at=now - datetime.timedelta(days=600), closes_at=now - datetime.timedelta(days=500)
    )
    make_call(title="Appel ouvert", funder=old.funder)
    client = Client()
    client.force_login(officer)
    text = plain(page_text(client.get(reverse("home:index"))))
    assert "Appel ouvert" in text and "Appel de 2016 encore à instruire" in text
    assert "Appel de 2015" not in text
    assert "1 appel clos depuis plus d'un an, sans rien en attente, n'est pas repris ici" in text


def test_a_person_with_several_roles_sees_one_section_per_role():
    call = make_call(title="Économie collaborative")
    person = make_user(role=Role.OFFICER, funder=call.funder)
    RoleGrant.objects.create(user=person, role=Role.REVIEWER)
    other = make_call(title="Tiers-lieux")
    Assignment.objects.create(
        application=make_submitted(call=other), reviewer=person, assigned_at=timezone.now()
    )
    client = Client()
    client.force_login(person)
    text = plain(page_text(client.get(reverse("home:index"))))
    assert "Instruction : vos appels à projets" in text and "Mes évaluations" in text
    assert "aucune date limite" in text
    menu = strip_tags(_inside(HEADER, client.get("/").content.decode()))
    assert "Mes évaluations" in menu and "Instruction" in menu


def test_applicant_and_expert_home_has_both_sections():
    person = make_user()
    RoleGrant.objects.create(user=person, role=Role.REVIEWER)
    make_organisation(member=person, name="Bateaux Partagés")
    client = Client()
    client.force_login(person)
    response = client.get(reverse("home:index"))
    assert response.status_code == 200
    text = plain(page_text(response))
    assert "Mes dossiers" in text and "Mes évaluations" in text


def test_jury_home_lists_the_sessions_of_its_funder(world):
    client = Client()
    client.force_login(world.users["jury"])
    text = plain(page_text(client.get(reverse("home:index"))))
    assert "Jury : vos séances" in text and world.call.title in text and "Séance du" in text


@pytest.mark.parametrize("role", [Role.OFFICER, Role.JURY, Role.FINANCE])
def test_home_query_count_does_not_grow_with_calls(role, django_assert_max_num_queries):
    funder = make_funder()
    user = make_user(role=role, funder=funder)
    counts = []
    for n in (1, 4):
        for _ in range(n):
            call = make_call(funder=funder, review_deadline=timezone.now())
            make_submitted(call=call)
        client = Client()
        client.force_login(user)
        with django_assert_max_num_queries(20) as captured:
            assert client.get(reverse("home:index")).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[1] <= counts[0], counts


def test_expert_page_says_when_there_is_no_deadline():
    call = make_call(title="Sans date")
    expert = make_user(role=Role.REVIEWER)
    Assignment.objects.create(
        application=make_submitted(call=call), reviewer=expert, assigned_at=timezone.now()
    )
    client = Client()
    client.force_login(expert)
    text = plain(page_text(client.get(reverse("reviews:home"))))
    assert "Aucune date limite" in text


def test_finance_ledger_counts_only_the_funders_part_of_a_co_funded_call():
    from pepiniere.grants.models import BudgetLine, BudgetScope
    from pepiniere.home.selectors import finance_ledger

    lead = make_funder("Région")
    partner = make_funder("Département")
    call = make_call(funder=lead, envelope=Decimal("100000"))
    call.co_funders.add(partner)
    BudgetLine.objects.create(
        scope=BudgetScope.FUNDER, funder=partner, call=call, envelope=Decimal("30000")
    )
    assert finance_ledger({partner.pk}).calls[0].envelope == Decimal("30000")
    assert finance_ledger({lead.pk}).calls[0].envelope == Decimal("70000")


def test_the_menu_and_a_calls_tabs_cost_a_pinned_number_of_queries(
    world, rf, django_assert_max_num_queries
):
    from pepiniere.accounts.models import User
    from pepiniere.calls.models import Call
    from pepiniere.home.menu import call_tabs, menu_items

    for role in ("applicant", "expert", "officer", "jury", "finance", "admin"):
        request = rf.get("/")
        request.user = User.objects.get(pk=world.users[role].pk)  # nothing read yet
        request.resolver_match = None
        with django_assert_max_num_queries(1):  # the person's roles, shared by the whole page
            assert [item.label for item in menu_items(request)]
        call = Call.objects.get(pk=world.call.pk)
        with django_assert_max_num_queries(2):  # the person's funders, the call's co-funders
            call_tabs(request.user, call)
