"""The SLA sweep over a large number of open tasks.

One real instance is started through the service; copies of it are then made
set-based, each with one open task, its ``task_sla`` row and a running
``sla_clocks`` row, opened at random over the past ten days with a five-day
deadline. At-risk instants are wall-clock shares of that span, not working
time: close enough for the planner, and the sweep only compares instants.
Copies store an empty state, which the sweep never reads.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import engine.sla  # noqa: F401  (registers the SLA tables)
from engine.db import Base, utcnow
from engine.models import Instance
from engine.sla import sweep

from .population import _columns

SPAN_DAYS = 10
ALLOWED_DAYS = 5
# How often the periodic job sweeps, for the steady-state figure.
STEADY_INTERVAL = timedelta(minutes=10)


def grow_open_tasks(db: Engine, template_id: int, count: int) -> None:
    """Add ``count`` instances, each with one open task and running clocks."""
    Base.metadata.create_all(db)
    columns = [c for c in _columns(Instance.__table__, {"id"}) if c != "state"]
    with db.begin() as connection:
        floor = connection.scalar(text("SELECT max(id) FROM instances"))
        connection.execute(
            text(
                f"INSERT INTO instances (state, {', '.join(columns)}) "
                f"SELECT ''::bytea, {', '.join(columns)} FROM instances, "
                "generate_series(1, :n) WHERE id = :template"
            ),
            {"n": count, "template": template_id},
        )
        connection.execute(
            text(
                "INSERT INTO tasks (id, instance_id, element_id, name, kind, agency, state,"
                " sla_working_days, sla_status, created_at, deadline) "
                "SELECT gen_random_uuid()::text, o.id, 'review_a', 'Agency A review',"
                " 'user', a.code, 'ready', :days, 'on_track', o.opened,"
                " o.opened + make_interval(days => :days) "
                "FROM (SELECT id, now() - random() * make_interval(days => :span) AS opened"
                "      FROM instances WHERE id > :floor) o"
                " JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS n"
                "       FROM (VALUES ('DPMPTSP'), ('DPUCKPP'), ('DLH')) v(code)) a"
                "   ON a.n = o.id % 3"
            ),
            {"floor": floor, "days": ALLOWED_DAYS, "span": SPAN_DAYS},
        )
        connection.execute(
            text(
                "INSERT INTO task_sla (task_id, instance_id, allowed_seconds, at_risk_at) "
                "SELECT id, instance_id, :seconds,"
                " created_at + (deadline - created_at) * 0.75 "
                "FROM tasks WHERE instance_id > :floor"
            ),
            {"floor": floor, "seconds": ALLOWED_DAYS * 8 * 3600},
        )
        connection.execute(
            text(
                "INSERT INTO sla_clocks (instance_id, agency, kecamatan_code, started_at,"
                " allowed_seconds, deadline, at_risk_at, paused_seconds, status) "
                "SELECT instance_id, 'DPMPTSP',"
                " CASE WHEN instance_id % 4 = 0 THEN '35.10.16' END, created_at, :seconds,"
                " created_at + interval '2 days' + (deadline - created_at),"
                " created_at + (deadline - created_at), 0, 'on_track' "
                "FROM tasks WHERE instance_id > :floor"
            ),
            {"floor": floor, "seconds": ALLOWED_DAYS * 8 * 3600},
        )
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def time_sweep(db: Engine, rounds: int, now: datetime | None = None):
    """Time the catch-up sweep at ``now``, then steady sweeps ten minutes later.

    The catch-up sweep finds every generated task at once and records every
    escalation they call for: the cost after a long outage, growing with the
    rows written. A steady sweep, as the periodic job runs it, still scans all
    open tasks but finds only those that crossed a threshold since the last
    run. Steady sweeps are rolled back so each round sees the same work.
    """
    now = now or utcnow()
    with Session(db) as session:
        began = time.perf_counter()
        catch_up = sweep(session, now)
        catch_up_seconds = time.perf_counter() - began
        session.commit()

    times, report = [], None
    for _ in range(rounds):
        with Session(db) as session:
            began = time.perf_counter()
            report = sweep(session, now + STEADY_INTERVAL)
            times.append(time.perf_counter() - began)
            session.rollback()
    return statistics.median(times), report, catch_up_seconds, catch_up
