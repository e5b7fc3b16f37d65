"""The SLA summary: task counts by agency, service or village, in one query.

Counts are of tasks (each agency step of each application), not of
applications: an application that crossed two agencies counts once for each.
Open tasks are counted by the ``sla_status`` the SLA sweep keeps on them;
closed ones by whether they finished by their deadline (no deadline counts as
within).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.models import OPEN_TASK_STATES, Task, TaskState
from processes.applications import Application

from .models import User

GROUP_COLUMNS = {
    "agency": Task.agency,
    "service": Application.service_code,
    "village": Application.village_code,
}


def summary(session: Session, user: User, group_by: str) -> list[dict[str, Any]]:
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
