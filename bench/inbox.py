"""An agency's inbox read over HTTP with a large number of stored tasks.

Tasks are added set-based next to those the load test left: instances copied
from a finished application (with an empty state, which the inbox never
reads), an application row for each, and ten task rows per instance spread
over every agency in the catalogue, mostly completed, some ready, with random
deadlines over the coming month.
"""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from engine.models import Instance

from .api_server import Client
from .http_load import percentile
from .population import _columns

TASKS_PER_INSTANCE = 10
READY_SHARE = 0.07
INBOX = "/api/v1/tasks?agency=DPMPTSP&state=ready&sort=deadline&per_page=50"
# As the console's inbox asks: ready and claimed together, a longer page.
CONSOLE_INBOX = "/api/v1/tasks?sort=deadline&per_page=100"


def _copy_instances(connection, count: int) -> int:
    template = connection.scalar(
        text("SELECT instance_id FROM applications WHERE status = 'completed' LIMIT 1")
    )
    columns = [c for c in _columns(Instance.__table__, {"id"}) if c != "state"]
    floor = connection.scalar(text("SELECT max(id) FROM instances"))
    connection.execute(
        text(
            f"INSERT INTO instances (state, {', '.join(columns)}) "
            f"SELECT ''::bytea, {', '.join(columns)} FROM instances, "
            "generate_series(1, :n) WHERE id = :template"
        ),
        {"n": count, "template": template},
    )
    connection.execute(
        text(
            "INSERT INTO applications (tracking_number, service_code, instance_id,"
            " applicant_nik, applicant_name, applicant_phone, village_code, status,"
            " deadline, submitted_at, submitted_by, completed_at) "
            "SELECT 'BENCH-' || i.id, a.service_code, i.id, a.applicant_nik,"
            " a.applicant_name, a.applicant_phone, a.village_code, a.status,"
            " a.deadline, a.submitted_at, a.submitted_by, a.completed_at "
            "FROM instances i, applications a "
            "WHERE i.id > :floor AND a.instance_id = :template"
        ),
        {"floor": floor, "template": template},
    )
    return floor


def grow_tasks(url: str, count: int) -> None:
    """Store about ``count`` more tasks, then VACUUM ANALYZE and CHECKPOINT."""
    db = create_engine(url)
    with db.begin() as connection:
        floor = _copy_instances(connection, count // TASKS_PER_INSTANCE)
        connection.execute(
            text(
                "INSERT INTO tasks (id, instance_id, element_id, name, kind, agency,"
                " state, sla_working_days, sla_status, created_at, deadline,"
                " completed_at, completed_by) "
                "SELECT gen_random_uuid()::text, t.id, 'step_' || t.s, 'Step ' || t.s,"
                " 'user', g.codes[1 + floor(t.pick * array_length(g.codes, 1))::int],"
                " t.state, 5, 'on_track', now() - interval '10 days', t.deadline,"
                " CASE WHEN t.state = 'completed' THEN now() END,"
                " CASE WHEN t.state = 'completed' THEN 'bench' END "
                "FROM (SELECT i.id, s, random() AS pick,"
                "       CASE WHEN random() < :ready THEN 'ready' ELSE 'completed' END"
                "       AS state, now() + random() * interval '30 days' AS deadline"
                "      FROM instances i CROSS JOIN generate_series(1, :per) s"
                "      WHERE i.id > :floor) t"
                " CROSS JOIN (SELECT array_agg(code ORDER BY code) AS codes"
                "             FROM agencies) g"
            ),
            {"floor": floor, "per": TASKS_PER_INSTANCE, "ready": READY_SHARE},
        )
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
        # Write the bulk load's dirty pages out now, not during the timed reads.
        connection.execute(text("CHECKPOINT"))
    db.dispose()


def counts(url: str) -> tuple[int, int]:
    """Return all stored tasks and DPMPTSP's ready ones."""
    db = create_engine(url)
    with db.connect() as connection:
        total = connection.scalar(text("SELECT count(*) FROM tasks"))
        ready = connection.scalar(
            text(
                "SELECT count(*) FROM tasks"
                " WHERE agency = 'DPMPTSP' AND state = 'ready'"
            )
        )
    db.dispose()
    return total, ready


def time_inbox(
    port: int, token: str, path: str = INBOX, requests: int = 200, warm_up: int = 20
) -> tuple[float, float]:
    """Return p50 and p95 milliseconds of reading ``path`` as the officer ``token``."""
    client = Client(port)
    for _ in range(warm_up):
        client.call("GET", path, token)
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        status, _ = client.call("GET", path, token)
        times.append((time.perf_counter() - began) * 1e3)
        if status != 200:
            raise RuntimeError(f"inbox answered {status}")
    times.sort()
    return percentile(times, 0.5), percentile(times, 0.95)
