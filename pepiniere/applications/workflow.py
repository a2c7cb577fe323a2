"""The application lifecycle, as data you can read in one screen (DESIGN.md "Lifecycles").

Each transition names the states it leaves from, the state it goes to, the side that performs it
and whether a reason is required. pepiniere.applications.services has one function per transition;
nothing else changes an application's status."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from pepiniere.applications.models import Status

APPLICANT = "applicant"
OFFICER = "officer"
JURY = "jury"
OFFICER_OR_FINANCE = "officer_or_finance"
# A published rule decides, not a jury (match-funding: pepiniere.crowdfunding), applied by an
# officer or finance person of the funder, or by the scheduled task in the name of the rule's
# officer.
RULE = "rule"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    performed_by: str
    reason_required: bool = False


_ALL_BEFORE_JURY = frozenset(
    {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.INCOMPLETE,
        Status.ELIGIBLE,
        Status.IN_REVIEW,
        Status.REVIEWED,
    }
)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("submit", frozenset({Status.DRAFT}), Status.SUBMITTED, APPLICANT),
        Transition("resubmit", frozenset({Status.INCOMPLETE}), Status.SUBMITTED, APPLICANT),
        Transition("withdraw", _ALL_BEFORE_JURY, Status.WITHDRAWN, APPLICANT),
        Transition(
            "request_information",
            frozenset({Status.SUBMITTED, Status.ELIGIBLE}),
            Status.INCOMPLETE,
            OFFICER,
            reason_required=True,
        ),
        Transition("mark_eligible", frozenset({Status.SUBMITTED}), Status.ELIGIBLE, OFFICER),
        Transition(
            "mark_ineligible",
            frozenset({Status.SUBMITTED, Status.INCOMPLETE}),
            Status.INELIGIBLE,
            OFFICER,
            reason_required=True,
        ),
        Transition("open_review", frozenset({Status.ELIGIBLE}), Status.IN_REVIEW, OFFICER),
        Transition("close_review", frozenset({Status.IN_REVIEW}), Status.REVIEWED, OFFICER),
        Transition("select", frozenset({Status.REVIEWED, Status.RESERVE}), Status.SELECTED, JURY),
        Transition("put_in_reserve", frozenset({Status.REVIEWED}), Status.RESERVE, JURY),
        Transition(
            "reject",
            frozenset({Status.REVIEWED, Status.RESERVE}),
            Status.REJECTED,
            JURY,
            reason_required=True,
        ),
        # Calls decided by a rule instead of a jury (match-funding of crowdfunding campaigns):
        # the submitted application is selected or refused when its campaign closes, with the
        # rule's figures as the reason.
        Transition(
            "select_by_rule",
            frozenset({Status.SUBMITTED}),
            Status.SELECTED,
            RULE,
            reason_required=True,
        ),
        Transition(
            "reject_by_rule",
            frozenset({Status.SUBMITTED}),
            Status.REJECTED,
            RULE,
            reason_required=True,
        ),
        # The award itself (amount, shares, budget, de minimis) is pepiniere.grants.services.award_grant.
        Transition("award", frozenset({Status.SELECTED}), Status.AWARDED, OFFICER_OR_FINANCE),
        # After the award (DESIGN.md "After the award"): the agreement's full signature contracts
        # (pepiniere.agreements), the final payment closes (pepiniere.payments), an officer
        # terminates with a reason.
        Transition("contract", frozenset({Status.AWARDED}), Status.CONTRACTED, OFFICER_OR_FINANCE),
        Transition("close", frozenset({Status.CONTRACTED}), Status.CLOSED, OFFICER_OR_FINANCE),
        Transition(
            "terminate",
            frozenset({Status.AWARDED, Status.CONTRACTED}),
            Status.TERMINATED,
            OFFICER,
            reason_required=True,
        ),
    ]
}

# States whose file the applicant reads as "still running" in "My applications".
ACTIVE_STATES = frozenset(
    {Status.SUBMITTED, Status.INCOMPLETE, Status.ELIGIBLE, Status.IN_REVIEW, Status.REVIEWED}
)

# The happy path shown as the applicant's timeline.
TIMELINE: list[str] = [  # Status members, looked up by the stored status string
    Status.DRAFT,
    Status.SUBMITTED,
    Status.ELIGIBLE,
    Status.IN_REVIEW,
    Status.REVIEWED,
    Status.SELECTED,
    Status.AWARDED,
    Status.CONTRACTED,
    Status.CLOSED,
]


# Where an application's journal words an action more precisely than the audit trail's shared
# label (pepiniere.audit.labels, which names every other action).
ACTION_LABELS = {
    "create": _("création du brouillon"),
}


class IllegalTransition(Exception):
    """Raised when a transition is attempted from a state it does not leave from."""


def check_transition(name: str, current: str) -> Transition:
    transition = TRANSITIONS[name]
    if current not in transition.sources:
        raise IllegalTransition(
            f"{name} is not possible from {current} (only from {', '.join(sorted(transition.sources))})"
        )
    return transition
