"""The API against its own OpenAPI schema (issue 10): schemathesis generates requests from
/api/v1/openapi.json and calls the WSGI application in-process (no network, no server), as an
anonymous caller and with the token of an applicant, an officer and an expert. Every response must
be below 500 and conform to the schema (status code documented, body valid, content type).
Bounded and deterministic so that it runs in seconds in CI: a few examples per operation,
derandomised."""

from typing import Any, cast

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from pepiniere.api.models import ApiToken
from pepiniere.wsgi import application as wsgi_application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_application)


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
def world(db, in_process):
    """An application under review by an expert, with its applicant, officer and expert."""
    from pepiniere.reviews.models import Assignment
    from pepiniere.reviews.tests.factories import reviewed_call

    call, officer, (application,), _reviewers = reviewed_call(n_applications=1, n_reviewers=1, k=1)
    assignment = Assignment.objects.get()
    users = {
        "applicant": application.created_by,
        "officer": officer,
        "expert": assignment.reviewer,
    }
    headers = {
        role: {"Authorization": f"Bearer {ApiToken.issue(user=user, name='test')[1]}"}
        for role, user in users.items()
    }
    headers["anonymous"] = {}
    ids = {
        "slug": call.slug,
        "application_id": application.pk,
        "assignment_id": assignment.pk,
    }
    return headers, ids


@schema.parametrize()
@settings(max_examples=8, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_conform_to_the_schema_for_every_role(case, world):
    headers, _ids = world
    for role_headers in headers.values():
        case.call_and_validate(headers=role_headers)


def test_requests_on_real_objects_conform_to_the_schema_for_every_role(world):
    headers, ids = world
    for result in schema.get_all_operations():
        operation = cast(Any, result).ok()
        path_parameters = {name: ids[name] for name in ids if "{" + name + "}" in operation.path}
        for role_headers in headers.values():
            case = operation.Case(path_parameters=path_parameters)
            case.call_and_validate(headers=role_headers)
