"""One RQ queue per agency, and the in-process stand-in when there is no Redis.

A :class:`Dispatcher` takes a job by name with its arguments. With Redis it
enqueues on RQ; without (``REDIS_URL`` unset, e.g. a fresh machine) it runs
the job function at once in this process, so the server works alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from redis import Redis

# rq itself is imported where a job is enqueued: API processes only write the
# outbox (the workers relay it), so they are spared its memory.

logger = logging.getLogger(__name__)

PERIODIC_QUEUE = "terpadu.periodic"
# Tasks with no agency lane (rare: an unbound diagram) go to the Mall's own queue.
MALL_QUEUE = "agency.MALL"


def agency_queue(agency: str | None) -> str:
    return f"agency.{agency}" if agency else MALL_QUEUE


class Dispatcher(Protocol):
    def send(self, queue: str, job: str, args: list[Any], *, job_id: str) -> None: ...

    def after_commit(self) -> None:
        """Called by the relay once the rows it sent are marked sent."""


@dataclass
class RedisDispatcher:
    """Enqueue on RQ. Raises ``redis.ConnectionError`` while Redis is away."""

    connection: Redis

    @classmethod
    def from_url(cls, url: str) -> RedisDispatcher:
        return cls(Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5))

    def send(self, queue: str, job: str, args: list[Any], *, job_id: str) -> None:
        from rq import Queue

        from . import jobs

        function, options = jobs.REGISTRY[job]
        Queue(queue, connection=self.connection).enqueue(
            function, *args, job_id=job_id, **options
        )
        logger.debug(
            "job enqueued", extra={"queue": queue, "job": job, "job_id": job_id}
        )

    def after_commit(self) -> None:
        pass

    def send_in(self, delay: timedelta, queue: str, job: str, *, job_id: str) -> None:
        from rq import Queue

        from . import jobs

        function, options = jobs.REGISTRY[job]
        Queue(queue, connection=self.connection).enqueue_in(
            delay, function, job_id=job_id, **options
        )


class InlineDispatcher:
    """Run jobs in this process, with their retries but no pauses.

    Jobs run once the relay has committed, never inside its transaction: they
    use the same database session and commit their own work.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[str, str, list[Any]]] = []

    def send(self, queue: str, job: str, args: list[Any], *, job_id: str) -> None:
        self._pending.append((job_id, job, list(args)))

    def after_commit(self) -> None:
        from . import jobs

        pending, self._pending = self._pending, []
        for job_id, job, args in pending:
            function, _ = jobs.REGISTRY[job]
            logger.debug("job run in process", extra={"job": job, "job_id": job_id})
            try:
                function(*args)
            except Exception:
                # The row stays undelivered and is sent again after REDELIVER_AFTER.
                logger.exception("in-process job failed", extra={"job_id": job_id})
