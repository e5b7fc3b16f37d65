"""The dispatch outbox: written with the state change, relayed to RQ afterwards.

:func:`record_dispatches` is an :class:`engine.instances.InstanceService`
listener, so an outbox row commits or rolls back with the change that caused
it. :func:`relay` moves pending rows to a dispatcher and marks them sent; a
Redis outage leaves them pending, to go on the next relay.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import or_, select
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
    """Send pending outbox rows, oldest first; return how many went. Commits.

    Rows are locked with SKIP LOCKED, so relays on several workers share the
    work instead of sending a row twice. Stops at the first Redis error and
    leaves the rest pending.
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
    sent = 0
    for message in session.scalars(pending).all():
        message.send_attempts += 1
        try:
            dispatcher.send(
                message.queue,
                message.job,
                message.args,
                job_id=_job_id(message),
            )
        except (RedisError, OSError) as failure:
            logger.warning(
                "outbox relay stopped: redis unavailable",
                extra={"outbox_id": message.id, "error": type(failure).__name__},
            )
            message.send_attempts -= 1
            break
        message.sent_at = now
        sent += 1

    session.commit()
    dispatcher.after_commit()
    if sent:
        logger.info("outbox relayed %d messages", sent)
    return sent


def mark_delivered(session: Session, task_id: str, job: str) -> None:
    """Record that the job for ``task_id`` ran, so the relay stops resending it."""
    for message in session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.task_id == task_id,
            OutboxMessage.job == job,
            OutboxMessage.delivered_at.is_(None),
        )
    ):
        message.delivered_at = utcnow()


def drain(session: Session, dispatcher: Dispatcher, max_rounds: int = 50) -> int:
    """Relay until nothing is pending: in-process jobs add rows as they run."""
    total = 0
    for _ in range(max_rounds):
        sent = relay(session, dispatcher)
        if not sent:
            break
        total += sent
    return total


def _job_id(message: OutboxMessage) -> str:
    # Unique beyond this database: a restored or second database reuses row
    # ids, and RQ would overwrite a job of the same id.
    return f"outbox-{message.id}-{message.send_attempts}-{uuid.uuid4().hex[:8]}"


def retry_instance(session: Session, instance_id: int, actor: str) -> None:
    """Clear an instance's incident and send its open service tasks again. Commits.

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
    service.retry(instance_id, actor)
    logger.info("instance retried", extra={"instance_id": instance_id})
