"""The REST API under /api/v1/ (django-ninja). Same permission functions as the pages: an applicant
never reads another's file, an expert only what is assigned to them and free of conflict."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Path, Schema
from ninja.errors import AuthenticationError, HttpError

from pepiniere.api.auth import AUTH, RateLimited
from pepiniere.applications.models import Application
from pepiniere.applications.permissions import can_view_application
from pepiniere.applications.selectors import applications_of_user
from pepiniere.calls.models import Call
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.params import MAX_ID
from pepiniere.reviews.models import Assignment
from pepiniere.reviews.permissions import can_review


class PepiniereAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """The schema, with the Retry-After header of every 429 declared (ninja has no place
        for response headers)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
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
        "Calls for projects, applications and expert reviews, with the caller's rights on the "
        "pages. Authenticate with `Authorization: Bearer <key>`: each person makes, names, "
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


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("Jeton absent, inconnu, expiré ou révoqué.")},
        status=401,
    )


# An id in a path is a database id: 1 to 2⁶³−1 (BigAutoField). Anything else is a 422 from the
# validation, never an integer overflow in the database driver.
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ErrorOut(Schema):
    """401 (no token, or an unknown, expired or revoked one), 403 (a read-only token asked to
    write), 404 (absent, or not the caller's to see: never told apart), 429 (too many requests
    for this token: see the Retry-After header). A French message."""

    detail: str


class ValidationErrorOut(Schema):
    """422: a parameter that does not match the schema (django-ninja's validation errors)."""

    detail: list[dict[str, Any]]


PUBLIC_ERRORS: dict[int, Any] = {404: ErrorOut, 422: ValidationErrorOut}
AUTH_ERRORS: dict[int, Any] = {
    401: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
    429: ErrorOut,
}


class CallOut(Schema):
    slug: str
    title: str
    summary: str
    funder: str
    envelope: Decimal
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    phase: str


class ApplicationOut(Schema):
    id: int
    reference: str | None
    call: str
    organisation: str
    status: str
    title: str
    requested_amount: Decimal | None
    submitted_at: datetime.datetime | None


class AssignmentOut(Schema):
    id: int
    application_reference: str | None
    application_title: str
    summary: str
    call: str
    status: str


def _call_out(call: Call) -> CallOut:
    return CallOut(
        slug=call.slug,
        title=call.title,
        summary=call.summary,
        funder=call.funder.name,
        envelope=call.envelope,
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        phase=call.phase(),
    )


def _application_out(application: Application) -> ApplicationOut:
    return ApplicationOut(
        id=application.pk,
        reference=application.reference,
        call=application.call.slug,
        organisation=application.organisation.name,
        status=application.status,
        title=application.title,
        requested_amount=application.requested_amount,
        submitted_at=application.submitted_at,
    )


@api.get("/calls", response=list[CallOut], tags=["calls"], summary="Published calls (public)")
def list_calls(request: HttpRequest) -> list[CallOut]:
    return [
        _call_out(c)
        for c in Call.objects.published().select_related("funder").order_by("-closes_at")
    ]


@api.get("/calls/{slug}", response={200: CallOut, **PUBLIC_ERRORS}, tags=["calls"])
def get_call(request: HttpRequest, slug: str) -> CallOut:
    return _call_out(
        get_object_or_404(Call.objects.published().select_related("funder"), slug=slug)
    )


@api.get(
    "/applications",
    response={200: list[ApplicationOut], 401: ErrorOut, 429: ErrorOut},
    auth=AUTH,
    tags=["applications"],
    summary="The applications of the caller's organisations",
)
def list_applications(request: AuthenticatedHttpRequest) -> list[ApplicationOut]:
    return [_application_out(a) for a in applications_of_user(request.user)]


@api.get(
    "/applications/{application_id}",
    response={200: ApplicationOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["applications"],
)
def get_application(request: AuthenticatedHttpRequest, application_id: ObjectId) -> ApplicationOut:
    application = (
        Application.objects.select_related("call", "organisation").filter(pk=application_id).first()
    )
    if application is None or not can_view_application(request.user, application):
        raise HttpError(404, _("Introuvable."))
    return _application_out(application)


@api.get(
    "/reviews/assignments",
    response={200: list[AssignmentOut], 401: ErrorOut, 429: ErrorOut},
    auth=AUTH,
    tags=["reviews"],
    summary="The caller's review assignments",
)
def list_assignments(request: AuthenticatedHttpRequest) -> list[AssignmentOut]:
    assignments = (
        Assignment.objects.filter(reviewer=request.user)
        .active()
        .select_related("application", "application__call", "application__organisation")
    )
    return [_assignment_out(a) for a in assignments if can_review(request.user, a)]


@api.get(
    "/reviews/assignments/{assignment_id}",
    response={200: AssignmentOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["reviews"],
)
def get_assignment(request: AuthenticatedHttpRequest, assignment_id: ObjectId) -> AssignmentOut:
    assignment = (
        Assignment.objects.select_related(
            "application", "application__call", "application__organisation"
        )
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not can_review(request.user, assignment):
        raise HttpError(404, _("Introuvable."))
    return _assignment_out(assignment)


def _assignment_out(assignment: Assignment) -> AssignmentOut:
    application = assignment.application
    return AssignmentOut(
        id=assignment.pk,
        application_reference=application.reference,
        application_title=application.title,
        summary=application.summary,
        call=application.call.slug,
        status=assignment.status,
    )
