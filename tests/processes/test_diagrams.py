"""The committed diagrams: generated, drawable and within the engine's conventions."""

from __future__ import annotations

from itertools import combinations

import pytest
from lxml import etree

from processes.catalogue_data import BPMN_DIR
from processes.diagram_builder import FOLDERS, diagram_files, stale_files
from processes.drafting import DraftError, ProcessDraft
from processes.patterns import ROLES

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FILES = sorted(diagram_files())
NODES = (
    "startEvent", "endEvent", "userTask", "serviceTask", "scriptTask",
    "callActivity", "exclusiveGateway", "parallelGateway",
)  # fmt: skip
SECTION_5_FLOWS = {
    "birth_registration", "muslim_marriage", "civil_marriage", "isbat_nikah",
    "home_food_business", "building_approval", "building_fitness",
    "death_registration", "moving_residence", "vehicle_registration",
    "water_connection", "hajj_registration", "hajj_departure", "land_sale",
    "driving_licence",
}  # fmt: skip


def parse(path):
    return etree.parse(str(BPMN_DIR / path)).getroot()


def bounds(shape) -> tuple[float, float, float, float]:
    box = shape.find("dc:Bounds", NS)
    return tuple(float(box.get(name)) for name in ("x", "y", "width", "height"))


def test_the_committed_diagrams_are_what_the_builder_writes():
    assert stale_files() == {}


def test_every_file_in_bpmn_comes_from_a_draft():
    on_disk = {p.relative_to(BPMN_DIR) for p in BPMN_DIR.rglob("*.bpmn")}

    assert on_disk == set(FILES)


def test_the_section_5_flows_are_all_hand_modelled():
    flows = {draft.id for draft in FOLDERS["flows"]()}

    assert SECTION_5_FLOWS <= flows


@pytest.mark.parametrize("path", FILES, ids=str)
def test_every_element_is_drawn(path):
    root = parse(path)
    drawn = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    process = root.find("bpmn:process", NS)

    nodes = {n.get("id") for tag in NODES for n in process.iterfind(f"bpmn:{tag}", NS)}
    lanes = {lane.get("id") for lane in process.iterfind(".//bpmn:lane", NS)}
    flows = {flow.get("id") for flow in process.iterfind("bpmn:sequenceFlow", NS)}
    assert nodes | lanes <= drawn
    assert flows == edges


@pytest.mark.parametrize("path", FILES, ids=str)
def test_shapes_sit_in_their_lanes_without_overlapping(path):
    root = parse(path)
    shapes = {
        s.get("bpmnElement"): bounds(s)
        for s in root.iterfind(".//bpmndi:BPMNShape", NS)
    }
    lane_of = {
        ref.text: lane.get("id")
        for lane in root.iterfind(".//bpmn:lane", NS)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS)
    }

    for node, lane in lane_of.items():
        x, y, w, h = shapes[node]
        lx, ly, lw, lh = shapes[lane]
        assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, node

    nodes = [shapes[node] for node in lane_of] or [
        box for element, box in shapes.items() if not element.startswith("lane_")
    ]
    for (ax, ay, aw, ah), (bx, by, bw, bh) in combinations(nodes, 2):
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay


@pytest.mark.parametrize("path", FILES, ids=str)
def test_exclusive_gateways_that_branch_have_a_default_flow(path):
    process = parse(path).find("bpmn:process", NS)

    for gateway in process.iterfind("bpmn:exclusiveGateway", NS):
        outgoing = gateway.findall("bpmn:outgoing", NS)
        if len(outgoing) > 1:
            assert gateway.get("default") in {o.text for o in outgoing}, gateway.get(
                "id"
            )


@pytest.mark.parametrize("path", FILES, ids=str)
def test_lanes_are_agencies_in_flows_and_roles_in_patterns(path):
    process = parse(path).find("bpmn:process", NS)
    lanes = {lane.get("name") for lane in process.iterfind(".//bpmn:lane", NS)}

    if path.parts[0] == "shared":
        assert lanes == set()
    elif path.parts[0] == "patterns":
        assert lanes and lanes <= ROLES
    else:
        assert lanes and all(name.isupper() for name in lanes)


@pytest.mark.parametrize("path", FILES, ids=str)
def test_rejections_end_at_rejected_events_only_after_a_refusal(path):
    process = parse(path).find("bpmn:process", NS)
    flows = {f.get("targetRef"): f for f in process.iterfind("bpmn:sequenceFlow", NS)}

    for end in process.iterfind("bpmn:endEvent", NS):
        arriving = flows[end.get("id")]
        source = process.find(f"*[@id='{arriving.get('sourceRef')}']")
        if end.get("id").startswith("rejected"):
            assert etree.QName(source).localname == "exclusiveGateway"
            assert source.get("default") == arriving.get("id")


def test_a_draft_with_a_dangling_task_is_refused():
    draft = ProcessDraft("broken", "Broken", lanes=("issuer",))
    draft.start("received", "Received", "issuer")
    draft.user("verify", "Verify", "issuer")
    draft.link("received", "verify")

    with pytest.raises(DraftError, match="nothing leaves verify"):
        draft.check()
