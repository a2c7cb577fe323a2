"""Extension points of the portfolio: later stages add to it or act on its changes without
portfolio/ importing them (lifecycle = import order): opendata/ (grants imported from funders'
published files) adds to an organisation's follow-up page; impact/ refreshes its figures when
counted KPI figures change."""

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

# Called inside the transaction that changed which figures count in the indicators (a report
# transmitted, validated, returned, corrected or imported), with the reports' ids.
kpi_figures_changed: ExtensionPoint[Callable[..., object]] = ExtensionPoint("KPI figures changed")


def support_events(organisation_id: int, funder_ids: set[int] | None) -> list[TimelineEvent]:
    return [event for provider in other_support for event in provider(organisation_id, funder_ids)]


def announce_figures_changed(*, report_ids: list[int]) -> None:
    for provider in kpi_figures_changed:
        provider(report_ids=report_ids)
