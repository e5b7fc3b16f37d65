"""The benchmark's own PostgreSQL database, and a counter of what reaches it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

import engine.calendar
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
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name"
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


@contextmanager
def count_statements() -> Iterator[StatementCount]:
    """Count the statements and commits psycopg sends while the block runs.

    Counted at the driver, so the engine's own batched statements count as
    well as those of the ORM and Core (SQLAlchemy's events see only the latter).
    """
    count = StatementCount()
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
    commit = psycopg.Connection.commit

    def counted_execute(cursor, query, *args, **kwargs):
        if str(query) == "COMMIT":  # the engine's, sent with its write
            count.commits += 1
        else:
            count.statements += 1
        return execute(cursor, query, *args, **kwargs)

    def counted_executemany(cursor, *args, **kwargs):
        count.statements += 1
        return executemany(cursor, *args, **kwargs)

    def counted_commit(connection):
        # Outside a transaction (the session's commit after the engine's own
        # pipelined COMMIT) psycopg sends nothing: not a commit.
        if connection.pgconn.transaction_status != TransactionStatus.IDLE:
            count.commits += 1
        return commit(connection)

    psycopg.Cursor.execute = counted_execute
    psycopg.Cursor.executemany = counted_executemany
    psycopg.Connection.commit = counted_commit
    try:
        yield count
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.executemany = execute, executemany
        psycopg.Connection.commit = commit


@dataclass
class Waited:
    seconds: float = 0.0


@contextmanager
def time_waiting() -> Iterator[Waited]:
    """Sum the time psycopg spends waiting on PostgreSQL while the block runs.

    Every round trip goes through ``Connection.wait``: sending, the server's
    work, the network and reading the answer. The raw library has none of
    it, so this is the share of a step that storing it durably costs.
    """
    waited = Waited()
    wait = psycopg.Connection.wait

    def timed_wait(connection, *args, **kwargs):
        began = time.perf_counter()
        try:
            return wait(connection, *args, **kwargs)
        finally:
            waited.seconds += time.perf_counter() - began

    psycopg.Connection.wait = timed_wait
    try:
        yield waited
    finally:
        psycopg.Connection.wait = wait
