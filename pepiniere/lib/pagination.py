"""A paginator that counts at most a cap: past it, a list says « more than N » instead of counting
every row of a large table on every page view."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    """Counts up to ``cap`` rows (one COUNT over at most cap + 1 rows, unsorted, which the
    database stops reading there); ``capped`` tells that there are more. Pages go up to the cap:
    past it a person narrows the list with the filters, or exports it (exports are not capped)."""

    def __init__(self, object_list: object, per_page: int, *, cap: int, **options: object) -> None:
        super().__init__(object_list, per_page, **options)  # type: ignore[arg-type]
        self.cap = cap

    @cached_property
    def _bounded_count(self) -> int:
        bounded = self.object_list.order_by()[: self.cap + 1]  # type: ignore[attr-defined]
        return bounded.count()  # type: ignore[no-any-return]

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    @property
    def capped(self) -> bool:
        return self._bounded_count > self.cap
