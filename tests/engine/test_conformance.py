"""Every third-party diagram of ../shared/conformance deploys or is refused cleanly.

Each ``.bpmn`` file is deployed alone, with the DMN files of its folder, against
the 23 agency codes. Refusals must be :class:`DiagramInvalid` whose every
problem names its file, says what is wrong and where (element or line); nothing
may escape as a raw exception. A summary of outcomes and first-problem reasons
is printed (run with ``-s`` to see it).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from engine.diagrams import DiagramFile, deploy
from engine.errors import DiagramInvalid
from tests.conftest import SHARED

CONFORMANCE = SHARED / "conformance"
REASONS = [
    ("no executable process", "no executable process"),
    ("not an agency code", "lane is not an agency"),
    ("is not supported by the engine", "unsupported element"),
    ("is not allowed", "script or expression refused"),
    ("names no element", "flow points nowhere"),
    ("has no id", "flow without id"),
    ("neither in this upload nor deployed", "called process missing"),
    ("malformed XML", "malformed XML"),
    ("document type", "DTD refused"),
    ("Data Store", "data store unsupported"),
    ("must have an operator", "service task without operator"),
    ("start event", "no start event"),
    ("multiinstance", "multi-instance without cardinality"),
    ("Cannot resolve data", "unresolved data association"),
    ("Time Specification", "timer without definition"),
    ("Non-default exclusive outgoing", "exclusive flow without condition"),
    ("outgoing", "several unconditional outgoing flows"),
]


def _reason(message: str) -> str:
    for needle, reason in REASONS:
        if needle.lower() in message.lower():
            return reason
    return "other: " + re.sub(r"[\W\d_]+", " ", message)[:50].strip()


def _bundle(path: Path) -> list[DiagramFile]:
    files = [DiagramFile(path.name, path.read_bytes())]
    files += [
        DiagramFile(dmn.name, dmn.read_bytes())
        for dmn in sorted(path.parent.glob("*.dmn"))
    ]
    return files


@pytest.mark.skipif(
    not CONFORMANCE.is_dir(), reason="the conformance material is absent"
)
def test_every_conformance_diagram_deploys_or_is_refused_cleanly(
    sqlite_engine, all_agencies
):
    paths = sorted(CONFORMANCE.rglob("*.bpmn"))
    assert len(paths) > 150 and len(all_agencies) == 23
    outcomes, reasons, unclean = Counter(), Counter(), []

    for path in paths:
        names = {f.name for f in _bundle(path)}
        with Session(sqlite_engine) as session:
            try:
                deploy(
                    session, _bundle(path), agencies=all_agencies, actor="conformance"
                )
                outcomes["deployed"] += 1
            except DiagramInvalid as refused:
                outcomes["refused"] += 1
                reasons[_reason(refused.problems[0].message)] += 1
                unclean += [
                    (path.name, str(problem))
                    for problem in refused.problems
                    if problem.file not in names
                    or not problem.message
                    or (problem.element_id is None and problem.line is None)
                    or "Traceback" in problem.message
                ]
            except Exception as escaped:  # noqa: BLE001 (the test is about these)
                outcomes["escaped"] += 1
                unclean.append((path.name, f"{type(escaped).__name__}: {escaped}"))
            finally:
                session.rollback()

    print(
        f"\nconformance: {len(paths)} files, "
        + ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items()))
    )
    for reason, count in reasons.most_common():
        print(f"  {count:4d}  {reason}")
    assert unclean == []
