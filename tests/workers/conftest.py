"""Fixtures of the worker tests: the app, a clean Redis database, real RQ workers.

Workers are ``rq worker`` subprocesses of the virtualenv, pointed at the test
PostgreSQL database and Redis database 13 by DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from api import create_app
from api.extensions import db
from engine.db import Base
from engine.diagrams import DiagramFile, deploy
from engine.models import Task
from tests.agency_system import LOOPBACK
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
RQ = ROOT / ".venv" / "bin" / "rq"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs_{pid}" targetNamespace="http://terpadu.test">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_dukcapil" name="DUKCAPIL">{refs}</bpmn:lane>
    </bpmn:laneSet>
{body}
  </bpmn:process>
</bpmn:definitions>
"""


def process_xml(pid: str, body: str, nodes: list[str]) -> bytes:
    refs = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in nodes)
    return DIAGRAM.format(pid=pid, body=body, refs=refs).encode()


@pytest.fixture
def redis_lock():
    """Hold the test Redis database for this test alone.

    Other test runs on this machine (a colleague's full suite) use the same
    database; without the lock one run's flush and workers take the other's
    jobs. A file lock, since every run shares this machine's Redis.
    """
    index = TEST_REDIS_URL.rsplit("/", 1)[-1]
    with open(f"/tmp/terpadu-test-redis-{index}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def redis_url(redis_lock):
    connection = Redis.from_url(TEST_REDIS_URL)
    connection.flushdb()
    yield TEST_REDIS_URL
    connection.flushdb()
    connection.close()


def make_app(postgres_url: str, redis_url: str | None):
    from workers.wiring import init_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": postgres_url,
            "REDIS_URL": redis_url,
            "TESTING": True,
        }
    )
    init_app(app)
    with app.app_context():
        # The app factory imports model modules the shared schema may not have.
        Base.metadata.create_all(db.engine)
    return app


@pytest.fixture
def app_factory(pg_engine, postgres_url):
    apps = []

    def build(redis_url: str | None):
        app = make_app(postgres_url, redis_url)
        context = app.app_context()
        context.push()
        apps.append(context)
        return app

    yield build
    for context in reversed(apps):
        db.session.remove()
        db.engine.dispose()
        context.pop()


@pytest.fixture
def deployed():
    """Deploy a diagram in the current app context: ``deployed(pid, body, nodes)``."""

    def run(pid: str, body: str, nodes: list[str]) -> None:
        deploy(
            db.session,
            [DiagramFile(f"{pid}.bpmn", process_xml(pid, body, nodes))],
            agencies={"DUKCAPIL"},
            actor="analyst",
        )
        db.session.commit()

    return run


class Workers:
    """``rq worker`` subprocesses started by one test, stopped at its end."""

    def __init__(self, postgres_url: str, spool: Path):
        self.postgres_url = postgres_url
        self.spool = spool
        self.processes: list[subprocess.Popen] = []
        self.log_files = []

    def start(self, redis_url: str, *queues: str, name: str = "w") -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": self.postgres_url,
            "REDIS_URL": redis_url,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)]),
            "TERPADU_CONNECTOR_MODULES": "worker_connectors",
            # Agency systems of the tests answer on loopback.
            "AGENCY_ENDPOINT_ALLOWED_NETWORKS": LOOPBACK,
        }
        log = (self.spool / f"{name}-{len(self.processes)}.log").open("w")
        self.log_files.append(log)
        process = subprocess.Popen(
            [
                str(RQ),
                "worker",
                "--url",
                redis_url,
                "--with-scheduler",
                "--worker-class",
                "workers.rq_worker.AppWorker",
                "--logging_level",
                "INFO",
                *queues,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def stop_all(self) -> None:
        for process in self.processes:
            self.stop(process)
        for log in self.log_files:
            log.close()

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.spool.glob("*.log")))


@pytest.fixture
def workers(redis_lock, postgres_url, tmp_path):
    started = Workers(postgres_url, tmp_path)
    yield started
    started.stop_all()
    sys.stdout.write(started.logs()[-4000:])


def open_tasks(instance_id: int) -> list[Task]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Task).where(
                Task.instance_id == instance_id, Task.state.in_(("ready", "claimed"))
            )
        )
    )


@pytest.fixture(name="wait_for")
def wait_for_fixture():
    return wait_for


@pytest.fixture(name="open_tasks")
def open_tasks_fixture():
    return open_tasks
