"""A paginator that counts at most a cap: past it, a list says « more than N » instead of counting
every row of a large table on every page view."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    """Counts up to ``cap`` rows (one COUNT over at most cap + 1 rows, unsorted, which the
    database stops reading there); ``capped`` tells that there are more. Pages go up to the cap:
    past it a person narrows the list with the filters, or exports it (exports are not capped)."""

    def __init__(
        self,
        object_list: object,
        per_page: int,
        *,
        cap: int,
        count_from: object = None,
        **options: object,
    ) -> None:
        """``count_from``: the same rows without what only the order needs (an aggregate to
        sort on), counted instead of ``object_list``."""
        super().__init__(object_list, per_page, **options)  # type: ignore[arg-type]
        self.cap = cap
        self.count_from = object_list if count_from is None else count_from

    @cached_property
    def _bounded_count(self) -> int:
        bounded = self.count_from.order_by()[: self.cap + 1]  # type: ignore[attr-defined]
        return bounded.count()  # type: ignore[no-any-return]

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    @property
    def capped(self) -> bool:
        return self._bounded_count > self.cap
