"""The benchmark's own PostgreSQL database, and a counter of what reaches it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

import engine.calendar  # noqa: F401  (registers the calendar's tables)
import engine.models  # noqa: F401  (registers the engine's tables)
from engine.db import Base

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE_NAME = "terpadu_bench"


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
            ),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@contextmanager
def bench_database(name: str = DATABASE_NAME) -> Iterator[Engine]:
    """Create an empty database with the engine's schema; drop it after.

    Runs that share a name drop each other's database; pass a name of your own
    (:func:`private_name`) when another run may be going on at the same time.
    """
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    _drop(admin, name)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    db = create_engine(url, pool_size=5)
    Base.metadata.create_all(db)
    try:
        yield db
    finally:
        db.dispose()
        _drop(admin, name)
        admin.dispose()


def private_name(purpose: str) -> str:
    """Return a database name for ``purpose`` that only this process uses."""
    return f"{DATABASE_NAME}_{purpose}_{os.getpid()}"


@dataclass
class StatementCount:
    statements: int = 0
    commits: int = 0
    counting: bool = False


def count_statements(db: Engine) -> StatementCount:
    """Attach listeners that count statements and commits while ``counting`` is set."""
    count = StatementCount()

    @event.listens_for(db, "before_cursor_execute")
    def _statement(*_args, **_kwargs):
        if count.counting:
            count.statements += 1

    @event.listens_for(db, "commit")
    def _commit(*_args):
        if count.counting:
            count.commits += 1

    return count
