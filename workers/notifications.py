"""Resident notifications: written to an outbox with the change, delivered later.

A resident hears at submission, when the file is returned to them, at
completion and when the application is cancelled. Delivery goes through an
adapter: :class:`SmsGatewayAdapter` when ``SMS_GATEWAY_URL`` is set, which
sends the applicant's phone a message in Indonesian naming the tracking
number; otherwise :class:`LoggingAdapter`, which only logs that a message was
due. Neither logs a phone number or a NIK.
"""

from __future__ import annotations

import json
import logging
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import rows
from engine.db import utcnow
from engine.instances import InstanceChange
from engine.models import InstanceStatus

from . import outbound
from .models import Notification, NotificationKind
from .outbound import OutboundFailed

logger = logging.getLogger(__name__)

APPLICANT = "applicant"


# What an ended instance tells its resident, by the status it ended in.
_ENDINGS = {
    InstanceStatus.COMPLETED: (NotificationKind.COMPLETED, "is complete"),
    InstanceStatus.CANCELLED: (NotificationKind.CANCELLED, "was cancelled"),
}


def record_notifications(session: Session, change: InstanceChange) -> None:
    """Queue the resident's messages that ``change`` calls for (an engine listener)."""
    instance = change.instance
    if change.started:
        _add(session, instance, NotificationKind.SUBMITTED, "received")

    for task in change.created:
        if task.waits_on == APPLICANT:
            what = f"needs your action: {task.name}"
            _add(session, instance, NotificationKind.RETURNED_TO_APPLICANT, what)

    if change.finished and instance.status in _ENDINGS:
        kind, what = _ENDINGS[instance.status]
        _add(session, instance, kind, what)


def _add(session: Session, instance, kind: NotificationKind, what: str) -> None:
    rows.insert_later(
        session,
        Notification.__table__,
        {
            "instance_id": instance.id,
            "recipient": instance.started_by,
            "kind": kind.value,
            "body": f"Application {instance.id} {what}.",
            "created_at": utcnow(),
        },
    )


class DeliveryAdapter(Protocol):
    name: str

    def deliver(self, notification: Notification) -> None:
        """Send the message; raise OutboundFailed to leave it for a later try."""
        ...


# What the resident reads, by kind; {number} is the tracking number.
RESIDENT_MESSAGES = {
    NotificationKind.SUBMITTED: (
        "Permohonan {number} telah diterima di Mal Pelayanan Publik. "
        "Simpan nomor ini untuk melacak permohonan Anda."
    ),
    NotificationKind.RETURNED_TO_APPLICANT: (
        "Permohonan {number} menunggu kelengkapan dari Anda. "
        "Lacak permohonan atau datang ke loket untuk rinciannya."
    ),
    NotificationKind.COMPLETED: (
        "Permohonan {number} telah selesai diproses. "
        "Lihat hasilnya dengan melacak nomor ini bersama NIK Anda."
    ),
    NotificationKind.CANCELLED: "Permohonan {number} telah dibatalkan.",
}


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


class SmsGatewayAdapter:
    """Text the applicant through an SMS gateway's HTTP API.

    POSTs ``{"to": phone, "message": text}`` with ``Authorization: Bearer
    <token>``; a failure (see outbound) leaves the message pending. Instances without an application (none is a resident's) have
    nobody to text and count as delivered.
    """

    name = "sms"

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url, self.token = url, token

    def deliver(self, notification: Notification) -> None:
        from processes.applications import Application

        session = Session.object_session(notification)
        application = session.scalar(
            select(Application).where(
                Application.instance_id == notification.instance_id
            )
        )
        if application is None:
            return

        text = RESIDENT_MESSAGES[NotificationKind(notification.kind)]
        message = {
            "to": application.applicant_phone,
            "message": text.format(number=application.tracking_number),
        }
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        outbound.post(self.url, body=json.dumps(message).encode(), headers=headers)


def adapter_for(config) -> DeliveryAdapter:
    """The adapter an app's configuration asks for."""
    if config.get("SMS_GATEWAY_URL"):
        return SmsGatewayAdapter(config["SMS_GATEWAY_URL"], config["SMS_GATEWAY_TOKEN"])
    return LoggingAdapter()


def deliver_pending(
    session: Session, adapter: DeliveryAdapter, limit: int = 200
) -> int:
    """Deliver pending notifications through ``adapter``; return how many. Commits.

    Stops at the first failed delivery, as the gateway is likely down: that
    message and the rest stay pending for the next tick.
    """
    pending = session.scalars(
        select(Notification)
        .where(Notification.delivered_at.is_(None))
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    delivered = 0
    for notification in pending:
        try:
            adapter.deliver(notification)
        except OutboundFailed as failure:
            logger.warning(
                "resident notification not delivered; will retry",
                extra={
                    "notification_id": notification.id,
                    "instance_id": notification.instance_id,
                    "adapter": adapter.name,
                    "error": str(failure),
                },
            )
            break
        notification.delivered_at, notification.adapter = utcnow(), adapter.name
        delivered += 1

    session.commit()
    return delivered
