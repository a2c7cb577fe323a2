"""The API against its own OpenAPI schema (issues 10 and 15): schemathesis generates requests from
/api/v1/openapi.json and calls the WSGI application in-process (no network, no server), as an
anonymous caller and with the read-write token of each role of the project's test world (an
applicant, an outsider, an officer, an officer of another funder, an expert, finance staff, a
jury member) and one read-only token. Every response must be below 500 and conform to the schema
(status code documented, body valid, content type, Retry-After on a 429).

Generated path ids are random (so mostly 404s); every case is therefore sent a second time with
the world's real ids in its path, so that random queries and bodies reach the real objects
(a draft to update, a KPI report to fill). Bounded and deterministic so that it runs in
well under a minute on SQLite: a few derandomised examples per operation and mode, one world."""

from typing import Any, cast

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from pepiniere.api.models import ApiToken
from pepiniere.wsgi import application as wsgi_application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_application)
OPERATIONS = [cast(Any, result).ok() for result in schema.get_all_operations()]
EXAMPLES = 3
# The questions of an application form and a KPI campaign belong to the call and the campaign,
# not to the schema: a well-typed answer to a question the form does not ask is a 422 (with the
# questions it does), which this check would call a valid request refused.
DYNAMIC_BODIES = {
    "/api/v1/applications/{application_id}/draft",
    "/api/v1/kpi-reports/{report_id}/draft",
    "/api/v1/kpi-reports/{report_id}/submit",
}


@pytest.fixture
def in_process():
    """Keep the test's database connection open across requests, as Django's test client does
    (the real WSGI handler closes it after each request, which would end the test transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, in_process, settings):
    """The project's test world: every kind of object an endpoint is about, one person per
    role; each gets a read-write token, the applicant a read-only one too."""
    from pepiniere.lib.testing.world import build_world

    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000  # the limit has its own test
    built = build_world()
    o = built.objects
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ("applicant", "stranger", "officer", "other_officer", "expert", "finance", "jury"):
        _token, key = ApiToken.issue(user=built.users[role], name=role, scope="read_write")
        headers[role] = {"Authorization": f"Bearer {key}"}
    _token, key = ApiToken.issue(user=built.users["applicant"], name="lecture")
    headers["read_only"] = {"Authorization": f"Bearer {key}"}
    ids = {
        "slug": built.call.slug,
        "application_id": built.draft.pk,
        "assignment_id": o["assignment"].pk,
        "award_id": built.application.award.pk,
        "agreement_id": o["agreement"].pk,
        "instalment_id": o["instalment"].pk,
        "organisation_id": built.application.organisation_id,
        "report_id": o["kpi_baseline"].pk,
    }
    return headers, ids


def _check(case: Any, headers: dict[str, dict[str, str]]) -> None:
    excluded = [positive_data_acceptance] if case.operation.path in DYNAMIC_BODIES else []
    for role_headers in headers.values():
        case.call_and_validate(headers=role_headers, excluded_checks=excluded)


def _fuzz(operation: Any, mode: GenerationMode, headers: Any, ids: dict[str, Any]) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        _check(case, headers)
        real = {k: ids[k] for k in case.path_parameters or {} if k in ids}
        if real and mode == GenerationMode.POSITIVE:
            case.path_parameters = {**case.path_parameters, **real}
            _check(case, headers)

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can be made invalid (a free text path part).
        assert mode == GenerationMode.NEGATIVE, operation.path


def test_generated_requests_conform_to_the_schema_for_every_role(world):
    headers, ids = world
    for operation in OPERATIONS:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers, ids)


def test_requests_on_real_objects_conform_to_the_schema_for_every_role(world):
    headers, ids = world
    for operation in OPERATIONS:
        path_parameters = {name: ids[name] for name in ids if "{" + name + "}" in operation.path}
        case = operation.Case(path_parameters=path_parameters)
        if operation.method.upper() != "GET":
            case.body = {}
        _check(case, headers)
