"""Deploying diagrams: versions, content hashes and refusals that name every problem."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.diagrams import DiagramFile, deploy, is_iso8601
from engine.errors import DiagramInvalid
from engine.models import AuditEvent, ProcessVersion
from engine.safe_xml import DEFAULT_LIMITS

AGENCIES = {"DPMPTSP", "DLH"}


def _rows(session) -> tuple[int, int]:
    versions = session.scalar(select(func.count()).select_from(ProcessVersion))
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    return versions, events


def _refused(session, name: str, content: bytes) -> list:
    before = _rows(session)
    with pytest.raises(DiagramInvalid) as refused:
        deploy(
            session, [DiagramFile(name, content)], agencies=AGENCIES, actor="analyst"
        )
    session.rollback()
    assert _rows(session) == before, "a refused deploy stored something"
    for problem in refused.value.problems:
        assert problem.file == name
        assert problem.message
        assert "Traceback" not in problem.message
    return refused.value.problems


def test_reference_diagram_deploys_once_per_content(
    db_session, deploy_permit, reference_content
):
    first = deploy_permit()
    again = deploy_permit()

    assert again.id == first.id
    assert (first.process_id, first.version) == ("permit", 1)
    assert len(first.content_hash) == 64
    assert first.element_lines["review_a"] > 1
    assert first.deployed_by == "analyst"

    changed = reference_content.replace(b"Issue permit", b"Issue the permit")
    second = deploy_permit(changed)

    assert second.version == 2
    assert second.content_hash != first.content_hash
    stored = db_session.get(ProcessVersion, second.id)
    assert stored.content_hash == second.content_hash
    assert "Issue the permit" in stored.bpmn_xml
    assert db_session.scalar(select(func.count()).select_from(ProcessVersion)) == 2


def test_every_problem_is_reported_with_file_element_and_line(
    db_session, process_xml, line_of
):
    content = process_xml("""
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_ok" name="DPMPTSP"><bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_bad" name="NOT_AN_AGENCY"><bpmn:flowNodeRef>work</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="work" />
    <bpmn:complexGateway id="complex" />
    <bpmn:exclusiveGateway id="choose" default="to_end" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="to_nowhere" sourceRef="work" targetRef="ghost" />
    <bpmn:sequenceFlow id="to_choose" sourceRef="work" targetRef="choose" />
    <bpmn:sequenceFlow id="to_end" sourceRef="choose" targetRef="end" />
    <bpmn:sequenceFlow id="bad_condition" sourceRef="choose" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">amount &gt;</bpmn:conditionExpression>
    </bpmn:sequenceFlow>""")

    problems = _refused(db_session, "broken.bpmn", content)

    found = {(p.element_id, p.line) for p in problems}
    assert ("lane_bad", line_of(content, 'id="lane_bad"')) in found
    assert (None, line_of(content, "<bpmn:sequenceFlow sourceRef")) in found
    assert ("to_nowhere", line_of(content, 'id="to_nowhere"')) in found
    assert ("complex", line_of(content, 'id="complex"')) in found
    assert ("bad_condition", line_of(content, "<bpmn:conditionExpression")) in found
    messages = " ".join(p.message for p in problems)
    assert "NOT_AN_AGENCY" in messages and "complexGateway" in messages
    assert "ghost" in messages


@pytest.mark.parametrize("timer", ["PT2H", "R3/PT10M", "2026-12-01T10:00:00+07:00"])
def test_iso_8601_timer_literals_are_accepted(db_session, process_xml, timer):
    tag = (
        "timeDate"
        if timer.startswith("2026")
        else ("timeCycle" if timer.startswith("R") else "timeDuration")
    )
    content = process_xml(f"""
    <bpmn:startEvent id="start" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition id="timer"><bpmn:{tag}>{timer}</bpmn:{tag}></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />""")

    assert is_iso8601(timer)
    versions = deploy(
        db_session,
        [DiagramFile("timer.bpmn", content)],
        agencies=AGENCIES,
        actor="analyst",
    )

    assert [v.process_id for v in versions] == ["p"]


def test_malformed_xml_reports_the_parser_line(db_session, process_xml):
    content = process_xml('<bpmn:startEvent id="start">\n<bpmn:endEvent id="end" />')

    [problem] = _refused(db_session, "malformed.bpmn", content)

    assert problem.line is not None and problem.line >= 8
    assert problem.message.startswith("malformed XML")


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE definitions [ <!ENTITY secret SYSTEM "{url}"> ]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&secret;" isExecutable="true" />
</bpmn:definitions>
"""


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(ENTITY_BOMB, id="entity-bomb"),
        pytest.param(
            EXTERNAL_ENTITY.format(url="file:///etc/passwd").encode(), id="file"
        ),
        pytest.param(
            EXTERNAL_ENTITY.format(url="http://127.0.0.1:9/x").encode(), id="http"
        ),
    ],
)
def test_document_type_declarations_are_refused(db_session, content):
    [problem] = _refused(db_session, "hostile.bpmn", content)

    assert problem.line is not None
    assert "root:" not in problem.message
    assert "document type" in problem.message or "entity" in problem.message.lower()


def test_too_deep_nesting_is_refused(db_session, process_xml):
    depth = DEFAULT_LIMITS.max_depth + 5
    nested = "<bpmn:extensionElements>" * depth + "</bpmn:extensionElements>" * depth
    content = process_xml(f'<bpmn:startEvent id="start">{nested}</bpmn:startEvent>')

    [problem] = _refused(db_session, "deep.bpmn", content)

    assert "deeper" in problem.message
    assert problem.line is not None


def test_oversize_file_is_refused_before_parsing(db_session, process_xml):
    padding = "<!--" + "x" * DEFAULT_LIMITS.max_bytes + "-->"
    content = process_xml(padding)

    [problem] = _refused(db_session, "huge.bpmn", content)

    assert "limit" in problem.message
