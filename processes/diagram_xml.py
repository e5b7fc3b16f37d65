"""Write a process draft as BPMN 2.0 XML with diagram interchange.

A process with lanes sits in a one-participant collaboration, since modelers
draw lanes only inside a pool; a process without lanes (the shared call
activities) is drawn on its own plane.
"""

from __future__ import annotations

from lxml import etree

from processes.diagram_layout import Box, Layout, lay_out
from processes.drafting import Node, ProcessDraft

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NAMESPACES = {
    "bpmn": BPMN,
    "bpmndi": BPMNDI,
    "dc": DC,
    "di": DI,
    "spiffworkflow": SPIFF,
    "xsi": XSI,
}
TARGET_NAMESPACE = "https://terpadu.banyuwangikab.go.id/bpmn"

ELEMENTS = {
    "start": "startEvent",
    "end": "endEvent",
    "user": "userTask",
    "service": "serviceTask",
    "script": "scriptTask",
    "call": "callActivity",
    "exclusive": "exclusiveGateway",
    "parallel": "parallelGateway",
}


def render(draft: ProcessDraft) -> bytes:
    """Return the draft as a complete .bpmn document."""
    draft.check()
    layout = lay_out(draft)
    root = etree.Element(_q(BPMN, "definitions"), nsmap=NAMESPACES)
    root.set("id", f"definitions_{draft.id}")
    root.set("targetNamespace", TARGET_NAMESPACE)

    if draft.lanes:
        _collaboration(root, draft)
    _process(root, draft)
    _diagram(root, draft, layout)

    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _sub(parent: etree._Element, namespace: str, tag: str, **attributes: str):
    return etree.SubElement(parent, _q(namespace, tag), attributes)


def _collaboration(root: etree._Element, draft: ProcessDraft) -> None:
    collaboration = _sub(root, BPMN, "collaboration", id=f"collaboration_{draft.id}")
    _sub(
        collaboration,
        BPMN,
        "participant",
        id=f"participant_{draft.id}",
        name=draft.name,
        processRef=draft.id,
    )


def _process(root: etree._Element, draft: ProcessDraft) -> None:
    process = _sub(
        root, BPMN, "process", id=draft.id, name=draft.name, isExecutable="true"
    )
    if draft.documentation:
        _sub(process, BPMN, "documentation").text = draft.documentation
    _properties(process, draft.choice_properties())

    if draft.lanes:
        lane_set = _sub(process, BPMN, "laneSet", id=f"lanes_{draft.id}")
        for lane in draft.lanes:
            element = _sub(lane_set, BPMN, "lane", id=_lane_id(lane), name=lane)
            for node in draft.nodes.values():
                if node.lane == lane:
                    _sub(element, BPMN, "flowNodeRef").text = node.id

    for node in draft.nodes.values():
        _node(process, draft, node)

    for flow in draft.flows:
        element = _sub(
            process,
            BPMN,
            "sequenceFlow",
            id=flow.id,
            sourceRef=flow.source,
            targetRef=flow.target,
        )
        if flow.name:
            element.set("name", flow.name)
        if flow.condition:
            condition = _sub(element, BPMN, "conditionExpression")
            condition.set(_q(XSI, "type"), "bpmn:tFormalExpression")
            condition.text = flow.condition


def _node(process: etree._Element, draft: ProcessDraft, node: Node) -> None:
    element = _sub(process, BPMN, ELEMENTS[node.kind], id=node.id)
    if node.name:
        element.set("name", node.name)
    if node.called:
        element.set("calledElement", node.called)
    if node.default_flow:
        element.set("default", node.default_flow)

    if node.documentation:
        _sub(element, BPMN, "documentation").text = node.documentation
    _properties(element, node.properties)
    if node.connector:
        _operator(element, node)

    for flow in draft.flows:
        if flow.target == node.id:
            _sub(element, BPMN, "incoming").text = flow.id
    for flow in draft.flows:
        if flow.source == node.id:
            _sub(element, BPMN, "outgoing").text = flow.id

    if node.script is not None:
        _sub(element, BPMN, "script").text = node.script


def _properties(element: etree._Element, properties: dict[str, str]) -> None:
    if not properties:
        return

    extensions = _sub(element, BPMN, "extensionElements")
    holder = _sub(extensions, SPIFF, "properties")
    for name, value in properties.items():
        _sub(holder, SPIFF, "property", name=name, value=value)


def _operator(element: etree._Element, node: Node) -> None:
    connector = node.connector
    extensions = element.find(_q(BPMN, "extensionElements"))
    if extensions is None:
        extensions = _sub(element, BPMN, "extensionElements")

    operator = _sub(extensions, SPIFF, "serviceTaskOperator", id=connector.name)
    parameters = _sub(operator, SPIFF, "parameters")
    for name, (kind, expression) in connector.parameters.items():
        _sub(parameters, SPIFF, "parameter", id=name, type=kind, value=expression)


def _diagram(root: etree._Element, draft: ProcessDraft, layout: Layout) -> None:
    diagram = _sub(root, BPMNDI, "BPMNDiagram", id=f"diagram_{draft.id}")
    plane_of = f"collaboration_{draft.id}" if draft.lanes else draft.id
    plane = _sub(
        diagram, BPMNDI, "BPMNPlane", id=f"plane_{draft.id}", bpmnElement=plane_of
    )

    if draft.lanes:
        _shape(plane, f"participant_{draft.id}", layout.pool, horizontal=True)
        for lane, box in layout.lanes.items():
            _shape(plane, _lane_id(lane), box, horizontal=True)

    for node_id, box in layout.nodes.items():
        _shape(plane, node_id, box)

    for flow_id, points in layout.edges.items():
        edge = _sub(plane, BPMNDI, "BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
        for x, y in points:
            _sub(edge, DI, "waypoint", x=_number(x), y=_number(y))


def _shape(
    plane: etree._Element, element_id: str, box: Box, *, horizontal: bool = False
) -> None:
    shape = _sub(
        plane, BPMNDI, "BPMNShape", id=f"{element_id}_di", bpmnElement=element_id
    )
    if horizontal:
        shape.set("isHorizontal", "true")
    _sub(
        shape,
        DC,
        "Bounds",
        x=_number(box.x),
        y=_number(box.y),
        width=_number(box.width),
        height=_number(box.height),
    )


def _lane_id(lane: str) -> str:
    return f"lane_{lane}"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"
