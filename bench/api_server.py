"""The API as operators run it: its own database, bootstrapped, behind gunicorn.

:func:`api_database` creates ``terpadu_bench_api``, migrates it, loads the
catalogue and issues tokens; :func:`gunicorn` serves it on a free port, with
jobs in-process or, given Redis, in :func:`rq_worker`, and reports each
worker's resident memory (both started by :mod:`localservers`, shared with
the soak). :class:`Client` is a keep-alive JSON client over
``http.client``, light enough that the load it adds stays on the client side.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

import localservers

from .database import ADMIN_URL, private_name

OFFICERS = ("DPMPTSP", "DPUCKPP", "DLH")
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
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :n"
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
        return [rss_mb(pid) for pid in localservers.children(self.process.pid)]


def redis_for_bench() -> str | None:
    """The benchmark's Redis database, emptied, or None when Redis is not running."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    return localservers.fresh_redis_database(url)


def rq_worker(
    database_url: str, redis_url: str
) -> AbstractContextManager[subprocess.Popen]:
    """One ``rq worker`` on every queue, with the periodic tick, as in production."""
    env = localservers.environment(database_url, redis_url)
    return localservers.rq_worker(env, log=WORKER_LOG_FILE)


@contextmanager
def gunicorn(
    database_url: str,
    workers: int = 2,
    threads: int = 4,
    redis_url: str | None = None,
) -> Iterator[Server]:
    """Serve ``wsgi:app`` on a free port; stop it (and only it) afterwards.

    Without ``redis_url`` jobs run inside the API processes (the embedded
    default); with it they go to Redis for ``rq worker`` processes. The app
    logs a line per application; :data:`LOG_FILE` keeps them off the report.
    """
    env = localservers.environment(database_url, redis_url)
    with localservers.gunicorn(
        env, workers=workers, threads=threads, log=LOG_FILE
    ) as running:
        yield Server(running.port, running.process)
