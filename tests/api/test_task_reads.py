"""Acting on a task reads the task and its instance once per request.

The view checks the task before the engine acts on it; the engine must find
what the view read instead of reading it again. Statements are caught at the
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
    api, permit_service, submit, statements, action
):
    assert submit().status_code == 201
    task = _first_task(api)
    statements.clear()

    body = {"data": {"zoning_ok": True}} if action == "complete" else None
    done = api("POST", f"/tasks/{task['id']}/{action}", "zoning_officer", json=body)

    assert done.status_code == 200, done.json
    assert len([s for s in statements if READS_INSTANCES.search(s)]) == 1
    # Once to check it, once to answer with it as the commit left it.
    assert len([s for s in statements if READS_TASKS.search(s)]) == 2
