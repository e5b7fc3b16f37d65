"""Log calls must not pass ``extra`` keys that LogRecord already owns.

``logger.info("...", extra={"created": ...})`` raises KeyError as soon as the
level is enabled, so the mistake hides in tests that log at WARNING and
surfaces in production. Every call with a literal ``extra`` dict is checked.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "processes", "api", "workers", "console", "bench", "soak")
RESERVED = set(vars(logging.LogRecord("n", 0, "p", 0, "m", (), None))) | {
    "message",
    "asctime",
}


def _extra_keys(tree: ast.AST):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                for key in keyword.value.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        yield node.lineno, key.value


def test_no_log_call_overwrites_a_record_attribute():
    clashes = [
        f"{path.relative_to(REPO)}:{line} extra key {key!r}"
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        for line, key in _extra_keys(ast.parse(path.read_text()))
        if key in RESERVED
    ]

    assert clashes == []


def test_the_check_knows_the_reserved_names():
    source = 'log.info("x", extra={"created": 1, "application_id": 2})'

    keys = [key for _, key in _extra_keys(ast.parse(source)) if key in RESERVED]

    assert keys == ["created"]
