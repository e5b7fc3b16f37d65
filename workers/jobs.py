"""The jobs RQ runs: dispatching tasks, calling connectors, the periodic tick.

Jobs take ids, never objects, and run inside an app context built by
:func:`api.create_app`, so they see the same configuration and services as
the HTTP API. Each is idempotent: running one twice (a retried job, a
redelivered outbox row, a duplicate callback) changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from rq import Retry, get_current_job
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict
from engine.models import OPEN_TASK_STATES, Instance, InstanceStatus, Task
from processes.applications import Application

from . import sealing
from .agency_push import push_tasks
from .connectors import ConnectorError, lookup
from .destinations import allowed_networks
from .models import AgencyEndpoint
from .outbox import mark_delivered

logger = logging.getLogger(__name__)

# Service-task jobs: attempts after the first, and the pause before each.
SERVICE_RETRY = Retry(max=3, interval=[1, 2, 4])
SERVICE_JOB_TIMEOUT = 30

_app: Flask | None = None


def _the_app() -> Flask:
    global _app
    if _app is None:
        from api import create_app

        _app = create_app()
    return _app


@contextmanager
def app_session() -> Iterator[Session]:
    """Yield the app's database session inside an app context, closed afterwards."""
    from flask import has_app_context

    from api.extensions import db

    if has_app_context():
        yield db.session
        return

    with _the_app().app_context():
        try:
            yield db.session
        finally:
            db.session.remove()


def _job_id() -> str | None:
    job = get_current_job()
    return job.id if job else None


def dispatch_tasks(task_ids: list[str]) -> int:
    """Tell each task's agency that it is waiting; return how many were still open.

    The relay sends one such job per agency queue and pass. The back-office
    inbox reads the tasks table; an agency with an endpoint of its own is
    also pushed its tasks (see agency_push), and a failed push fails the job
    before anything is marked, so the relay sends it again. Tasks closed or
    gone meanwhile are skipped; every id's outbox row is marked delivered.
    """
    with app_session() as session:
        waiting = session.execute(
            select(
                Task.id,
                Task.instance_id,
                Task.agency,
                Task.element_id,
                Task.name,
                Task.deadline,
                Application.tracking_number,
                AgencyEndpoint,
            )
            .outerjoin(Application, Application.instance_id == Task.instance_id)
            # In the same query: most agencies have none, and a query of its
            # own would cost every dispatch a round trip.
            .outerjoin(AgencyEndpoint, AgencyEndpoint.agency_code == Task.agency)
            .where(Task.id.in_(task_ids), Task.state.in_(OPEN_TASK_STATES))
        ).all()
        job_id = _job_id()
        for task in waiting:
            logger.info(
                "task dispatched to agency",
                extra={
                    "task_id": task.id,
                    "instance_id": task.instance_id,
                    "agency": task.agency,
                    "job_id": job_id,
                },
            )
        _push_to_agency_systems(waiting)
        mark_delivered(session, task_ids, "dispatch_task")
        session.commit()
        return len(waiting)


def _push_to_agency_systems(waiting) -> None:
    endpoints: dict[str, AgencyEndpoint] = {}
    tasks: dict[str, list[dict[str, Any]]] = {}
    for task in waiting:
        if task.AgencyEndpoint is not None:
            endpoints[task.agency] = task.AgencyEndpoint
            tasks.setdefault(task.agency, []).append(_pushed(task))

    if not endpoints:
        return

    secrets = sealing.box(current_app)
    allowed = allowed_networks(current_app.config)
    for agency, endpoint in endpoints.items():
        push_tasks(endpoint, tasks[agency], secrets, allowed)


def _pushed(task) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "instance_id": task.instance_id,
        "element_id": task.element_id,
        "name": task.name,
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "tracking_number": task.tracking_number,
    }


def dispatch_task(task_id: str) -> str:
    """Dispatch one task: the job the relay sent before it batched dispatches.

    Kept so that jobs still queued in Redis from before the change run; it
    can go once no queue or failed-job registry holds a ``dispatch_task`` job.
    """
    return "dispatched" if dispatch_tasks([task_id]) else "skipped"


