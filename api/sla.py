"""The SLA summary: task counts by agency, service or village, in one query.

Counts are of tasks (each agency step of each application), not of
applications: an application that crossed two agencies counts once for each.
Open tasks are counted by the ``sla_status`` the SLA sweep keeps on them;
closed ones by whether they finished by their deadline (no deadline counts as
within). :func:`summary_csv` writes the same rows for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.models import OPEN_TASK_STATES, Task, TaskState
from processes.applications import Application

from .models import Identity

GROUP_COLUMNS = {
    "agency": Task.agency,
    "service": Application.service_code,
    "village": Application.village_code,
}
COUNT_COLUMNS = (
    "on_track",
    "at_risk",
    "breached",
    "completed_within",
    "completed_after",
)
# A cell starting with one of these is a formula to spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def summary(session: Session, user: Identity, group_by: str) -> list[dict[str, Any]]:
    key = GROUP_COLUMNS[group_by]
    query = (
        select(key.label("key"), *_counts())
        .select_from(Task)
        .outerjoin(Application, Application.instance_id == Task.instance_id)
        .group_by(key)
        .order_by(key)
    )
    if not (user.role == "admin" or user.is_regent or user.role == "analyst"):
        query = query.where(Task.agency == user.agency_code)

    return [dict(row._mapping) for row in session.execute(query)]


def summary_csv(rows: list[dict[str, Any]], group_by: str) -> str:
    """Write ``rows`` of :func:`summary` as CSV, a header naming ``group_by`` first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((group_by, *COUNT_COLUMNS))
    for row in rows:
        key = _inert(row["key"] or "")
        writer.writerow((key, *(row[column] for column in COUNT_COLUMNS)))
    return out.getvalue()


def _inert(cell: str) -> str:
    # Village codes come from the counter's input; a leading quote keeps a
    # value like "=HYPERLINK(...)" text when a supervisor opens the file.
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _counts():
    is_open = Task.state.in_(OPEN_TASK_STATES)
    done = Task.state == TaskState.COMPLETED.value
    late = Task.deadline.is_not(None) & (Task.completed_at > Task.deadline)
    return [
        _count(is_open & (Task.sla_status == status)).label(status)
        for status in ("on_track", "at_risk", "breached")
    ] + [
        _count(done & ~late).label("completed_within"),
        _count(done & late).label("completed_after"),
    ]


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
