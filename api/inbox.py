"""Agency queues and application files as the API shows them.

Reads tasks with their application in one query, decides who may see or act
on what, and shapes the rows for the schemas. Changes go through
:func:`processes.applications.instance_service`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, false, func, select
from sqlalchemy.orm import Session

from engine.calendar import WorkingCalendar
from engine.db import utcnow
from engine.models import OPEN_TASK_STATES, Instance, Task
from engine.rows import task_and_instance
from processes.applications import APPLICANT, Application
from workers.wiring import working_calendar

from .errors import Forbidden, Missing, Unprocessable
from .models import Identity, Role, User

# Ids are 32-bit in PostgreSQL; larger numbers cannot name a row.
MAX_ID = 2**31 - 1


# What a queue shows of each task and its application: plain columns rather
# than whole objects, since building fifty of each cost more than the query.
QUEUE_COLUMNS = (
    Task.id,
    Task.name,
    Task.agency,
    Task.state,
    Task.waits_on,
    Task.claimed_by,
    Task.deadline,
    Task.sla_status,
    Application.id.label("application_id"),
    Application.tracking_number,
    Application.service_code,
)


def task_query(user: Identity, args: dict[str, Any]) -> Select:
    """Return the tasks ``user`` may see, filtered and sorted as ``args`` ask.

    Rows hold :data:`QUEUE_COLUMNS`; :func:`queue_item` shapes one.
    """
    query = select(*QUEUE_COLUMNS).outerjoin(
        Application, Application.instance_id == Task.instance_id
    )
    query = query.where(*_task_filters(user, args))

    # NULLS LAST rather than "IS NULL" first: PostgreSQL can then read the
    # queue in index order (ix_tasks_inbox) instead of sorting all of it.
    order = Task.deadline if args.get("sort") == "deadline" else Task.created_at
    return query.order_by(order.asc().nulls_last(), Task.id)


def task_count(user: Identity, args: dict[str, Any]) -> Select:
    """Count what :func:`task_query` returns, joining applications only to filter.

    An instance has at most one application, so the outer join adds no rows;
    left out, the count reads the queue's index alone instead of visiting
    every task row and its application (26 ms against 1 ms for a queue of
    3,000 among a million tasks).
    """
    query = select(func.count()).select_from(Task).where(*_task_filters(user, args))
    if args.get("service"):
        query = query.join(Application, Application.instance_id == Task.instance_id)
    return query


def _task_filters(user: Identity, args: dict[str, Any]) -> list:
    agency = _queue_agency(user, args.get("agency"))
    filters = []
    if agency is not None:
        filters.append(Task.agency == agency)
    if args.get("state"):
        filters.append(Task.state == args["state"])
    else:
        filters.append(Task.state.in_(OPEN_TASK_STATES))
    if args.get("service"):
        filters.append(Application.service_code == args["service"])
    return filters


def _queue_agency(user: Identity, asked: str | None) -> str | None:
    if user.role not in (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(f"a {user.role} has no task queue")
    if asked is not None and not user.sees_agency(asked):
        raise Forbidden("you may only see your own agency's queue")
    if asked is None and not (user.role == Role.ADMIN or user.is_regent):
        return user.agency_code

    return asked


def task_row(task: Task, application: Application | None) -> dict[str, Any]:
    return {
        "id": task.id,
        "name": task.name,
        "agency": task.agency,
        "state": task.state,
        "waits_on": task.waits_on,
        "waiting_on_applicant": task.waits_on == APPLICANT,
        "claimed_by": task.claimed_by,
        "deadline": task.deadline,
        "sla_status": task.sla_status or "on_track",
        "application_id": application.id if application else None,
        "tracking_number": application.tracking_number if application else None,
        "service_code": application.service_code if application else None,
    }


def queue_item(row) -> dict[str, Any]:
    """One row of :func:`task_query` as :func:`task_row` shapes a task."""
    item = row._asdict()
    item["waiting_on_applicant"] = row.waits_on == APPLICANT
    item["sla_status"] = row.sla_status or "on_track"
    return item


def task_for(session: Session, user: Identity, task_id: str) -> tuple[Task, Instance]:
    """Return a task ``user`` may act on and its instance: 404 when unknown,
    403 when not theirs.

    Both are read in one query. The caller holds the instance while it acts:
    the session keeps only weak references, and an engine call that finds
    both still there reads neither again.
    """
    found = task_and_instance(session, task_id)
    if found is None:
        raise Missing(f"task {task_id} does not exist")

    task, instance = found
    if user.role not in (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(f"a {user.role} does not work on tasks")
    if not user.sees_agency(task.agency):
        raise Forbidden("this task belongs to another agency's queue")

    return task, instance


def assignee(session: Session, name: str, task: Task) -> User:
    user = session.scalar(select(User).where(User.name == name, User.active))
    if user is None or user.role != Role.OFFICER or user.agency_code != task.agency:
        raise Unprocessable(
            "the task can only go to an active officer of its agency",
            [{"field": "user", "message": "not an officer of this task's agency"}],
        )

    return user


# -- application files ------------------------------------------------------------


def application_for(
    session: Session, user: Identity, application_id: int
) -> Application:
    """Return an application ``user`` may read; 404 otherwise, so none leak."""
    application = None
    if 0 < application_id <= MAX_ID:
        application = session.scalar(
            applications_in_scope(user).where(Application.id == application_id)
        )
    if application is None:
        raise Missing(f"application {application_id} does not exist")

    return application


def applications_in_scope(user: Identity) -> Select:
    """The applications ``user`` may read, as a query, for one file or a list.

    Admins and the regent read all; a counter clerk what they submitted; an
    officer or agency head those their agency has a task in.
    """
    query = select(Application)
    if user.role == Role.ADMIN or user.is_regent:
        return query
    if user.role == Role.COUNTER:
        return query.where(Application.submitted_by == user.name)
    if user.role not in (Role.OFFICER, Role.SUPERVISOR):
        return query.where(false())

    return query.where(
        exists().where(
            Task.instance_id == Application.instance_id,
            Task.agency == user.agency_code,
        )
    )


def application_view(
    session: Session, application: Application, *, timeline: bool = True
) -> dict[str, Any]:
    tasks = _tasks_of(session, application.instance_id)
    view = {
        column: getattr(application, column)
        for column in (
            "id",
            "tracking_number",
            "service_code",
            "status",
            "village_code",
            "deadline",
            "submitted_at",
            "submitted_by",
            "completed_at",
        )
    }
    view["tasks"] = [task_row(t, application) for t in tasks if t.is_open]
    if timeline:
        calendar, now = working_calendar(session), utcnow()
        view["timeline"] = [_step(t, calendar, now) for t in tasks]
    return view


def _tasks_of(session: Session, instance_id: int) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.instance_id == instance_id)
            .order_by(Task.created_at, Task.id)
        )
    )


def _step(task: Task, calendar: WorkingCalendar, now: datetime) -> dict[str, Any]:
    end = task.completed_at or now
    met = None
    if task.deadline is not None and task.completed_at is not None:
        met = task.completed_at <= task.deadline
    return {
        "task": task.name,
        "agency": task.agency,
        "state": task.state,
        "started": task.created_at,
        "finished": task.completed_at,
        "by": task.completed_by,
        "working_seconds": calendar.working_seconds(
            task.created_at, max(end, task.created_at), task.agency
        ),
        "deadline": task.deadline,
        "deadline_met": met,
    }


def holding_agency(session: Session, application: Application) -> str | None:
    """Return the agency whose queue holds the file now, if any."""
    return session.scalar(
        select(Task.agency)
        .where(
            Task.instance_id == application.instance_id,
            Task.state.in_(OPEN_TASK_STATES),
        )
        .order_by(Task.created_at)
        .limit(1)
    )
