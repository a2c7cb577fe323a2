"""A campaign's lifecycle, in one screen.

    draft ──launch (member)──▶ live ──end (at its end date)──▶ ended ──close──▶ topped_up
                                                                     └──────▶ refused (reason)

`launch` submits the campaign's application to the match-funding call; `close` applies the rule
(pepiniere.engine.matchfunding) and, when the top-up is positive, selects the application by the
rule and awards it (pepiniere.grants.services.award_grant), else rejects it by the rule with the
figures as the reason. Closing a live campaign whose end date has passed ends it first.
pepiniere.crowdfunding.services has one function per transition."""

from __future__ import annotations

from dataclasses import dataclass

from pepiniere.crowdfunding.models import CampaignStatus

MEMBER = "member"
OFFICER = "officer"
SCHEDULE = "schedule"  # the scheduled task, or an officer by hand


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    targets: frozenset[str]
    performed_by: str


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "launch_campaign",
            frozenset({CampaignStatus.DRAFT}),
            frozenset({CampaignStatus.LIVE}),
            MEMBER,
        ),
        Transition(
            "end_campaign",
            frozenset({CampaignStatus.LIVE}),
            frozenset({CampaignStatus.ENDED}),
            SCHEDULE,
        ),
        Transition(
            "close_campaign",
            frozenset({CampaignStatus.ENDED}),
            frozenset({CampaignStatus.TOPPED_UP, CampaignStatus.REFUSED}),
            SCHEDULE,
        ),
    ]
}

# States in which pledges may still be recorded (an ended campaign gets its last export in).
PLEDGES_OPEN = frozenset({CampaignStatus.DRAFT, CampaignStatus.LIVE, CampaignStatus.ENDED})
CLOSED = frozenset({CampaignStatus.TOPPED_UP, CampaignStatus.REFUSED})


class IllegalTransition(Exception):
    pass


def check_transition(name: str, current: str) -> Transition:
    transition = TRANSITIONS[name]
    if current not in transition.sources:
        raise IllegalTransition(f"{name} is not possible from {current}")
    return transition
