"""What the servers are told: their environment, their queues, their Redis."""

from __future__ import annotations

import csv
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"
AGENCIES = ROOT / "processes" / "data" / "agencies.csv"


def environment(database_url: str, redis_url: str | None = None) -> dict[str, str]:
    """Return this process's environment, pointed at ``database_url``.

    An inherited ``REDIS_URL`` is dropped unless ``redis_url`` replaces it:
    without one the app runs jobs in-process, and a caller that chose that
    must not get a developer's Redis by accident.
    """
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    env["DATABASE_URL"] = database_url
    # As production runs it (see the README): glibc would otherwise give each
    # thread a malloc arena of its own, each keeping what it freed. An
    # inherited value wins, so another setting can be measured.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    if redis_url:
        env["REDIS_URL"] = redis_url

    return env


def worker_queues() -> list[str]:
    """Return every queue production listens on: periodic, the Mall's, each agency's."""
    with AGENCIES.open(newline="") as file:
        agencies = [row["code"] for row in csv.DictReader(file)]

    return ["terpadu.periodic", "agency.MALL", *(f"agency.{a}" for a in agencies)]


def fresh_redis_database(url: str) -> str | None:
    """Empty the Redis database at ``url`` and return ``url``; None if Redis is down.

    Emptied so that no job or tick chain of an earlier run is picked up.
    """
    import redis  # only here: the rest of the package needs no Redis client

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError:
        return None

    return url
