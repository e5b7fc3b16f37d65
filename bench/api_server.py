"""The API as operators run it: its own database, bootstrapped, behind gunicorn.

:func:`api_database` creates ``terpadu_bench_api``, migrates it, loads the
catalogue and issues tokens; :func:`gunicorn` serves it on a free port
without Redis (jobs run in-process) and reports each worker's resident
memory when it stops. :class:`Client` is a keep-alive JSON client over
``http.client``, light enough that the load it adds stays on the client side.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from .database import ADMIN_URL, private_name

REPO = Path(__file__).resolve().parent.parent
GUNICORN = REPO / ".venv" / "bin" / "gunicorn"
OFFICERS = ("DPMPTSP", "DPUCKPP", "DLH")
STARTUP_SECONDS = 30
LOG_FILE = Path("/tmp/terpadu-bench-gunicorn.log")
WORKER_LOG_FILE = Path("/tmp/terpadu-bench-rq-worker.log")


@dataclass
class ApiDatabase:
    url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def officer(self, agency: str) -> str:
        return self.tokens[f"officer_{agency.lower()}"]


def _recreate(admin, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ),
            {"n": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))


def _bootstrap(url: str) -> dict[str, str]:
    """Migrate, load the catalogue and create the users; return their tokens."""
    from flask_migrate import upgrade

    from api import create_app
    from api.extensions import db
    from api.models import Role, create_user
    from processes.catalogue import load_catalogue_from_package

    # TESTING keeps the in-process timer thread from starting in this process.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    tokens = {}
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_catalogue_from_package(db.session)
        for name, role in (("analyst", Role.ANALYST), ("counter", Role.COUNTER)):
            _, tokens[name] = create_user(db.session, f"bench_{name}", role)
        for agency in OFFICERS:
            _, tokens[f"officer_{agency.lower()}"] = create_user(
                db.session,
                f"bench_officer_{agency.lower()}",
                Role.OFFICER,
                agency_code=agency,
            )
        db.session.commit()
        db.engine.dispose()
    return tokens


@contextmanager
def api_database() -> Iterator[ApiDatabase]:
    """Create, bootstrap and finally drop the API's benchmark database."""
    name = private_name("api")
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    _recreate(admin, name)
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield ApiDatabase(url, _bootstrap(url))
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n"
                ),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class Client:
    """JSON over one keep-alive connection; reconnects once if the server hung up."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        headers = {"Content-Type": content_type}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = (
            raw
            if raw is not None
            else (json.dumps(body).encode() if body is not None else None)
        )
        try:
            return self._send(method, path, payload, headers)
        except (http.client.HTTPException, ConnectionError):
            self.connection.close()
            return self._send(method, path, payload, headers)

    def _send(self, method, path, payload, headers) -> tuple[int, Any]:
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if "json" in (response.getheader("Content-Type") or ""):
            return response.status, json.loads(data)
        return response.status, data


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            status, _ = Client(port).call("GET", "/healthz")
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port}")


def _stop(process: subprocess.Popen) -> None:
    """Ask ``process`` to stop, and kill it if it has not within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Server:
    port: int
    process: subprocess.Popen

    def worker_rss_mb(self) -> list[float]:
        return [rss_mb(pid) for pid in _children(self.process.pid)]


def redis_for_bench() -> str | None:
    """The benchmark's Redis database, emptied, or None when Redis is not running."""
    import redis

    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError:
        return None
    return url


def _environment(database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_URL"] = database_url
    # As production runs it (see the README): glibc would otherwise give each
    # worker thread a malloc arena of its own, each keeping what it freed.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextmanager
def rq_worker(database_url: str, redis_url: str) -> Iterator[subprocess.Popen]:
    """One ``rq worker`` on every queue, with the periodic tick, as production runs it."""
    env = _environment(database_url, redis_url)
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "flask"), "--app", "wsgi", "workers", "start"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    agencies = (REPO / "processes" / "data" / "agencies.csv").read_text().splitlines()
    queues = ["terpadu.periodic", "agency.MALL"] + [
        f"agency.{line.split(',')[0]}" for line in agencies[1:] if line
    ]
    log = open(WORKER_LOG_FILE, "wb")  # noqa: SIM115  (closed in finally)
    process = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "rq"),
            "worker",
            "-w",
            "workers.rq_worker.AppWorker",
            "--with-scheduler",
            "--url",
            redis_url,
            "--logging_level",
            "WARNING",
            *queues,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        yield process
    finally:
        _stop(process)
        log.close()


@contextmanager
def gunicorn(
    database_url: str,
    workers: int = 2,
    threads: int = 4,
    redis_url: str | None = None,
) -> Iterator[Server]:
    """Serve ``wsgi:app`` on a free port; stop it (and only it) afterwards.

    Without ``redis_url`` jobs run inside the API processes (the embedded
    default); with it they go to Redis for ``rq worker`` processes.
    """
    port = _free_port()
    env = _environment(database_url, redis_url)
    # The app logs a line per application; a file keeps it off the report.
    log = open(LOG_FILE, "wb")  # noqa: SIM115  (closed in finally)
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        _wait_until_up(port, process)
        yield Server(port, process)
    finally:
        _stop(process)
        log.close()
