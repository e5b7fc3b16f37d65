"""Resident notifications: written to an outbox with the change, delivered later.

A resident hears at submission, when the file is returned to them, at
completion and when the application is cancelled. Delivery goes through an
adapter; only :class:`LoggingAdapter` exists so far, which logs the fact of
the message and marks it delivered. SMS and WhatsApp adapters are still to be
written.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import rows
from engine.db import utcnow
from engine.instances import InstanceChange
from engine.models import InstanceStatus

from .models import Notification, NotificationKind

logger = logging.getLogger(__name__)

APPLICANT = "applicant"


def record_notifications(session: Session, change: InstanceChange) -> None:
    """Queue the resident's messages that ``change`` calls for (an engine listener)."""
    instance = change.instance
    if change.started:
        _add(
            session,
            instance.id,
            instance.started_by,
            NotificationKind.SUBMITTED,
            f"Application {instance.id} received.",
        )

    for task in change.created:
        if task.waits_on == APPLICANT:
            _add(
                session,
                instance.id,
                instance.started_by,
                NotificationKind.RETURNED_TO_APPLICANT,
                f"Application {instance.id} needs your action: {task.name}.",
            )

    if change.finished and instance.status == InstanceStatus.COMPLETED:
        _add(
            session,
            instance.id,
            instance.started_by,
            NotificationKind.COMPLETED,
            f"Application {instance.id} is complete.",
        )
    if change.finished and instance.status == InstanceStatus.CANCELLED:
        _add(
            session,
            instance.id,
            instance.started_by,
            NotificationKind.CANCELLED,
            f"Application {instance.id} was cancelled.",
        )


def _add(
    session: Session,
    instance_id: int,
    recipient: str,
    kind: NotificationKind,
    body: str,
) -> None:
    rows.insert_later(
        session,
        Notification.__table__,
        {
            "instance_id": instance_id,
            "recipient": recipient,
            "kind": kind.value,
            "body": body,
            "created_at": utcnow(),
        },
    )


class DeliveryAdapter(Protocol):
    name: str

    def deliver(self, notification: Notification) -> None: ...


class LoggingAdapter:
    """Log each message instead of sending it, leaving the recipient out."""

    name = "log"

    def deliver(self, notification: Notification) -> None:
        logger.info(
            "resident notified",
            extra={
                "notification_id": notification.id,
                "instance_id": notification.instance_id,
                "kind": notification.kind,
            },
        )


def deliver_pending(
    session: Session, adapter: DeliveryAdapter, limit: int = 200
) -> int:
    """Deliver pending notifications through ``adapter``; return how many. Commits."""
    pending = session.scalars(
        select(Notification)
        .where(Notification.delivered_at.is_(None))
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for notification in pending:
        adapter.deliver(notification)
        notification.delivered_at, notification.adapter = utcnow(), adapter.name

    session.commit()
    return len(pending)
