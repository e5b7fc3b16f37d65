"""The processes under test: gunicorn, and ``rq worker`` when Redis answers.

:func:`redis_database` picks the mode: with Redis on 127.0.0.1:6379 the soak
runs as production does (gunicorn sync workers enqueue, one ``rq worker``
runs the agency queues and the periodic tick); without it jobs and the tick
run inside the gunicorn workers. :func:`processes` names every process to
sample by its kind, read afresh each time since work horses come and go.
"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Database 14 is the soak's own (the tests and the benchmark use others); it
# is flushed first so no job or tick chain of an earlier run is picked up.
REDIS_URL = "redis://127.0.0.1:6379/14"
WORKER_LOG = Path("/tmp/terpadu-soak-rq-worker.log")
STARTUP_SECONDS = 60

MASTER, WORKER, RQ_WORKER, RQ_CHILD = "master", "worker", "rq worker", "rq child"


def redis_database() -> str | None:
    """Return the soak's Redis database, flushed, or None if Redis does not answer."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError:
        return None
    return REDIS_URL


def environment(database_url: str, redis_url: str | None) -> dict[str, str]:
    """The servers' environment: this one's, with the soak's database and Redis."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def children(pid: int) -> list[int]:
    """Return the child processes of ``pid``; none once it has gone."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return sorted(int(child) for child in text.split())


def processes(master: int, rq_worker: int | None) -> dict[int, str]:
    """Map each process to sample to its kind.

    The rq worker's children are its scheduler (``--with-scheduler`` forks
    one for good) and the work horse forked for each connector call.
    """
    kinds = {master: MASTER} | {pid: WORKER for pid in children(master)}
    if rq_worker is not None:
        kinds[rq_worker] = RQ_WORKER
        kinds |= {pid: RQ_CHILD for pid in children(rq_worker)}
    return kinds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str], workers: int
) -> Iterator[tuple[subprocess.Popen, int]]:
    """Serve ``wsgi:app`` with sync workers on a free port; yield it and the port.

    Sync workers, one thread each: on a two-core machine threads measured
    slower, and a single thread is what the workers' memory is measured as.
    """
    port = _free_port()
    command = [
        str(BIN / "gunicorn"),
        *("-c", "gunicorn.conf.py", "-w", str(workers), "--threads", "1"),
        *("-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_for_gunicorn(server, port, workers)
        yield server, port
    finally:
        _stop(server)


def _wait_for_gunicorn(server: subprocess.Popen, port: int, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                pass
            if len(children(server.pid)) == workers:
                return
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer within {STARTUP_SECONDS} s")


def queues() -> list[str]:
    """The periodic queue, the Mall's and every agency's, as production listens."""
    with (ROOT / "processes" / "data" / "agencies.csv").open(newline="") as file:
        agencies = [row["code"] for row in csv.DictReader(file)]
    return ["terpadu.periodic", "agency.MALL", *(f"agency.{a}" for a in agencies)]


@contextmanager
def rq_worker(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Start one ``rq worker`` with the scheduler and schedule the tick chain."""
    log = WORKER_LOG.open("wb")
    command = [
        str(BIN / "rq"),
        *("worker", "-w", "workers.rq_worker.AppWorker", "--with-scheduler"),
        *("--url", env["REDIS_URL"], "--logging_level", "WARNING", *queues()),
    ]
    worker = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
    )
    try:
        flask_command(env, "workers", "start")
        yield worker
    finally:
        _stop(worker)
        log.close()


def flask_command(env: dict[str, str], *arguments: str) -> str:
    """Run a ``flask --app wsgi`` command in its own process; return its output."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *arguments],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {arguments[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _stop(process: subprocess.Popen) -> None:
    """Ask ``process`` to stop; kill it if it has not within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
