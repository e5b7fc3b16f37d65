"""Fixtures of the engine tests: diagrams, agencies and a service per session."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from engine.diagrams import DiagramFile, deploy
from engine.instances import InstanceService
from tests.conftest import SHARED

DIAGRAMS = Path(__file__).parent / "diagrams"
REFERENCE_PERMIT = SHARED / "bench" / "reference-permit.bpmn"
AGENCIES_CSV = SHARED / "reference" / "agencies.csv"
PERMIT_AGENCIES = {"DPMPTSP", "DPUCKPP", "DLH"}

PROCESS_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs_{process_id}" targetNamespace="http://terpadu.test">
  <bpmn:process id="{process_id}" isExecutable="true">
{body}
  </bpmn:process>
</bpmn:definitions>
"""


def _process_xml(body: str, process_id: str = "p") -> bytes:
    return PROCESS_TEMPLATE.format(process_id=process_id, body=body).encode()


def _line_of(content: bytes, needle: str) -> int:
    text = content.decode()
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture(scope="session")
def process_xml():
    """Wrap flow elements in a one-process diagram: ``process_xml(body, id)``."""
    return _process_xml


@pytest.fixture(scope="session")
def line_of():
    """The 1-based line of the first occurrence of a string in some content."""
    return _line_of


@pytest.fixture(scope="session")
def all_agencies() -> set[str]:
    with AGENCIES_CSV.open(newline="") as handle:
        return {row["code"] for row in csv.DictReader(handle)}


@pytest.fixture(scope="session")
def reference_content() -> bytes:
    return REFERENCE_PERMIT.read_bytes()


@pytest.fixture
def deploy_permit(db_session, reference_content):
    """Deploy the reference permit diagram and commit; return its version."""

    def run(content: bytes = reference_content):
        versions = deploy(
            db_session,
            [DiagramFile("reference-permit.bpmn", content)],
            agencies=PERMIT_AGENCIES,
            actor="analyst",
        )
        db_session.commit()
        return versions[0]

    return run


@pytest.fixture
def service(db_session) -> InstanceService:
    return InstanceService(db_session)


@pytest.fixture(scope="session")
def diagram_file():
    """Read a fixture diagram of ``tests/engine/diagrams`` as a DiagramFile."""
    return lambda name: DiagramFile(name, (DIAGRAMS / name).read_bytes())
