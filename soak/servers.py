"""The processes under test: gunicorn, and ``rq worker`` when Redis answers.

:func:`redis_database` picks the mode: with Redis on 127.0.0.1:6379 the soak
runs as production does (gunicorn sync workers enqueue, one ``rq worker``
runs the agency queues and the periodic tick); without it jobs and the tick
run inside the gunicorn workers. :func:`processes` names every process to
sample by its kind, read afresh each time since work horses come and go.
Starting and stopping them is :mod:`localservers`'s, shared with the bench.
"""

from __future__ import annotations

import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

import localservers

# Database 14 is the soak's own (the tests and the benchmark use others); it
# is flushed first so no job or tick chain of an earlier run is picked up.
REDIS_URL = "redis://127.0.0.1:6379/14"
WORKER_LOG = Path("/tmp/terpadu-soak-rq-worker.log")

MASTER, WORKER, RQ_WORKER, RQ_CHILD = "master", "worker", "rq worker", "rq child"


def redis_database() -> str | None:
    """Return the soak's Redis database, flushed, or None if Redis does not answer."""
    return localservers.fresh_redis_database(REDIS_URL)


def processes(master: int, rq_worker: int | None) -> dict[int, str]:
    """Map each process to sample to its kind.

    The rq worker's children are its scheduler (``--with-scheduler`` forks
    one for good) and the work horse forked for each connector call.
    """
    children = localservers.children
    kinds = {master: MASTER} | {pid: WORKER for pid in children(master)}
    if rq_worker is not None:
        kinds[rq_worker] = RQ_WORKER
        kinds |= {pid: RQ_CHILD for pid in children(rq_worker)}

    return kinds


def gunicorn(
    env: dict[str, str], workers: int
) -> AbstractContextManager[localservers.Gunicorn]:
    """Serve ``wsgi:app`` with production's config and sync workers.

    Sync workers, one thread each: on a two-core machine threads measured
    slower, and a single thread is what the workers' memory is measured as.
    """
    return localservers.gunicorn(
        env, workers=workers, threads=1, config=localservers.GUNICORN_CONFIG
    )


def rq_worker(env: dict[str, str]) -> AbstractContextManager[subprocess.Popen]:
    """Start one ``rq worker`` with the scheduler and schedule the tick chain."""
    return localservers.rq_worker(env, log=WORKER_LOG)
