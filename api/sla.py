"""The SLA summary: counts by agency, service or village, in one query.

Two things can be counted. Tasks, each agency step of each application: an
application that crossed two agencies counts once at each, which is how an
agency answers for its own steps. Applications, each once, by the clock the
resident was promised: how the regent reads the Mall's service as a whole;
an application's agency is the one answerable for its service.

Open tasks and running application clocks are counted by the status the SLA
sweep keeps on them; closed ones by whether they finished by their deadline
(a task without a deadline counts as within; an application's deadline has
moved by the time it waited on the applicant). Cancelled work is not counted
as completed. :func:`summary_csv` writes the same rows for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.models import OPEN_TASK_STATES, Task, TaskState
from engine.sla import SlaClock, SlaStatus
from processes.applications import Application, ApplicationStatus

from .models import Identity

TASK_GROUPS = {
    "agency": Task.agency,
    "service": Application.service_code,
    "village": Application.village_code,
}
# An application's agency is the one answerable for it, on its SLA clock.
APPLICATION_GROUPS = TASK_GROUPS | {"agency": SlaClock.agency}
COUNT_COLUMNS = (
    "on_track",
    "at_risk",
    "breached",
    "completed_within",
    "completed_after",
)
# A cell starting with one of these is a formula to spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def summary(
    session: Session, user: Identity, group_by: str, counted: str = "tasks"
) -> list[dict[str, Any]]:
    """Count ``counted`` (tasks or applications) by ``group_by``, in ``user``'s scope.

    An officer or agency head counts their own agency's tasks, or the
    applications their agency answers for; the regent, analysts and admins
    count everything.
    """
    if counted == "applications":
        groups = APPLICATION_GROUPS
        query = (
            select(groups[group_by].label("key"), *_application_counts())
            .select_from(SlaClock)
            .join(Application, Application.instance_id == SlaClock.instance_id)
        )
    else:
        groups = TASK_GROUPS
        query = (
            select(groups[group_by].label("key"), *_task_counts())
            .select_from(Task)
            .outerjoin(Application, Application.instance_id == Task.instance_id)
        )
    if not (user.role == "admin" or user.is_regent or user.role == "analyst"):
        query = query.where(groups["agency"] == user.agency_code)

    key = groups[group_by]
    query = query.group_by(key).order_by(key)
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


def _task_counts():
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


def _application_counts():
    running = SlaClock.closed_at.is_(None)
    # Rejected is a decision handed back in time or not, as much as completed.
    decided = Application.status.in_(
        (ApplicationStatus.COMPLETED.value, ApplicationStatus.REJECTED.value)
    )
    late = SlaClock.closed_at > SlaClock.deadline
    return [
        _count(running & (SlaClock.status == status.value)).label(status.value)
        for status in SlaStatus
    ] + [
        _count(~running & decided & ~late).label("completed_within"),
        _count(~running & decided & late).label("completed_after"),
    ]


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
