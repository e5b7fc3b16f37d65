"""Tables of the workers: the dispatch outbox, the notification outbox, and the
endpoints of agencies whose own systems are told of their waiting tasks.

Importing this module also registers the SLA tables of :mod:`engine.sla`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import engine.sla  # noqa: F401  (registers the SLA tables with the shared base)
from engine.db import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    """A job to enqueue, written in the transaction of the change that caused it.

    ``sent_at`` is set by the relay once RQ has the job; ``delivered_at`` by the
    job itself when it ran. A row sent long ago but never delivered (Redis lost
    it) is sent again; the jobs are idempotent, so a second delivery is harmless.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_pending", "delivered_at", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    queue: Mapped[str] = mapped_column(String(64))
    job: Mapped[str] = mapped_column(String(64))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationKind(StrEnum):
    SUBMITTED = "submitted"
    RETURNED_TO_APPLICANT = "returned_to_applicant"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Notification(Base):
    """A message to a resident about their application, waiting for delivery."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_pending", "delivered_at"),
        Index("ix_notifications_instance", "instance_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adapter: Mapped[str | None] = mapped_column(String(32))


class AgencyEndpoint(Base):
    """Where an agency's own system hears of tasks reaching its queue.

    Set by an admin. The secret that signs each push (see workers.agency_push)
    is stored sealed (see workers.sealing) and never shown again once saved.
    """

    __tablename__ = "agency_endpoints"

    agency_code: Mapped[str] = mapped_column(
        ForeignKey("agencies.code"), primary_key=True
    )
    url: Mapped[str] = mapped_column(String(500))
    sealed_secret: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
