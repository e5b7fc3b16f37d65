"""Hostile code in every place a diagram can execute: refused, or stopped unrun.

Restrictions the compiler can see (imports, names with underscores) refuse the
deploy with the element and line. What only fails when run (a missing builtin,
an endless loop, a power too large to build) puts the instance in error with
an incident, and the proof that nothing ran is a file the payload would have
written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.diagrams import DiagramFile, deploy
from engine.errors import DiagramInvalid
from engine.instances import InstanceService
from engine.models import AuditEvent, InstanceStatus

AGENCIES = {"DPMPTSP"}
STATIC_PAYLOADS = [
    "import os",
    "__import__('os')",
    "().__class__.__base__.__subclasses__()",
    "random._os",
]


def _script_site(payload: str) -> str:
    return f"""
    <bpmn:startEvent id="start" />
    <bpmn:scriptTask id="hostile"><bpmn:script>{payload}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="hostile" />
    <bpmn:sequenceFlow id="f2" sourceRef="hostile" targetRef="end" />"""


def _condition_site(payload: str) -> str:
    return f"""
    <bpmn:startEvent id="start" />
    <bpmn:exclusiveGateway id="gate" default="f_default" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gate" />
    <bpmn:sequenceFlow id="hostile" sourceRef="gate" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{payload}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_default" sourceRef="gate" targetRef="end" />"""


def _timer_site(payload: str) -> str:
    return f"""
    <bpmn:startEvent id="start" />
    <bpmn:intermediateCatchEvent id="hostile">
      <bpmn:timerEventDefinition id="timer">
        <bpmn:timeDuration>{payload}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="hostile" />
    <bpmn:sequenceFlow id="f2" sourceRef="hostile" targetRef="end" />"""


def _hook_site(hook: str):
    def site(payload: str) -> str:
        return f"""
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane" name="DPMPTSP"><bpmn:flowNodeRef>hostile</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="hostile">
      <bpmn:extensionElements>
        <spiffworkflow:{hook}>{payload}</spiffworkflow:{hook}>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="hostile" />
    <bpmn:sequenceFlow id="f2" sourceRef="hostile" targetRef="end" />"""

    return site


SITES = {
    "script": _script_site,
    "condition": _condition_site,
    "timer": _timer_site,
    "preScript": _hook_site("preScript"),
    "postScript": _hook_site("postScript"),
}
EXPRESSION_SITES = {"condition", "timer"}


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("payload", STATIC_PAYLOADS)
def test_static_escapes_are_refused_at_deploy(
    db_session, process_xml, line_of, site, payload
):
    if site in EXPRESSION_SITES and payload.startswith("import"):
        payload = "import os"  # not even an expression: refused all the same
    content = process_xml(SITES[site](_xml_escape(payload)))

    with pytest.raises(DiagramInvalid) as refused:
        deploy(
            db_session,
            [DiagramFile("hostile.bpmn", content)],
            agencies=AGENCIES,
            actor="analyst",
        )

    [problem] = refused.value.problems
    assert problem.file == "hostile.bpmn"
    # A timer is located at its event definition, which modellers give an id.
    assert problem.element_id == ("timer" if site == "timer" else "hostile")
    assert problem.line == line_of(content, _xml_escape(payload))
    assert "not allowed" in problem.message


def test_refusal_points_at_the_line_inside_a_long_script(
    db_session, process_xml, line_of
):
    script = "a = 1\nb = 2\nimport os\nc = 3"
    content = process_xml(_script_site(script))

    with pytest.raises(DiagramInvalid) as refused:
        deploy(
            db_session,
            [DiagramFile("hostile.bpmn", content)],
            agencies=AGENCIES,
            actor="analyst",
        )

    [problem] = refused.value.problems
    assert problem.line == line_of(content, "import os")


def _runtime_payloads(marker) -> dict[str, dict[str, str]]:
    """Payloads that compile but must not run, by kind, for scripts and expressions."""
    path = repr(str(marker))
    return {
        "open": {
            "script": f"open({path}, 'w').write('ran')",
            "expression": f"open({path}, 'w').write('ran') > 0",
        },
        "endless": {
            "script": "while True:\n    pass",
            "expression": "sum(sum(range(100000)) for i in range(100000)) > 0",
        },
        "huge_power": {
            "script": "x = 10**10**8",
            "expression": "10**10**8 > 0",
        },
    }


def _start(session, content: bytes):
    deploy(
        session,
        [DiagramFile("hostile.bpmn", content)],
        agencies=AGENCIES,
        actor="analyst",
    )
    session.commit()
    service = InstanceService(session)
    instance = service.start("p", {}, "resident")
    session.commit()
    if instance.status == InstanceStatus.RUNNING and service.open_tasks(instance.id):
        # The post-script runs when the task is completed.
        instance = service.complete(
            service.open_tasks(instance.id)[0].id, {}, "officer"
        )
    return service, instance


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("kind", ["open", "endless", "huge_power"])
def test_runtime_failures_become_incidents_and_nothing_runs(
    db_session, process_xml, tmp_path, site, kind
):
    marker = tmp_path / "payload-ran"
    shape = "expression" if site in EXPRESSION_SITES else "script"
    payload = _runtime_payloads(marker)[kind][shape]
    content = process_xml(SITES[site](_xml_escape(payload)))

    service, instance = _start(db_session, content)

    assert not marker.exists()
    instance = service.get(instance.id)
    assert instance.status == InstanceStatus.ERROR
    # A failing condition is blamed on the gateway that evaluates it.
    assert instance.error_element_id == ("gate" if site == "condition" else "hostile")
    assert instance.error_line is not None
    assert instance.error_message
    incidents = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.chain == f"instance:{instance.id}",
            AuditEvent.action == "incident",
        )
    )
    assert [event.detail["element_id"] for event in incidents] == [
        instance.error_element_id
    ]
