"""Production's processes, started on this machine for the benchmark and the soak.

``python -m bench`` and ``python -m soak`` both measure Terpadu as it is
deployed: gunicorn serving ``wsgi:app`` and one ``rq worker`` on every queue,
each a process of its own, started with the environment production gives
them (``MALLOC_ARENA_MAX=2`` included; see the README). This package starts
and stops them; the callers choose worker counts, threads and log files.

It imports only the standard library, and ``redis`` when asked to empty a
database. It never imports the app: the servers run in their own processes,
and importing the app here would start its in-process tick thread.
"""

from __future__ import annotations

from .environment import (
    GUNICORN_CONFIG,
    ROOT,
    environment,
    fresh_redis_database,
    worker_queues,
)
from .running import (
    CommandFailed,
    Gunicorn,
    LocalServerError,
    StartupFailed,
    children,
    flask_command,
    free_port,
    gunicorn,
    rq_worker,
    stop,
)

__all__ = [
    "GUNICORN_CONFIG",
    "ROOT",
    "CommandFailed",
    "Gunicorn",
    "LocalServerError",
    "StartupFailed",
    "children",
    "environment",
    "flask_command",
    "free_port",
    "fresh_redis_database",
    "gunicorn",
    "rq_worker",
    "stop",
    "worker_queues",
]
