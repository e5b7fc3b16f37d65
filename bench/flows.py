"""Diagrams the benchmark generates: straight lines of user tasks."""

from __future__ import annotations

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_{pid}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{pid}" name="Sequential flow of {n} steps" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_counter" name="DPMPTSP">
{refs}
      </bpmn:lane>
    </bpmn:laneSet>
"""


def sequential_flow(steps: int) -> tuple[str, bytes]:
    """Return the process id and BPMN text of a flow of ``steps`` user tasks in a row."""
    pid = f"sequence_{steps}"
    nodes = ["start"] + [f"step_{i}" for i in range(1, steps + 1)] + ["end"]
    refs = "\n".join(f"        <bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    parts = [HEADER.format(pid=pid, n=steps, refs=refs)]

    parts.append(
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing>'
        "</bpmn:startEvent>"
    )
    for i in range(1, steps + 1):
        parts.append(
            f'    <bpmn:userTask id="step_{i}" name="Step {i}">'
            f"<bpmn:incoming>f{i - 1}</bpmn:incoming>"
            f"<bpmn:outgoing>f{i}</bpmn:outgoing></bpmn:userTask>"
        )
    parts.append(
        f'    <bpmn:endEvent id="end"><bpmn:incoming>f{steps}</bpmn:incoming>'
        "</bpmn:endEvent>"
    )
    for i in range(steps + 1):
        parts.append(
            f'    <bpmn:sequenceFlow id="f{i}" sourceRef="{nodes[i]}" '
            f'targetRef="{nodes[i + 1]}" />'
        )
    parts.append("  </bpmn:process>\n</bpmn:definitions>\n")

    return pid, "\n".join(parts).encode()
