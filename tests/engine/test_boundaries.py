"""The engine's import boundary: no web framework, no queue, no Redis."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

FORBIDDEN = {"flask", "flask_sqlalchemy", "flask_migrate", "rq", "redis"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_imports_no_flask_rq_or_redis():
    sources = sorted(Path(engine.__file__).parent.rglob("*.py"))
    assert len(sources) >= 10

    offenders = {
        str(path.name): sorted(_imported_roots(path) & FORBIDDEN) for path in sources
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_scan_would_catch_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import redis.client\nfrom flask import g\nfrom . import rq\n")

    assert _imported_roots(sample) & FORBIDDEN == {"redis", "flask"}
