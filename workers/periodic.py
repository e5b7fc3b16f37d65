"""The periodic tick: fire due timers, sweep SLAs, relay the outboxes.

One tick job runs on the ``terpadu.periodic`` queue and schedules the next
one itself with ``enqueue_in``, so a worker started with
``rq worker --with-scheduler`` keeps it going. Starting the chain twice makes
two chains; every tick is idempotent, so that only doubles the work. Due
times live in ``instances.due_at``, so a restart loses no timer. Without Redis,
``flask --app wsgi workers tick`` runs one tick; run it from cron or a loop.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import EngineError
from engine.models import Instance, InstanceStatus
from engine.sla import sweep

from .notifications import DeliveryAdapter, adapter_for, deliver_pending
from .outbox import drain, relay
from .queues import PERIODIC_QUEUE, Dispatcher, RedisDispatcher

logger = logging.getLogger(__name__)

TICK_INTERVAL = timedelta(seconds=1)


def fire_due_timers(session: Session, now: datetime) -> int:
    """Fire the timers of every running instance due by ``now``; return how many."""
    from .wiring import instance_service

    due = session.scalars(
        select(Instance.id)
        .where(Instance.status == InstanceStatus.RUNNING.value, Instance.due_at <= now)
        .order_by(Instance.due_at)
    ).all()
    session.rollback()
    service = instance_service(session)
    for instance_id in due:
        try:
            service.fire_timers(instance_id)
        except EngineError:
            logger.exception(
                "timers failed to fire", extra={"instance_id": instance_id}
            )
    return len(due)


def run_tick(
    session: Session,
    dispatcher: Dispatcher,
    notifications: DeliveryAdapter,
    now: datetime | None = None,
) -> dict:
    """Do one round of periodic work. Commits."""
    now = now or utcnow()
    fired = fire_due_timers(session, now)
    report = sweep(session, now)
    session.commit()
    relayed = relay(session, dispatcher, now=now)
    delivered = deliver_pending(session, notifications)
    return {
        "timers": fired,
        "escalations": report.escalations,
        "relayed": relayed,
        "notifications": delivered,
    }


def tick() -> dict:
    """The RQ job: one round of periodic work, then schedule the next round."""
    from .jobs import app_session
    from .wiring import dispatcher, notification_adapter

    with app_session() as session:
        chosen = dispatcher()
        try:
            return run_tick(session, chosen, notification_adapter())
        finally:
            if isinstance(chosen, RedisDispatcher):
                chosen.send_in(TICK_INTERVAL, PERIODIC_QUEUE, "tick", job_id=_tick_id())


def start_ticking(dispatcher: RedisDispatcher) -> None:
    """Start (or restart) the tick chain; harmless while one is already going."""
    dispatcher.send_in(timedelta(0), PERIODIC_QUEUE, "tick", job_id=_tick_id())
    logger.info("tick chain started", extra={"queue": PERIODIC_QUEUE})


def _tick_id() -> str:
    # Each tick gets its own id: reusing the running job's id would let RQ's
    # clean-up of the finished tick expire the next one.
    return f"terpadu-tick-{uuid.uuid4().hex[:12]}"


class InProcessTicker:
    """Run the tick every second on a daemon thread: timers without Redis.

    The same thread sends the outbox as soon as a request woke it
    (:meth:`wake`), so without Redis a request's answer does not wait for its
    dispatches, connector calls and pushes to agency systems: this thread is
    the in-process queue. Meant for a single server process on a fresh
    machine. With several processes each ticks; that is safe (ticks are
    idempotent) but wasteful, so deployments with more than one process
    should set ``REDIS_URL``.
    """

    def __init__(self, app, interval: float = TICK_INTERVAL.total_seconds()):
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="terpadu-tick", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._woken.set()
        self._thread.join(10)

    def wake(self) -> None:
        """Send the outbox now rather than at the next tick: a request added rows."""
        self._woken.set()

    def _run(self) -> None:
        next_tick = time.monotonic() + self.interval
        while not self._stop.is_set():
            # Woken or not, the tick keeps its pace: a busy server must still
            # fire timers and sweep deadlines.
            woken = self._woken.wait(max(0.0, next_tick - time.monotonic()))
            self._woken.clear()
            if self._stop.is_set():
                return

            due = time.monotonic() >= next_tick
            if due:
                next_tick = time.monotonic() + self.interval
            self._work(tick=due, drain_outbox=woken)

    def _work(self, *, tick: bool, drain_outbox: bool) -> None:
        from api.extensions import db

        from .queues import InlineDispatcher

        with self.app.app_context():
            try:
                if drain_outbox:
                    drain(db.session, InlineDispatcher())
                if tick:
                    notifications = adapter_for(self.app.config)
                    run_tick(db.session, InlineDispatcher(), notifications)
            except Exception:
                logger.exception("in-process tick failed")
            finally:
                db.session.remove()
