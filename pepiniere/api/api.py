"""The REST API under /api/v1/ (django-ninja). Same permission functions as the pages: an applicant
never reads another's file, an expert only what is assigned to them and free of conflict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError

from pepiniere.api import errors, reads, writes
from pepiniere.api.auth import AUTH, RateLimited
from pepiniere.api.common import (
    AUTH_ERRORS,
    DEFAULT_LIMIT,
    LIST_ERRORS,
    Limit,
    ObjectId,
    Offset,
    PageMeta,
    not_found,
    page,
)
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.reviews.models import Assignment, Conflict
from pepiniere.reviews.permissions import can_review


class PepiniereAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """The schema, with the Retry-After header of every 429 declared (ninja has no place
        for response headers)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                if "security" in operation:  # openapi_extra appends to ninja's own list
                    unique = []
                    for option in operation["security"]:
                        if option not in unique:
                            unique.append(option)
                    operation["security"] = unique
                limited = operation.get("responses", {}).get(429)
                if limited is not None:
                    limited["description"] = "Too many requests for this token"
                    limited["headers"] = {
                        "Retry-After": {
                            "description": "Seconds to wait before the next request",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    }
        return schema


api = PepiniereAPI(
    title="Pépinière API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",  # Swagger UI from the static files django-ninja ships (no CDN)
    description=(
        "Programmes, calls for projects, applications, expert reviews, awards, agreements, "
        "instalments, organisations, KPI reports and indicators, with the caller's rights on "
        "the pages (what is not yours to see answers 404, like what does not exist). Lists are "
        "paged (`limit`, `offset`, with the total `count`), filtered and ordered (`ordering`, "
        "`-` for descending). Money is an exact decimal in a string, dates ISO 8601, times with "
        "their offset. Authenticate with `Authorization: Bearer <key>`: each person makes, names, "
        "dates (up to one year) and revokes their tokens on « Mon compte » (`/compte/`), "
        "read-only or read-write; the key is shown once. An unknown, expired or revoked token "
        f"gets 401. Each token may make {settings.API_RATE_LIMIT_PER_MINUTE} requests a minute; "
        "beyond, 429 with a `Retry-After` header (seconds)."
    ),
)


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request,
        {
            "detail": _("Trop de requêtes pour ce jeton : réessayez dans %(n)d secondes.")
            % {"n": exc.retry_after}
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": errors.french(exc.errors)}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("Jeton absent, inconnu, expiré ou révoqué.")},
        status=401,
    )


api.add_router("", reads.router)
api.add_router("", writes.router)


class AssignmentOut(Schema):
    id: int
    application_reference: str | None
    application_title: str
    summary: str
    call: str
    status: str


class AssignmentPage(PageMeta):
    items: list[AssignmentOut]


def _assignments(rows: Sequence[Assignment]) -> list[AssignmentOut]:
    return [
        AssignmentOut(
            id=a.pk,
            application_reference=a.application.reference,
            application_title=a.application.title,
            summary=a.application.summary,
            call=a.application.call.slug,
            status=a.status,
        )
        for a in rows
    ]


@api.get(
    "/reviews/assignments",
    response={200: AssignmentPage, **LIST_ERRORS},
    auth=AUTH,
    tags=["reviews"],
    summary="The caller's review assignments (in force, free of conflict)",
)
def list_assignments(
    request: AuthenticatedHttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    """``reviews.permissions.can_review`` as a condition: one's own assignments in force, on
    organisations one has no conflict with."""
    conflict = Conflict.objects.filter(
        reviewer_id=request.user.pk, organisation_id=OuterRef("application__organisation_id")
    )
    rows = (
        Assignment.objects.filter(reviewer_id=request.user.pk)
        .active()
        .filter(~Exists(conflict))
        .select_related("application", "application__call")
        .order_by("pk")
    )
    return page(rows, limit=limit, offset=offset, out=_assignments)


@api.get(
    "/reviews/assignments/{assignment_id}",
    response={200: AssignmentOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["reviews"],
)
def get_assignment(request: AuthenticatedHttpRequest, assignment_id: ObjectId) -> AssignmentOut:
    assignment = (
        Assignment.objects.select_related("application", "application__call")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not can_review(request.user, assignment):
        raise not_found()
    return _assignments([assignment])[0]
