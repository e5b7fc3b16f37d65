"""Connectors for the worker tests; ``rq worker`` loads them by an env variable.

Each call appends the calling process id to ``<spool>/calls``, so a test can
count calls across processes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from workers.connectors import ConnectorError, connector


def _count_call(spool: str) -> int:
    calls = Path(spool) / "calls"
    with calls.open("a") as handle:
        handle.write(f"{os.getpid()}\n")
    return len(calls.read_text().splitlines())


@connector("test.slow_first_time")
def slow_first_time(spool: str, **_) -> dict:
    """Hang on the first call (long enough to be killed); answer at once after."""
    if _count_call(spool) == 1:
        (Path(spool) / "running.pid").write_text(str(os.getpid()))
        time.sleep(25)
    return {"registry_answer": "found"}


@connector("test.always_down")
def always_down(spool: str, **_) -> dict:
    """Fail until the test writes ``<spool>/healed``."""
    _count_call(spool)
    if (Path(spool) / "healed").exists():
        return {"registry_answer": "back"}
    raise ConnectorError("test.always_down", "the registry does not answer")
