"""Acting on a task reads the task, its instance and its application once.

The view checks the task before the engine acts on it; the engine must find
what the view read instead of reading it again, and the answer is drawn from
what the call wrote, not read back. Statements are caught at the
driver on PostgreSQL (the engine's own reads bypass SQLAlchemy there) and by
SQLAlchemy's event on SQLite.
"""

from __future__ import annotations

import re

import psycopg
import pytest
from sqlalchemy import event

from api.extensions import db

READS_INSTANCES = re.compile(r"\b(FROM|JOIN)\s+instances\b", re.IGNORECASE)
READS_TASKS = re.compile(r"^\s*SELECT\b.*\bFROM\s+tasks\b", re.IGNORECASE | re.DOTALL)
ONE_STATEMENT_WRITE = re.compile(r"^WITH w0 AS \((INSERT|UPDATE)\b")
READS_APPLICATIONS = re.compile(
    r"^\s*SELECT\b.*\bFROM\s+applications\b", re.IGNORECASE | re.DOTALL
)


@pytest.fixture
def statements(app, monkeypatch) -> list[str]:
    """Every statement sent while the test runs, as text."""
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_execute(_connection, _cursor, statement, *_):
        sent.append(statement)

    if engine.dialect.name == "postgresql":
        execute = psycopg.Cursor.execute

        def counted(cursor, query, *args, **kwargs):
            sent.append(str(query))
            return execute(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    else:
        event.listen(engine, "before_cursor_execute", on_execute)
    yield sent
    if engine.dialect.name != "postgresql":
        event.remove(engine, "before_cursor_execute", on_execute)


def _first_task(api) -> dict:
    (task,) = api("GET", "/tasks?state=ready", "zoning_officer").json["items"]
    return task


@pytest.mark.parametrize("action", ["claim", "complete"])
def test_acting_on_a_task_reads_its_instance_once(
    app, api, permit_service, submit, statements, action
):
    assert submit().status_code == 201
    task = _first_task(api)
    statements.clear()

    body = {"data": {"zoning_ok": True}} if action == "complete" else None
    done = api("POST", f"/tasks/{task['id']}/{action}", "zoning_officer", json=body)

    assert done.status_code == 200, done.json
    assert len([s for s in statements if READS_INSTANCES.search(s)]) == 1
    assert len([s for s in statements if READS_TASKS.search(s)]) == 1
    # Read by the view, then found by the listener that keeps its status.
    assert len([s for s in statements if READS_APPLICATIONS.search(s)]) == 1
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # The engine's rows, the listeners' rows and the COMMIT: one statement.
        assert len([s for s in statements if ONE_STATEMENT_WRITE.match(s)]) == 1


@pytest.mark.parametrize("action", ["claim", "complete"])
def test_the_answer_is_the_task_as_stored(api, permit_service, submit, action):
    assert submit().status_code == 201
    task = _first_task(api)

    body = {"data": {"zoning_ok": True}} if action == "complete" else None
    done = api("POST", f"/tasks/{task['id']}/{action}", "zoning_officer", json=body)

    assert done.status_code == 200, done.json
    assert done.json["state"] == {"claim": "claimed", "complete": "completed"}[action]
    assert done.json["claimed_by"] == ("zoning_officer" if action == "claim" else None)
    application = api("GET", f"/applications/{task['application_id']}", "counter")
    assert done.json["tracking_number"] == application.json["tracking_number"]
    assert done.json["service_code"] == application.json["service_code"]
    (step,) = [s for s in application.json["timeline"] if s["task"] == task["name"]]
    assert step["state"] == done.json["state"]
    assert step["deadline"] == done.json["deadline"]
