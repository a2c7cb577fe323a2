"""What every endpoint shares: error bodies, pagination, path ids, optional authentication."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Schema
from ninja.errors import HttpError

from pepiniere.lib.params import MAX_ID

# An id in a path is a database id: 1 to 2⁶³−1 (BigAutoField). Anything else is a 422 from the
# validation, never an integer overflow in the database driver.
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Pages: 50 rows unless asked, 200 at most; an offset up to ten million.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 10_000_000
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"rows per page (≤ {MAX_LIMIT})")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows skipped")]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class ErrorOut(Schema):
    """400 (a request no endpoint can mean), 401 (no token, or an unknown, expired or revoked one), 403 (a read-only token asked to
    write, or a list reserved to a funder's staff), 404 (absent, or not the caller's to see:
    never told apart), 429 (too many requests for this token: see the Retry-After header). A
    French message."""

    detail: str


class ValidationErrorOut(Schema):
    """422: a parameter that does not match the schema (django-ninja's validation errors)."""

    detail: list[dict[str, Any]]


# 400: a request no endpoint can mean (a NUL character in the query, a body that is not JSON).
LIST_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut}
PUBLIC_ERRORS: dict[int, Any] = {**LIST_ERRORS, 404: ErrorOut}
AUTH_ERRORS: dict[int, Any] = {**LIST_ERRORS, 404: ErrorOut}


def not_found() -> HttpError:
    return HttpError(404, _("Introuvable."))


class Anonymous:
    """Optional authentication: a request without credentials is served as anonymous; one with
    a bad token still gets 401 (TokenAuth first, then the session, then this)."""

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            return None
        return self


def page[M: Model, T](
    queryset: QuerySet[M],
    *,
    limit: int,
    offset: int,
    out: Callable[[Sequence[M]], list[T]],
) -> dict[str, Any]:
    """One page of ``queryset`` (already ordered, the primary key last, so the order is total)
    and the total: the count, the page's ids, then the page's rows by id with their joins and
    prefetches. The ids are a narrow walk of the ordering from the nearer end: a page in the
    second half of the list is read backwards (the reversed order, from the last row), so the
    last page costs what the first one does and no walk is longer than half the list."""
    if not queryset.query.order_by:
        raise ValueError("page() needs an explicit order ending with the primary key")
    count = queryset.count()
    end = min(offset + limit, count)
    if offset >= end:
        return {"count": count, "limit": limit, "offset": offset, "items": []}
    narrow = queryset.values_list("pk", flat=True)
    if offset <= count - end:
        ids = list(narrow[offset:end])
    else:
        ids = list(narrow.reverse()[count - end : count - offset])[::-1]
    found = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    rows = [found[pk] for pk in ids if pk in found]
    return {"count": count, "limit": limit, "offset": offset, "items": out(rows)}


class PageMeta(Schema):
    count: int
    limit: int
    offset: int
