"""PostgreSQL goes away while officers complete tasks over HTTP, then comes back.

The cluster on 127.0.0.1:5432 is stopped for a moment and started again in a
thread while a loop completes tasks through a real server thread. During the
outage the API must answer 503 in the one error shape; afterwards the same
app, never rebuilt, must serve again, and every instance must still load
with its audit chain intact. Other test runs sharing the cluster lose their
connections for that moment.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from api.extensions import db
from engine import audit
from engine.models import Instance
from processes.applications import Application, instance_service
from tests.conftest import empty_all_tables
from tests.hardening.world import build_world, tear_down

APPLICATIONS = 8
OUTAGE_SECONDS = 1.5
GIVE_UP_SECONDS = 60
OFFICERS = {"DPMPTSP": "officer", "DINKES": "hygiene_officer"}


def _cluster(action: str) -> None:
    version = next(Path("/etc/postgresql").iterdir()).name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _restart_with_a_gap() -> None:
    _cluster("stop")
    time.sleep(OUTAGE_SECONDS)
    _cluster("start")


def _http(base: str, method: str, path: str, token: str, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.loads(refused.read()), refused.headers


@pytest.fixture
def world_on_postgres(postgres_url, postgres_engine):
    world = build_world(postgres_url)
    yield world
    tear_down(world)
    # The session's shared engine may hold connections the restart killed.
    empty_all_tables(postgres_engine)


@pytest.fixture
def server(world_on_postgres):
    httpd = make_server("127.0.0.1", 0, world_on_postgres.app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/api/v1"
    httpd.shutdown()
    thread.join()
    httpd.server_close()


@pytest.mark.postgres
@pytest.mark.slow
def test_completions_survive_a_postgres_restart(world_on_postgres, server):
    world = world_on_postgres
    pending = {
        task["id"]: OFFICERS[task["agency"]]
        for _ in range(APPLICATIONS)
        for task in world.submit()["tasks"]
    }
    answers: list[tuple[int, dict, str | None]] = []
    restart = threading.Thread(target=_restart_with_a_gap)
    restart.start()

    try:
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while (pending or restart.is_alive()) and time.monotonic() < deadline:
            if not pending:
                status, body, headers = _http(
                    server, "GET", "/tasks", world.tokens["officer"]
                )
            else:
                task, officer = next(iter(pending.items()))
                status, body, headers = _http(
                    server,
                    "POST",
                    f"/tasks/{task}/complete",
                    world.tokens[officer],
                    {"data": {}},
                )
                if status in (200, 409):
                    del pending[task]
            answers.append((status, body, headers.get("Retry-After")))
            if status == 503:
                time.sleep(0.05)
    finally:
        restart.join()  # the cluster is back before anything else runs

    assert pending == {}, "completions did not resume after the restart"
    statuses = {status for status, _, _ in answers}
    assert 503 in statuses, "no request fell in the outage"
    assert statuses <= {200, 409, 503}, answers
    for status, body, retry_after in answers:
        if status == 503:
            assert set(body) == {"code", "message", "errors"}
            assert retry_after is not None
    _assert_nothing_corrupted(world)


def _assert_nothing_corrupted(world) -> None:
    with world.app.app_context():
        service = instance_service(db.session)
        instances = db.session.scalars(select(Instance.id)).all()
        assert len(instances) == APPLICATIONS
        for instance_id in instances:
            service.data(instance_id)
        statuses = db.session.scalars(select(Application.status)).all()
        assert set(statuses) == {"completed"}
        assert audit.verify(db.session) == []
