"""SQL statements and commits per whole application, counted through the API.

The applications are the load test's, sent to an app in this process through
Flask's test client, with jobs run in-process: so the count holds everything
Terpadu does for an application, the workers' dispatches and notifications
included, and nothing of HTTP. Counted at the driver (see database.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .api_server import ApiDatabase
from .database import count_statements
from .http_load import Applicant

# Residents' numbers far above any the load test reached, so no application
# of theirs is still active for the same NIK.
FIRST_RESIDENT = 1_000_000


@dataclass(frozen=True)
class PerApplication:
    statements: float
    commits: float
    requests: float


class _InProcess:
    """The load test's ``call`` over Flask's test client; counts the requests."""

    def __init__(self, app):
        self.client = app.test_client()
        self.requests = 0

    def call(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        self.requests += 1
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(path, method=method, json=body, headers=headers)
        return response.status_code, response.get_json(silent=True)


def count_per_application(database: ApiDatabase, applications: int) -> PerApplication:
    """Run ``applications`` whole applications in-process; the mean counts of one."""
    from api import create_app

    # TESTING keeps the in-process tick thread from starting; without Redis
    # the outbox is drained after each request, in this process, as counted.
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database.url, "REDIS_URL": None, "TESTING": True}
    )
    caller = _InProcess(app)
    applicant = Applicant(caller, database.tokens, FIRST_RESIDENT, clients=1)
    applicant.application(timed=False)  # warm: caches, prepared statements

    caller.requests = 0
    with count_statements() as counted:
        finished = sum(applicant.application(timed=False) for _ in range(applications))
    if finished != applications or applicant.failures:
        raise RuntimeError(f"{applications - finished} applications did not complete")

    with app.app_context():
        from api.extensions import db

        db.engine.dispose()
    return PerApplication(
        counted.statements / applications,
        counted.commits / applications,
        caller.requests / applications,
    )
