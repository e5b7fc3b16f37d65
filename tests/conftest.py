"""Shared fixtures: real databases for the tests that are about persistence.

``db_session`` runs a test twice, on SQLite and on PostgreSQL. The PostgreSQL
database is created for this test run on 127.0.0.1:5432 and dropped after it;
its schema is built once and emptied between tests.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import engine.calendar
import engine.models  # noqa: F401  (registers the engine's tables)
from engine.db import Base

# Fixtures kept in modules of their own, for tests in several folders.
pytest_plugins = ["tests.agency_system"]

# The read-only shared material (reference data, conformance diagrams) lies
# beside the checkout, wherever it is cloned.
SHARED = Path(__file__).resolve().parents[2] / "shared"

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _import_all_models() -> None:
    # Packages add tables as they grow; import whichever model modules exist.
    # All of them before any engine is created, so every table exists in it.
    for module in (
        "processes.models",
        "processes.applications",
        "processes.documents",
        "processes.queue_tickets",
        "processes.satisfaction",
        "api.models",
        "workers.models",
    ):
        try:
            __import__(module)
        except ModuleNotFoundError as missing:
            if missing.name not in (module, module.split(".")[0]):
                raise


_import_all_models()


@pytest.fixture(scope="session")
def postgres_url():
    name = f"terpadu_test_{uuid.uuid4().hex[:8]}"
    # Pre-ping: tests/hardening restarts PostgreSQL, killing pooled connections.
    admin = create_engine(
        POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name"
            ),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def empty_database_url(request, tmp_path):
    """A database with no tables, for tests of migrations; dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return

    name = f"terpadu_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url):
    engine = create_engine(
        postgres_url, pool_size=20, max_overflow=20, pool_pre_ping=True
    )
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "terpadu.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def empty_all_tables(engine) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            joined = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db_engine(request):
    fixture = {"sqlite": "sqlite_engine", "postgresql": "postgres_engine"}[
        request.param
    ]
    engine = request.getfixturevalue(fixture)
    yield engine
    empty_all_tables(engine)


@pytest.fixture
def db_session(db_engine):
    session = Session(db_engine)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def pg_engine(postgres_engine):
    """PostgreSQL alone, for tests about concurrency or PostgreSQL itself."""
    yield postgres_engine
    empty_all_tables(postgres_engine)


def agency_row(code: str, name: str | None = None):
    """An SKPD, for tests that need agencies but not the whole catalogue."""
    from processes.models import Agency, AgencyKind

    return Agency(
        code=code,
        name_id=name or code,
        name_en=name or code,
        kind=AgencyKind.SKPD,
        head_title=f"Kepala {code}",
    )


def add_regions(app, regions) -> None:
    """Store ``(code, name, level, parent)`` regions in ``app``'s database.

    Each row is flushed before the next, so list parents before children,
    as the catalogue loads them.
    """
    from api.extensions import db
    from processes.models import Region

    with app.app_context():
        for code, name, level, parent in regions:
            db.session.add(
                Region(
                    code=code,
                    name=name,
                    level=level,
                    parent_code=parent,
                    head_title=f"Kepala {name}",
                )
            )
            db.session.flush()
        db.session.commit()
