"""Waiting in tests for what another thread or process does."""

from __future__ import annotations

import time


def wait_for(condition, timeout: float, interval: float = 0.1):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