def run_service_task(task_id: str) -> str:
    """Call the task's connector and complete the task with its result, once.

    A retryable failure is raised, so RQ tries again with backoff; after the
    last attempt, or at once for a failure no retry can mend, the instance
    gets an incident. Without RQ (in-process) the attempts run back to back.
    """
    if get_current_job() is not None:
        return _run_service_task_once(task_id, final=not get_current_job().retries_left)

    for attempt in range(SERVICE_RETRY.max + 1):
        try:
            return _run_service_task_once(task_id, final=attempt == SERVICE_RETRY.max)
        except Exception:
            if attempt == SERVICE_RETRY.max:
                raise
            logger.warning(
                "service task failed in process; trying again",
                extra={"task_id": task_id, "attempt": attempt + 1},
            )
    raise AssertionError("unreachable")


def _run_service_task_once(task_id: str, *, final: bool) -> str:
    with app_session() as session:
        task = session.get(Task, task_id)
        if task is None or not task.is_open:
            mark_delivered(session, [task_id], "run_service_task")
            session.commit()
            return "already done"

        context = {
            "task_id": task_id,
            "instance_id": task.instance_id,
            "agency": task.agency,
            "connector": task.connector,
            "job_id": _job_id(),
        }
        params, name = dict(task.connector_params or {}), task.connector or ""
        session.rollback()  # hold no transaction open while the connector runs

        try:
            result = lookup(name)(**params)
        except ConnectorError as failure:
            if failure.retryable and not final:
                logger.warning("connector failed; will retry", extra=context)
                raise
            _record_incident(session, task_id, str(failure))
            logger.error("connector failed for good; incident recorded", extra=context)
            return "incident"
        except Exception as failure:
            if final:
                _record_incident(session, task_id, f"{name}: {type(failure).__name__}")
                logger.error(
                    "connector failed for good; incident recorded", extra=context
                )
            raise

        outcome = complete_with_result(
            session, task_id, result, actor=f"connector:{name}"
        )
        logger.info("service task %s", outcome, extra=context)
        return outcome


def complete_with_result(
    session: Session, task_id: str, result: dict[str, Any], actor: str
) -> str:
    """Complete a service task with a connector's or callback's result, once.

    Commits.
    """
    from .wiring import instance_service

    try:
        instance_service(session).complete(task_id, result, actor)
        outcome = "completed"
    except Conflict:
        session.rollback()
        outcome = "already done"
    mark_delivered(session, [task_id], "run_service_task")
    session.commit()
    return outcome


def receive_callback(task_id: str, result: dict[str, Any], actor: str) -> str:
    """Complete a task from an agency's or the bank's callback; once only."""
    with app_session() as session:
        return complete_with_result(session, task_id, result, actor)


def _record_incident(session: Session, task_id: str, message: str) -> None:
    task = session.get(Task, task_id)
    instance = session.get(Instance, task.instance_id)
    if instance.status != InstanceStatus.RUNNING or not task.is_open:
        session.rollback()
        return

    instance.status = InstanceStatus.ERROR.value
    instance.error_message = message[:2000]
    instance.error_element_id = task.element_id
    instance.error_line = instance.process_version.line_of(task.element_id)
    audit.record_for_instance(
        session,
        instance,
        "worker",
        "incident",
        {
            "task_id": task_id,
            "element_id": task.element_id,
            "message": instance.error_message,
        },
    )
    mark_delivered(session, [task_id], "run_service_task")
    session.commit()


# name -> (function, enqueue options); the outbox stores names, not functions.
# Rows name dispatch_task, one per task; the relay sends them as dispatch_tasks.
REGISTRY: dict[str, tuple[Any, dict[str, Any]]] = {
    "dispatch_task": (dispatch_task, {}),
    "dispatch_tasks": (dispatch_tasks, {}),
    "run_service_task": (
        run_service_task,
        {"retry": SERVICE_RETRY, "job_timeout": SERVICE_JOB_TIMEOUT},
    ),
}


def _register_periodic() -> None:
    from .periodic import tick

    REGISTRY["tick"] = (tick, {"job_timeout": 120})


_register_periodic()
