"""What an API process loads: only what serving requests needs.

API processes sit close to their memory budget (about 100 MB each), so
libraries only the workers use stay out of them: rq (the workers relay the
outbox), the HTTP client that pushes to agency systems and SMS gateways, and
cryptography's compiled part, which opens an agency's push secret (and seals
it when an admin sets one: that request alone loads it). redis-py imports
cryptography's top level, a few kilobytes, only to see whether it is there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER_ONLY = ("rq", "requests", "cryptography.hazmat.bindings._rust")


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
