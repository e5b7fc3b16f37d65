"""Pooled connections are pinged only after sitting idle, and replaced if dead.

Driven through ``/healthz`` on PostgreSQL, with the app's pool limited to one
connection so every request reuses it. Pings are counted at the driver:
SQLAlchemy's ping for psycopg is the empty statement ``;``.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import create_engine, text

from api import create_app
from api.extensions import db
from tests.conftest import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
def make_app(postgres_url):
    """Apps on PostgreSQL with a one-connection pool, disposed of afterwards."""
    made = []

    def make(idle_seconds: float):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": postgres_url,
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0},
                "DATABASE_PING_AFTER_IDLE_SECONDS": idle_seconds,
                "TESTING": True,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def pings(monkeypatch) -> list[str]:
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(cursor, query, *args, **kwargs):
        if str(query).strip() == ";":
            sent.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    return sent


def _terminate_the_app_connection(app) -> None:
    """Close the app's pooled connection from the server side, as a restart would."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_used_moments_ago_is_not_pinged(make_app, pings):
    client = make_app(idle_seconds=60).test_client()

    for _ in range(5):
        assert client.get("/healthz").status_code == 200

    assert pings == []


def test_a_connection_idle_past_the_limit_is_pinged(make_app, pings):
    client = make_app(idle_seconds=0.05).test_client()
    assert client.get("/healthz").status_code == 200

    time.sleep(0.1)
    assert client.get("/healthz").status_code == 200

    assert len(pings) == 1


def test_a_dead_idle_connection_is_replaced_without_an_error(make_app, pings):
    app = make_app(idle_seconds=0.05)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    _terminate_the_app_connection(app)

    time.sleep(0.1)

    assert client.get("/healthz").status_code == 200
    assert len(pings) == 1


def test_a_dead_busy_connection_fails_one_request_then_the_pool_recovers(
    make_app, pings
):
    app = make_app(idle_seconds=60)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    _terminate_the_app_connection(app)

    # Not pinged: the request finds the connection dead and answers 503, as
    # during any outage; the pool is then discarded and the next one connects.
    failed = client.get("/healthz")
    assert failed.status_code == 503
    assert failed.headers.get("Retry-After")
    assert client.get("/healthz").status_code == 200
    assert pings == []
