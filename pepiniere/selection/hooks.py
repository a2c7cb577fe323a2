"""Extension points of the selection: a later stage (grants/) answers who was aided before,
without selection/ importing it (lifecycle = import order). A module of its own, so that
registering at start-up does not load the selection engine and its numerical libraries."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pepiniere.lib.extension import ExtensionPoint

if TYPE_CHECKING:
    from pepiniere.calls.models import Call

# Each provider answers, for a call and organisation ids, those with an aid decided before the
# call closed.
earlier_aid: ExtensionPoint[Callable[[Call, set[int]], set[int]]] = ExtensionPoint("earlier aid")
