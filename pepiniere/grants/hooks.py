"""Extension points of the award: later stages (the KPI follow-up of portfolio/) act when an award
is made without grants/ importing them (lifecycle = import order)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pepiniere.lib.extension import ExtensionPoint

# Called inside the award's transaction with the new award and the officer who made it
# (portfolio/ asks for the baseline KPI report there). A provider that raises refuses the award.
award_made: ExtensionPoint[Callable[..., object]] = ExtensionPoint("award made")
# Called inside the amendment's transaction once the award carries its new amount (and its
# shares theirs), with the amount it had (portfolio/ updates what the funders gave).
award_amended: ExtensionPoint[Callable[..., object]] = ExtensionPoint("award amended")


def announce_award(*, award: Any, actor: Any) -> None:
    for provider in award_made:
        provider(award=award, actor=actor)


def announce_amendment(*, award: Any, actor: Any, old_amount: Any) -> None:
    for provider in award_amended:
        provider(award=award, actor=actor, old_amount=old_amount)
