"""Attach the workers to the Flask app and build the services jobs use.

``init_app(app)`` registers the CLI group and, when ``REDIS_URL`` is unset,
drains the outbox in-process after each request and (outside tests) ticks on
a background thread, so timers fire with no Redis at all. :func:`instance_service`
builds the engine's service with the outbox, notification, SLA and application
listeners, the same way for views and jobs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.calendar import WorkingCalendar, load_calendar
from engine.instances import InstanceService
from engine.models import Instance, Task
from engine.sla import SlaDeadlines, SlaListener
from processes.applications import sync_application

from .notifications import DeliveryAdapter, adapter_for, record_notifications
from .outbox import record_dispatches
from .queues import Dispatcher, InlineDispatcher, RedisDispatcher

logger = logging.getLogger(__name__)

EXTENSION = "terpadu.workers"
REDIS_DISPATCHER = "terpadu.redis_dispatcher"
# The app's in-process ticker, when it runs without Redis.
TICKER = "terpadu.ticker"
# The calendar is reread this often, so admins' exceptions reach the workers.
CALENDAR_MAX_AGE = 300.0


@dataclass
class WorkerSettings:
    """What the app tells the workers about services; the catalogue fills it in.

    ``application_days(instance)`` is the service SLA in working days,
    ``kecamatan_of(instance)`` the kecamatan of a village-started application,
    ``step_default(instance, task)`` the service's default for a step.
    """

    application_days: Callable[[Instance], int | None] = lambda instance: None
    kecamatan_of: Callable[[Instance], str | None] = lambda instance: None
    step_default: Callable[[Instance, Task], int | None] = lambda instance, task: None
    _calendar: tuple[float, WorkingCalendar] | None = field(default=None, repr=False)

    def calendar(self, session: Session) -> WorkingCalendar:
        if (
            self._calendar is None
            or time.monotonic() - self._calendar[0] > CALENDAR_MAX_AGE
        ):
            self._calendar = (time.monotonic(), load_calendar(session))
        return self._calendar[1]

    def forget_calendar(self) -> None:
        """Reread the calendar on next use: this process just changed it."""
        self._calendar = None


def init_app(app: Flask, settings: WorkerSettings | None = None) -> None:
    from .cli import workers_cli

    app.extensions[EXTENSION] = settings or WorkerSettings()
    app.cli.add_command(workers_cli)
    if app.config.get("REDIS_URL"):
        return

    if app.testing:
        # Tests read a request's dispatches as done when its answer arrives.
        app.after_request(_drain_in_process)
        return

    from .periodic import InProcessTicker

    ticker = InProcessTicker(app)
    app.extensions[TICKER] = ticker
    app.after_request(_wake_the_ticker)
    ticker.start()


def settings() -> WorkerSettings:
    return current_app.extensions.setdefault(EXTENSION, WorkerSettings())


def working_calendar(session: Session) -> WorkingCalendar:
    """The app's working calendar, reread at most every ``CALENDAR_MAX_AGE`` seconds."""
    return settings().calendar(session)


def instance_service(session: Session, **options) -> InstanceService:
    """The engine's service with every listener of the workers, for ``session``."""
    config = settings()
    calendar = config.calendar(session)
    sla = SlaListener(
        calendar,
        application_days=config.application_days,
        kecamatan_of=config.kecamatan_of,
    )
    listeners = [record_dispatches, record_notifications, sla, sync_application]
    return InstanceService(
        session,
        deadlines=SlaDeadlines(calendar, config.step_default),
        listeners=[*options.pop("listeners", ()), *listeners],
        **options,
    )


def notification_adapter() -> DeliveryAdapter:
    """How the app's residents are told: its SMS gateway, or the log."""
    return adapter_for(current_app.config)


def dispatcher() -> Dispatcher:
    """The app's dispatcher: one Redis client per app and process, or in-process.

    The tick asks for it every second. A Redis client built each time costs a
    connection and leaves its pool's reference cycles (about 12 KiB) to the
    garbage collector; those promoted to the oldest generation wait for a full
    collection, which may be many minutes away, so the worker's memory crept.
    """
    url = current_app.config.get("REDIS_URL")
    if not url:
        return InlineDispatcher()

    cached = current_app.extensions.get(REDIS_DISPATCHER)
    if cached is None or cached[0] != url:
        # redis-py resets a pool used after a fork, so a forked process
        # (an rq work horse) opens its own connections on first use.
        cached = (url, RedisDispatcher.from_url(url))
        current_app.extensions[REDIS_DISPATCHER] = cached
    return cached[1]


def _wake_the_ticker(response):
    from api.extensions import db

    from .outbox import ROWS_ADDED

    # The answer goes now; the ticker's thread sends what the request added.
    if db.session.info.pop(ROWS_ADDED, False):
        current_app.extensions[TICKER].wake()
    return response


def _drain_in_process(response):
    from api.extensions import db

    from .outbox import ROWS_ADDED, drain

    # Rows a failed drain left behind go with the next request that adds
    # some, or with the in-process tick.
    if not db.session.info.pop(ROWS_ADDED, False):
        return response

    try:
        drain(db.session, InlineDispatcher())
    except SQLAlchemyError as failure:
        # The response already says what happened to the request; the outbox
        # rows stay pending and the next request or tick sends them.
        db.session.rollback()
        logger.warning("outbox not drained", extra={"error": type(failure).__name__})
    return response
