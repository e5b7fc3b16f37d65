"""Schemathesis over /openapi.json: no generated request may produce a 500.

Schemathesis 4's pytest plugin does not run under pytest 9 (it reads a node
attribute pytest removed), so the operations are fuzzed here through its
hypothesis strategies directly, one bounded run per operation.

Runs on SQLite with a deployed service and one application in place, signed
in as the admin, with a bounded number of examples per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api import create_app
from api.extensions import db
from api.models import Role, create_user
from tests.conftest import agency_row

EXAMPLES = 15


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "api.sqlite"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "TESTING": True,
            "TRACK_RATE_LIMIT": "100000 per minute",
        }
    )
    with app.app_context():
        db.create_all()
        db.session.add(agency_row("DPMPTSP"))
        _, token = create_user(db.session, "fuzz_admin", Role.ADMIN)
        db.session.commit()
    app.config["FUZZ_TOKEN"] = token
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _check(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})

    assert response.status_code < 500, (case.method, case.path, response.text)
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "errors"}


def test_no_request_produces_a_server_error(fuzz_app):
    token = fuzz_app.config["FUZZ_TOKEN"]
    operations = _operations(fuzz_app)
    from api.openapi import OPERATIONS

    assert len(operations) == len(OPERATIONS)

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            _check(case, token)

        fuzz()
