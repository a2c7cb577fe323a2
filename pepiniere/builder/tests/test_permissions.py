"""Who may open, create, read and change a call in the builder: a role × call matrix."""

import pytest
from django.contrib.auth.models import AnonymousUser

from pepiniere.accounts.models import Role
from pepiniere.builder.permissions import (
    builder_calls,
    can_create_call,
    can_edit_call_settings,
    can_open_builder,
    can_view_call_settings,
)
from pepiniere.lib.testing.factories import make_call, make_funder, make_user

pytestmark = pytest.mark.django_db

# person → (open builder, create for the call's funder, view the call's settings, edit them)
EXPECTED = {
    "anonymous": (False, False, False, False),
    "applicant": (False, False, False, False),
    "reviewer": (False, False, False, False),
    "jury_of_funder": (False, False, False, False),
    "finance_of_funder": (False, False, False, False),
    "officer_of_funder": (True, True, True, True),
    "officer_of_co_funder": (True, False, True, False),
    "officer_of_other_funder": (True, False, False, False),
    "admin": (True, True, True, True),
}


@pytest.fixture
def world():
    call = make_call()
    co_funder = make_funder("Bordeaux Métropole")
    call.co_funders.add(co_funder)
    other = make_funder("Région Occitanie")
    people = {
        "anonymous": AnonymousUser(),
        "applicant": make_user(),
        "reviewer": make_user(role=Role.REVIEWER),
        "jury_of_funder": make_user(role=Role.JURY, funder=call.funder),
        "finance_of_funder": make_user(role=Role.FINANCE, funder=call.funder),
        "officer_of_funder": make_user(role=Role.OFFICER, funder=call.funder),
        "officer_of_co_funder": make_user(role=Role.OFFICER, funder=co_funder),
        "officer_of_other_funder": make_user(role=Role.OFFICER, funder=other),
        "admin": make_user(role=Role.ADMIN),
    }
    return call, people


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_matrix(world, who):
    call, people = world
    user = people[who]
    verdicts = (
        can_open_builder(user),
        can_create_call(user, call.funder),
        can_view_call_settings(user, call),
        can_edit_call_settings(user, call),
    )
    assert tuple(bool(v) for v in verdicts) == EXPECTED[who]
    for verdict in verdicts:
        if not verdict:
            assert verdict.reason  # every refusal says why, in French
    if user.is_authenticated:
        assert (call in builder_calls(user)) == EXPECTED[who][2]
