"""Start gunicorn and ``rq worker`` as production does, and stop them again."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from .environment import ROOT, worker_queues

# The virtualenv running this process holds gunicorn, rq and flask too.
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 60
# gunicorn gives its workers 30 s (its graceful timeout) to finish requests.
STOP_SECONDS = 30


class LocalServerError(RuntimeError):
    """A server or command started here did not do what it was started for."""


class StartupFailed(LocalServerError):
    """gunicorn exited, or did not serve with all its workers, in time."""


class CommandFailed(LocalServerError):
    """A ``flask --app wsgi`` command exited non-zero; carries its stderr's end."""


class Gunicorn(NamedTuple):
    """A serving gunicorn: its master process and the port it listens on."""

    process: subprocess.Popen
    port: int


def free_port() -> int:
    """Return a loopback port free right now.

    Another process could take it before gunicorn binds it; on a machine
    running benchmarks that has not been seen, and gunicorn would then exit.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """Return the child processes of ``pid``; none once it has gone."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []

    return sorted(int(child) for child in text.split())


def stop(process: subprocess.Popen, seconds: float = STOP_SECONDS) -> None:
    """Ask ``process`` to stop; kill it if it has not within ``seconds``."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    workers: int,
    threads: int,
    config: Path | None = None,
    log: Path | None = None,
) -> Iterator[Gunicorn]:
    """Serve ``wsgi:app`` on a free loopback port until the block ends.

    Yields once ``/healthz`` answers and all ``workers`` have been forked, so
    the caller can measure every worker. Output goes to ``log`` (the
    terminal if None). Raises :class:`StartupFailed` if that does not happen
    within ``STARTUP_SECONDS``.
    """
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        *(("-c", str(config)) if config else ()),
        *("-w", str(workers), "--threads", str(threads)),
        *("-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"),
    ]
    with _output_to(log) as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, **output)
        try:
            _wait_until_serving(process, port, workers)
            yield Gunicorn(process, port)
        finally:
            stop(process)


def _wait_until_serving(process: subprocess.Popen, port: int, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if _answers(port) and len(children(process.pid)) == workers:
            return
        if process.poll() is not None:
            raise StartupFailed(f"gunicorn exited with {process.returncode}")
        time.sleep(0.2)

    raise StartupFailed(f"gunicorn did not serve within {STARTUP_SECONDS} s")


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            return True
    except OSError:  # refused while starting, or an error status
        return False


@contextmanager
def rq_worker(env: dict[str, str], *, log: Path) -> Iterator[subprocess.Popen]:
    """Run one ``rq worker`` on every queue and start the periodic tick.

    One worker with ``--with-scheduler``, as the README's production section
    starts it; ``env`` must name ``REDIS_URL``. Its log goes to ``log``.
    """
    command = [
        str(BIN / "rq"),
        *("worker", "-w", "workers.rq_worker.AppWorker", "--with-scheduler"),
        *("--url", env["REDIS_URL"], "--logging_level", "WARNING"),
        *worker_queues(),
    ]
    with _output_to(log) as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, **output)
        try:
            flask_command(env, "workers", "start")
            yield process
        finally:
            stop(process)


def flask_command(env: dict[str, str], *arguments: str) -> str:
    """Run ``flask --app wsgi`` with ``arguments`` in its own process; return stdout.

    Its own process, because importing the app here would start the app's
    in-process tick thread when ``env`` has no Redis.
    """
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
        raise CommandFailed(
            f"flask {' '.join(arguments)} failed:\n{done.stderr[-2000:]}"
        )

    return done.stdout


@contextmanager
def _output_to(log: Path | None) -> Iterator[dict]:
    """Yield ``Popen`` arguments that send output to ``log``, or leave it alone."""
    if log is None:
        yield {}
        return

    with log.open("wb") as file:
        yield {"stdout": subprocess.DEVNULL, "stderr": file}
