"""The dispatch outbox: written with the state change, relayed to RQ afterwards.

:func:`record_dispatches` is an :class:`engine.instances.InstanceService`
listener, so an outbox row commits or rolls back with the change that caused
it. :func:`relay` moves pending rows to a dispatcher and marks them sent; a
Redis outage leaves them pending, to go on the next relay.

Rows stay one per task, so delivery is tracked per task, but the dispatches
of one queue travel together: each relay pass sends one ``dispatch_tasks`` job
per agency queue carrying all its task ids. RQ's bookkeeping of a job (its
hash, status changes, registries) cost more than the dispatch itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engine import rows
from engine.db import utcnow
from engine.instances import InstanceChange
from engine.models import TaskKind

from .models import OutboxMessage
from .queues import Dispatcher, agency_queue

logger = logging.getLogger(__name__)

# A job sent this long ago that never reported delivery is sent again.
REDELIVER_AFTER = timedelta(minutes=5)
RELAY_BATCH = 200
# Set in a session's info when it adds outbox rows, so the in-process drain
# after a request runs only for requests that gave it something to send.
ROWS_ADDED = "terpadu.outbox_rows_added"
# Per-task jobs whose rows go out as one job per queue: row job -> batch job.
# The batch job takes the list of the rows' task ids.
BATCHED_JOBS = {"dispatch_task": "dispatch_tasks"}


def record_dispatches(session: Session, change: InstanceChange) -> None:
    """Add one outbox row per task the change opened: dispatch, or run the connector."""
    if change.created:
        session.info[ROWS_ADDED] = True
    for task in change.created:
        job = "run_service_task" if task.kind == TaskKind.SERVICE else "dispatch_task"
        rows.insert_later(
            session,
            OutboxMessage.__table__,
            {
                "instance_id": task.instance_id,
                "task_id": task.id,
                "queue": agency_queue(task.agency),
                "job": job,
                "args": [task.id],
                "created_at": utcnow(),
            },
        )


def relay(
    session: Session,
    dispatcher: Dispatcher,
    *,
    now: datetime | None = None,
    redeliver_after: timedelta = REDELIVER_AFTER,
    limit: int = RELAY_BATCH,
) -> int:
    """Send pending outbox rows, oldest first; return how many rows went. Commits.

    Rows are locked with SKIP LOCKED, so relays on several workers share the
    work instead of sending a row twice. Stops at the first Redis error and
    leaves that job's rows and the rest pending.
    """
    now = now or utcnow()
    pending = (
        select(OutboxMessage)
        .where(
            OutboxMessage.delivered_at.is_(None),
            or_(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.sent_at <= now - redeliver_after,
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    sent = jobs = 0
    for job in _jobs(session.scalars(pending)):
        if not _send(dispatcher, job):
            break
        for message in job.messages:
            message.send_attempts += 1
            message.sent_at = now
        sent += len(job.messages)
        jobs += 1

    session.commit()
    dispatcher.after_commit()
    if sent:
        logger.info("outbox relayed %d messages in %d jobs", sent, jobs)
    return sent


@dataclass
class _Job:
    """One job to enqueue and the outbox rows it delivers."""

    queue: str
    name: str
    args: list[Any]
    messages: list[OutboxMessage] = field(default_factory=list)


def _jobs(messages: Iterable[OutboxMessage]) -> list[_Job]:
    """Group rows into jobs, ordered by each job's oldest row."""
    jobs: dict[object, _Job] = {}
    for message in messages:
        batch = BATCHED_JOBS.get(message.job)
        if batch is None:
            job = jobs[message.id] = _Job(message.queue, message.job, message.args)
        else:
            key = (message.queue, batch)
            if key not in jobs:
                jobs[key] = _Job(message.queue, batch, [[]])
            job = jobs[key]
            job.args[0].append(message.task_id)
        job.messages.append(message)

    return list(jobs.values())


def _send(dispatcher: Dispatcher, job: _Job) -> bool:
    """Hand ``job`` to the dispatcher; False while Redis is away."""
    try:
        dispatcher.send(job.queue, job.name, job.args, job_id=_job_id(job))
    except (RedisError, OSError) as failure:
        logger.warning(
            "outbox relay stopped: redis unavailable",
            extra={
                "outbox_id": job.messages[0].id,
                "queue": job.queue,
                "error": type(failure).__name__,
            },
        )
        return False

    return True


def mark_delivered(session: Session, task_ids: Collection[str], job: str) -> None:
    """Record that the job ran for ``task_ids``, so the relay stops resending them.

    One UPDATE, whatever the number of tasks; the caller commits.
    """
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.task_id.in_(task_ids),
            OutboxMessage.job == job,
            OutboxMessage.delivered_at.is_(None),
        )
        .values(delivered_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def drain(session: Session, dispatcher: Dispatcher, max_rounds: int = 50) -> int:
    """Relay until nothing is pending: in-process jobs add rows as they run."""
    total = 0
    for _ in range(max_rounds):
        sent = relay(session, dispatcher)
        if not sent:
            break
        total += sent
    return total


def _job_id(job: _Job) -> str:
    # Named after its oldest row, and unique beyond this database: a restored
    # or second database reuses row ids, and RQ would overwrite a job of the
    # same id.
    oldest = job.messages[0]
    attempt = oldest.send_attempts + 1
    return f"outbox-{oldest.id}-{attempt}-{uuid.uuid4().hex[:8]}"


def retry_instance(
    session: Session,
    instance_id: int,
    actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Clear an instance's incident and send its open service tasks again. Commits.

    ``data`` is merged into the failed step first (see InstanceService.retry).
    The outbox rows join the engine's retry transaction, so either both
    happen or neither.
    """
    from .wiring import instance_service

    service = instance_service(session)
    for task in service.open_tasks(instance_id):
        if task.kind == TaskKind.SERVICE:
            session.info[ROWS_ADDED] = True
            session.add(
                OutboxMessage(
                    instance_id=instance_id,
                    task_id=task.id,
                    queue=agency_queue(task.agency),
                    job="run_service_task",
                    args=[task.id],
                    created_at=utcnow(),
                )
            )
    service.retry(instance_id, actor, data)
    logger.info("instance retried", extra={"instance_id": instance_id, "by": actor})
