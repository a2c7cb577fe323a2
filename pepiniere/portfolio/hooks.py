"""Extension points of the portfolio: a later stage (opendata/: grants imported from funders'
published files) adds to an organisation's follow-up page without portfolio/ importing it
(lifecycle = import order)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pepiniere.lib.extension import ExtensionPoint

if TYPE_CHECKING:
    from pepiniere.portfolio.selectors_organisation import TimelineEvent

# Each provider answers, for an organisation id and the funders whose staff read its page (None:
# its members or an administrator, who see everything), the support the organisation received
# outside the platform's awards, as events of its timeline. A funder with such an event
# supports the organisation: its staff may open the page.
other_support: ExtensionPoint[Callable[[int, set[int] | None], list[TimelineEvent]]] = (
    ExtensionPoint("support outside the platform's awards")
)


def support_events(organisation_id: int, funder_ids: set[int] | None) -> list[TimelineEvent]:
    return [event for provider in other_support for event in provider(organisation_id, funder_ids)]
