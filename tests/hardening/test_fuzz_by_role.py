"""Schemathesis over /openapi.json once per role, responses checked against it.

``tests/api/test_openapi_fuzz.py`` fuzzes as the admin and checks only for
server errors. Here every role sends generated requests to every operation,
and each response must keep the document's promises: no 5xx, a status the
operation declares, and a body valid against the declared response schema.
Examples per operation and role are few, to keep the run to seconds.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

ROLES = ("counter", "officer", "supervisor", "analyst", "admin")
# Raise FUZZ_EXAMPLES for a longer hunt; the default keeps the suite quick.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def operations(world):
    world.submit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def accounts_restored(world):
    """The admin's fuzzing may deactivate the world's users or renew their tokens."""
    yield
    world.restore_accounts()


@pytest.mark.parametrize("role", ROLES)
def test_generated_requests_keep_the_documents_promises(
    world, operations, role, accounts_restored
):
    token = world.tokens[role]

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            headers = {"Authorization": f"Bearer {token}"}
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        fuzz()


# -- what the fuzzing found ----------------------------------------------------------


@pytest.mark.parametrize("start", ["1850-08-06T20:22:00+02:49", "2101-01-01T00:00:00Z"])
def test_a_deadline_outside_the_calendar_years_is_422(world, start):
    """The year check was a lambda returning False, which marshmallow 4 ignores.

    Dates before 1924 then came back with Jakarta's old local offset
    (+07:07:12), which is not an RFC 3339 date-time.
    """
    response = world.call(
        "GET",
        "/calendar/deadline",
        "counter",
        query_string={"start": start, "working_days": 1},
    )

    assert response.status_code == 422
    assert response.json["errors"] == [
        {"field": "start", "message": "give a start between the years 2000 and 2100"}
    ]
