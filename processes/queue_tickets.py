"""Counter queue tickets: first come, first served, numbered per counter per day.

A kiosk takes the next number of a counter; the counter's clerk calls the
earliest waiting ticket; the hall screen shows the number called last. Days
are Jakarta days, so numbering restarts at 1 at local midnight.

Limit: a ticket nobody answers stays called; the clerk simply calls the next
one, and there is no recall or no-show state.

This module imports the engine's base and calendar, never the API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Date, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.calendar import JAKARTA
from engine.db import Base, UTCDateTime, utcnow

logger = logging.getLogger(__name__)

COUNTER_NAME = re.compile(r"^[A-Za-z0-9-]{1,16}$")
TAKE_ATTEMPTS = 5


class QueueTicket(Base):
    """One number handed out at one counter on one day."""

    __tablename__ = "queue_tickets"
    __table_args__ = (UniqueConstraint("counter", "day", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counter: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int]
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_by: Mapped[str | None] = mapped_column(String(200))


def valid_counter(name: str) -> bool:
    return COUNTER_NAME.fullmatch(name) is not None


def _today(clock: Callable[[], datetime]) -> tuple[datetime, date]:
    now = clock()
    return now, now.astimezone(JAKARTA).date()


def take_ticket(
    session: Session, counter: str, clock: Callable[[], datetime] = utcnow
) -> QueueTicket:
    """Hand out the counter's next number today; commit.

    Two kiosks pressing at once both read the same highest number; the
    unique constraint refuses the second insert, which then tries again.
    """
    now, day = _today(clock)
    for _ in range(TAKE_ATTEMPTS):
        highest = session.scalar(
            select(func.max(QueueTicket.number)).where(
                QueueTicket.counter == counter, QueueTicket.day == day
            )
        )
        ticket = QueueTicket(
            counter=counter, day=day, number=(highest or 0) + 1, taken_at=now
        )
        session.add(ticket)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            continue

        logger.info(
            "queue ticket taken", extra={"counter": counter, "number": ticket.number}
        )
        return ticket

    raise RuntimeError(f"counter {counter} is too busy to number a ticket")


def call_next(
    session: Session,
    counter: str,
    clerk: str,
    clock: Callable[[], datetime] = utcnow,
) -> QueueTicket | None:
    """Call the earliest waiting ticket of the counter today; None if none wait."""
    now, day = _today(clock)
    ticket = session.scalar(
        select(QueueTicket)
        .where(
            QueueTicket.counter == counter,
            QueueTicket.day == day,
            QueueTicket.called_at.is_(None),
        )
        .order_by(QueueTicket.number)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if ticket is None:
        return None

    ticket.called_at = now
    ticket.called_by = clerk
    session.commit()
    logger.info(
        "queue ticket called",
        extra={"counter": counter, "number": ticket.number, "clerk": clerk},
    )
    return ticket


def queue_state(
    session: Session, counter: str, clock: Callable[[], datetime] = utcnow
) -> dict[str, int | None]:
    """Return the number called last today and how many tickets still wait."""
    _, day = _today(clock)
    today = (QueueTicket.counter == counter) & (QueueTicket.day == day)
    called = session.scalar(
        select(QueueTicket.number)
        .where(today, QueueTicket.called_at.is_not(None))
        .order_by(QueueTicket.called_at.desc(), QueueTicket.number.desc())
        .limit(1)
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(QueueTicket)
        .where(today, QueueTicket.called_at.is_(None))
    )
    return {"now_serving": called, "waiting": waiting}
