"""Place a draft's nodes left to right in lane rows, and route its flows.

A node's column is the length of the longest path reaching it once loops are
cut; nodes sharing a lane and a column stack downwards, the main path (the
flows with conditions, taken before defaults) first. Flows going back, the
return-to-applicant loops, run under their nodes. The result is meant to open
tidily in bpmn-js, not to be pretty: a modeler can move things afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from processes.drafting import Flow, ProcessDraft

SIZES = {
    "start": (36, 36),
    "end": (36, 36),
    "exclusive": (50, 50),
    "parallel": (50, 50),
}
TASK_SIZE = (100, 80)
GATEWAYS = ("exclusive", "parallel")
POOL_X = 100
POOL_Y = 60
POOL_BAND = 30
COLUMN = 150
ROW = 120
FIRST_CENTRE = POOL_X + POOL_BAND + 90
LOOP_DROP = 22
GATEWAY_TURN = 20


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass
class Layout:
    nodes: dict[str, Box]
    lanes: dict[str, Box]
    pool: Box
    edges: dict[str, list[tuple[float, float]]]


def lay_out(draft: ProcessDraft) -> Layout:
    order = _walk(draft)
    back = _back_flows(draft, order)
    column = _columns(draft, order, back)
    slot, depth = _slots(draft, order, column)
    lanes, pool = _lane_boxes(draft, depth, max(column.values()))
    nodes = {
        node_id: _node_box(draft, node_id, column[node_id], slot[node_id], lanes)
        for node_id in draft.nodes
    }
    gateways = {n.id for n in draft.nodes.values() if n.kind in GATEWAYS}
    edges = {
        flow.id: _route(flow, nodes, flow.id in back, flow.source in gateways)
        for flow in draft.flows
    }
    return Layout(nodes, lanes, pool, edges)


def _outgoing(draft: ProcessDraft) -> dict[str, list[Flow]]:
    """Return each node's flows, conditioned ones first and defaults last."""
    outgoing: dict[str, list[Flow]] = defaultdict(list)
    for flow in draft.flows:
        outgoing[flow.source].append(flow)

    for node_id, flows in outgoing.items():
        default = draft.nodes[node_id].default_flow
        flows.sort(key=lambda flow: flow.id == default)

    return outgoing


def _walk(draft: ProcessDraft) -> list[str]:
    """Return node ids depth first from the start events, main path first."""
    outgoing = _outgoing(draft)
    seen: list[str] = []
    starts = [n.id for n in draft.nodes.values() if n.kind == "start"]
    stack = list(reversed(starts))
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue

        seen.append(node_id)
        stack.extend(flow.target for flow in reversed(outgoing[node_id]))

    unreached = [node_id for node_id in draft.nodes if node_id not in seen]
    return seen + unreached


def _back_flows(draft: ProcessDraft, order: list[str]) -> set[str]:
    """Return the ids of flows closing a loop, found by a depth-first search."""
    outgoing = _outgoing(draft)
    back: set[str] = set()
    state: dict[str, str] = {}

    for root in order:
        if root in state:
            continue

        state[root] = "open"
        stack = [(root, iter(outgoing[root]))]
        while stack:
            node_id, flows = stack[-1]
            flow = next(flows, None)
            if flow is None:
                state[node_id] = "done"
                stack.pop()
            elif state.get(flow.target) == "open":
                back.add(flow.id)
            elif flow.target not in state:
                state[flow.target] = "open"
                stack.append((flow.target, iter(outgoing[flow.target])))

    return back


def _columns(draft: ProcessDraft, order: list[str], back: set[str]) -> dict[str, int]:
    incoming: dict[str, list[str]] = defaultdict(list)
    for flow in draft.flows:
        if flow.id not in back:
            incoming[flow.target].append(flow.source)

    column: dict[str, int] = {}

    def place(node_id: str) -> int:
        if node_id not in column:
            column[node_id] = 0
            sources = incoming[node_id]
            column[node_id] = max((place(s) + 1 for s in sources), default=0)
        return column[node_id]

    for node_id in order:
        place(node_id)

    return column


def _slots(
    draft: ProcessDraft, order: list[str], column: dict[str, int]
) -> tuple[dict[str, int], dict[str | None, int]]:
    taken: dict[tuple[str | None, int], int] = defaultdict(int)
    slot: dict[str, int] = {}
    for node_id in order:
        cell = (draft.nodes[node_id].lane, column[node_id])
        slot[node_id] = taken[cell]
        taken[cell] += 1

    depth: dict[str | None, int] = defaultdict(lambda: 1)
    for (lane, _column), count in taken.items():
        depth[lane] = max(depth[lane], count)

    return slot, depth


def _lane_boxes(
    draft: ProcessDraft, depth: dict[str | None, int], last_column: int
) -> tuple[dict[str, Box], Box]:
    width = FIRST_CENTRE - POOL_X + last_column * COLUMN + 110
    lanes: dict[str, Box] = {}
    y = POOL_Y
    for lane in draft.lanes:
        height = depth[lane] * ROW + 20
        lanes[lane] = Box(POOL_X + POOL_BAND, y, width - POOL_BAND, height)
        y += height

    if not draft.lanes:
        y += depth[None] * ROW + 20

    return lanes, Box(POOL_X, POOL_Y, width, y - POOL_Y)


def _node_box(
    draft: ProcessDraft, node_id: str, column: int, slot: int, lanes: dict[str, Box]
) -> Box:
    node = draft.nodes[node_id]
    width, height = SIZES.get(node.kind, TASK_SIZE)
    top = lanes[node.lane].y if node.lane else POOL_Y
    centre_x = FIRST_CENTRE + column * COLUMN
    centre_y = top + 10 + ROW / 2 + slot * ROW
    return Box(centre_x - width / 2, centre_y - height / 2, width, height)


def _route(
    flow: Flow, nodes: dict[str, Box], backwards: bool, from_gateway: bool
) -> list[tuple[float, float]]:
    source, target = nodes[flow.source], nodes[flow.target]
    (sx, sy), (tx, ty) = source.centre, target.centre
    if backwards:
        below = max(source.y + source.height, target.y + target.height) + LOOP_DROP
        return [
            (sx, source.y + source.height),
            (sx, below),
            (tx, below),
            (tx, target.y + target.height),
        ]

    left = target.x
    if sy == ty:
        return [(source.x + source.width, sy), (left, ty)]

    if from_gateway and left - (source.x + source.width) < COLUMN:
        # Gateways branch from their top or bottom corner, as modelers draw.
        edge_y = source.y if ty < sy else source.y + source.height
        return [(sx, edge_y), (sx, ty), (left, ty)]

    if from_gateway:
        # A branch skipping columns turns just past the gateway, clear of
        # whatever stands in the gateway's own column in another lane.
        turn = source.x + source.width + GATEWAY_TURN
        return [(source.x + source.width, sy), (turn, sy), (turn, ty), (left, ty)]

    middle = (source.x + source.width + left) / 2
    return [(source.x + source.width, sy), (middle, sy), (middle, ty), (left, ty)]
