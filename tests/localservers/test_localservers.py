"""The shared start-up of gunicorn and rq worker: environment, queues, processes."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys

import pytest

import localservers

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
# Ignores the terminate signal, so only a kill ends it.
IGNORE_TERMINATE = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def test_the_worker_listens_on_every_agency_in_the_catalogue():
    path = localservers.ROOT / "processes" / "data" / "agencies.csv"
    with path.open(newline="") as file:
        codes = [row["code"] for row in csv.DictReader(file)]

    queues = localservers.worker_queues()

    assert len(codes) > 20
    assert queues[:2] == ["terpadu.periodic", "agency.MALL"]
    assert set(queues[2:]) == {f"agency.{code}" for code in codes}
    assert len(queues) == len(set(queues))


def test_the_environment_drops_an_inherited_redis_url_when_none_is_given(
    monkeypatch,
):
    monkeypatch.setenv("REDIS_URL", "redis://somewhere:6379/0")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere.db")

    env = localservers.environment("postgresql://bench")

    assert "REDIS_URL" not in env
    assert env["DATABASE_URL"] == "postgresql://bench"


def test_the_environment_names_the_given_redis_and_keeps_the_rest(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://somewhere:6379/0")
    monkeypatch.setenv("TERPADU_TEST_INHERITED", "kept")

    env = localservers.environment("postgresql://bench", "redis://127.0.0.1/12")

    assert env["REDIS_URL"] == "redis://127.0.0.1/12"
    assert env["TERPADU_TEST_INHERITED"] == "kept"


def test_malloc_arenas_are_limited_as_in_production_unless_set(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert localservers.environment("db")["MALLOC_ARENA_MAX"] == "2"

    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert localservers.environment("db")["MALLOC_ARENA_MAX"] == "8"


def test_redis_that_does_not_answer_gives_no_database():
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    assert localservers.fresh_redis_database("redis://127.0.0.1:1/0") is None


def test_children_lists_a_running_child_and_nothing_once_gone():
    child = subprocess.Popen(SLEEPER)
    try:
        assert child.pid in localservers.children(os.getpid())
    finally:
        child.kill()
        child.wait()

    assert localservers.children(child.pid) == []


def test_stop_terminates_a_process():
    process = subprocess.Popen(SLEEPER)

    localservers.stop(process, seconds=10)

    assert process.returncode == -signal.SIGTERM


def test_stop_kills_a_process_that_ignores_terminate():
    process = subprocess.Popen(
        [sys.executable, "-c", IGNORE_TERMINATE], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline() == "ready\n"

    localservers.stop(process, seconds=0.5)
    process.stdout.close()

    assert process.returncode == -signal.SIGKILL


def test_gunicorn_that_exits_at_start_up_fails_and_its_log_says_why(tmp_path):
    log = tmp_path / "gunicorn.log"
    missing = tmp_path / "missing.conf.py"

    env = localservers.environment("sqlite://")
    started = localservers.gunicorn(env, workers=1, threads=1, config=missing, log=log)

    with pytest.raises(localservers.StartupFailed, match="exited"), started:
        pass  # never reached: starting fails

    assert "missing.conf.py" in log.read_text()
