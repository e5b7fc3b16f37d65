"""An agency's queue: the page and its total agree, whichever filter is used."""

from __future__ import annotations

import re

import pytest

NIKS = ("3510164107900003", "3510164107900004", "3510164107900005")


@pytest.fixture
def three_applications(permit_service, submit):
    for nik in NIKS:
        assert submit(nik=nik).status_code == 201


def _all_pages(api, query: str) -> tuple[list[dict], set[int]]:
    items, totals, number = [], set(), 1
    while True:
        body = api("GET", f"/tasks?{query}&per_page=2&page={number}", "zoning_officer")
        assert body.status_code == 200, body.json
        items += body.json["items"]
        totals.add(body.json["total"])
        if not body.json["items"]:
            return items, totals
        number += 1


@pytest.mark.parametrize(
    "query",
    ["sort=deadline", "state=ready&sort=deadline", "service=DPMPTSP-900"],
)
def test_the_total_counts_every_task_the_pages_hold(api, three_applications, query):
    items, totals = _all_pages(api, query)

    assert totals == {len(items)}
    assert len(items) == len(NIKS)
    assert len({item["id"] for item in items}) == len(items)


def test_a_service_filter_counts_only_that_service(api, three_applications):
    body = api("GET", "/tasks?service=DINKES-001", "zoning_officer").json

    assert (body["total"], body["items"]) == (0, [])


def test_an_inbox_read_runs_outside_a_transaction_and_hands_back_one(
    app, api, three_applications
):
    """On PostgreSQL the read needs no BEGIN; the next request must get one."""
    from sqlalchemy import event

    from api.extensions import db

    with app.app_context():
        engine = db.engine
    on_postgresql = engine.dialect.name == "postgresql"
    reading, handed_back = [], []

    def on_execute(connection, *_):
        driver = connection.connection.driver_connection
        reading.append(getattr(driver, "autocommit", False))

    def on_checkin(dbapi_connection, _record):
        handed_back.append(getattr(dbapi_connection, "autocommit", False))

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "checkin", on_checkin)
    try:
        read = api("GET", "/tasks?state=ready&sort=deadline", "zoning_officer")
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "checkin", on_checkin)

    assert read.status_code == 200 and read.json["total"] == len(NIKS)
    assert reading and set(reading) == {on_postgresql}
    assert handed_back and not any(handed_back)


@pytest.mark.parametrize(
    "query",
    [
        "sort=deadline",
        "sort=created",
        "state=ready&sort=deadline",
        "state=ready&sort=created",
    ],
)
def test_a_queue_page_is_read_from_the_agencys_index_in_order(
    app, api, three_applications, query
):
    """However long the queue, a page reads its own rows: no sort, no other agency's.

    The tables here are tiny, so the planner is told to avoid what it would
    rightly pick for them (a sequential scan, a bitmap scan, a sort); a plan
    that still sorts, or still filters the agency row by row, has no index
    that serves this order.
    """
    from sqlalchemy import event, text

    from api.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    pages = []

    def on_execute(_connection, _cursor, statement, parameters, *_):
        if "FROM tasks" in statement and "LIMIT" in statement:
            pages.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        assert api("GET", f"/tasks?{query}", "zoning_officer").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)

    ((statement, parameters),) = pages
    with engine.begin() as connection:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            connection.execute(text(f"SET LOCAL {setting} = off"))
        plan = "\n".join(
            connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars()
        )

    assert "Sort" not in plan, plan
    assert re.search(r"Index Cond: \(+\(?agency\)?(::text)? = ", plan), plan
