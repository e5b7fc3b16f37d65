"""What an API process loads: only what serving requests needs.

API processes sit close to their memory budget (about 100 MB each), so
libraries only the workers use stay out of them: rq (the workers relay the
outbox) and the HTTP client that pushes to agency systems and SMS gateways.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER_ONLY = ("rq", "requests")


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/15"])
def test_an_api_process_does_not_load_worker_only_libraries(tmp_path, redis_url):
    probe = (
        "import sys, wsgi; "
        f"print(sorted(m for m in {WORKER_ONLY!r} if m in sys.modules))"
    )
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite'}")
    env["REDIS_URL"] = redis_url

    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.strip().splitlines()[-1] == "[]"
