"""The permission matrix: role × application state × action. An applicant never reads or changes
another organisation's file; funder staff see only their funder's calls, and never drafts."""

import pytest
from django.contrib.auth.models import AnonymousUser

from pepiniere.accounts.models import Role
from pepiniere.applications.permissions import (
    can_edit_application,
    can_screen_application,
    can_view_application,
    can_withdraw_application,
)
from pepiniere.lib.testing.factories import make_call, make_draft, make_submitted, make_user

pytestmark = pytest.mark.django_db

ACTIONS = {
    "view": can_view_application,
    "edit": can_edit_application,
    "withdraw": can_withdraw_application,
    "screen": can_screen_application,
}

# role -> state -> set of allowed actions
EXPECTED: dict[str, dict[str, set[str]]] = {
    "member": {"draft": {"view", "edit", "withdraw"}, "submitted": {"view", "withdraw"}},
    "other_applicant": {"draft": set(), "submitted": set()},
    "officer_same_funder": {"draft": set(), "submitted": {"view", "screen"}},
    "officer_other_funder": {"draft": set(), "submitted": set()},
    "jury_same_funder": {"draft": set(), "submitted": {"view"}},
    "reviewer": {"draft": set(), "submitted": set()},
    "admin": {"draft": set(), "submitted": {"view", "screen"}},
    "anonymous": {"draft": set(), "submitted": set()},
}


def _actor(role, application):
    funder = application.call.funder
    other_funder = make_call().funder
    return {
        "member": lambda: application.created_by,
        "other_applicant": lambda: make_user(),
        "officer_same_funder": lambda: make_user(role=Role.OFFICER, funder=funder),
        "officer_other_funder": lambda: make_user(role=Role.OFFICER, funder=other_funder),
        "jury_same_funder": lambda: make_user(role=Role.JURY, funder=funder),
        "reviewer": lambda: make_user(role=Role.REVIEWER),
        "admin": lambda: make_user(role=Role.ADMIN),
        "anonymous": AnonymousUser,
    }[role]()


@pytest.mark.parametrize("state", ["draft", "submitted"])
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_permission_matrix(role, state):
    application = make_draft() if state == "draft" else make_submitted()
    actor = _actor(role, application)
    allowed = {name for name, check in ACTIONS.items() if check(actor, application)}
    assert allowed == EXPECTED[role][state]
    for name, check in ACTIONS.items():
        verdict = check(actor, application)
        if not verdict.allowed:
            assert verdict.reason, f"{name} refused without a reason"
