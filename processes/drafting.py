"""A compact vocabulary for drafting the catalogue's BPMN processes.

A :class:`ProcessDraft` collects nodes and flows; :mod:`processes.diagram_xml`
turns it into BPMN with diagram interchange. Besides the BPMN elements it
offers the steps every flow of the Mall repeats (checking documents with a
return-to-applicant loop, a decision with a rejection end, a payment on the
record, issuing the document), so the data they read and write is named the
same way everywhere:

- ``documents_complete``: set by a document check; otherwise the file goes
  back to the applicant and the check runs again.
- a decision's flag (``approved``, ``review_passed``, ...): otherwise the
  application ends at an end event whose id starts with ``rejected``.
- ``amount_due_idr`` in, ``payment_settled`` out of the shared payment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

NodeKind = Literal[
    "start", "end", "user", "service", "script", "call", "exclusive", "parallel"
]

RETURN_TO_APPLICANT = "shared_return_to_applicant"
PAYMENT = "shared_payment"
ISSUE_DOCUMENT = "shared_issue_document"


@dataclass(frozen=True)
class Connector:
    """A service task's operator: what a worker is asked to do, with what.

    The worker completes the task with the connector's result, whose keys
    land in the task data as they are; no result variable wraps them.
    """

    name: str
    # parameter id -> (type name, expression over the task data)
    parameters: dict[str, tuple[str, str]]


@dataclass
class Node:
    id: str
    kind: NodeKind
    name: str
    lane: str | None
    documentation: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    script: str | None = None
    called: str | None = None
    connector: Connector | None = None
    default_flow: str | None = None


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str = ""


class DraftError(ValueError):
    """A draft refers to a node or lane that it does not declare."""


class ProcessDraft:
    """One executable process, built node by node and then checked."""

    def __init__(
        self,
        process_id: str,
        name: str,
        *,
        lanes: tuple[str, ...] = (),
        choices: dict[str, Any] | None = None,
        documentation: str = "",
    ):
        self.id = process_id
        self.name = name
        self.lanes = lanes
        self.choices = dict(choices or {})
        self.documentation = documentation
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []

    # BPMN elements

    def start(self, node_id: str, name: str, lane: str | None = None) -> str:
        return self._add(Node(node_id, "start", name, lane))

    def end(self, node_id: str, name: str, lane: str | None = None) -> str:
        return self._add(Node(node_id, "end", name, lane))

    def user(
        self,
        node_id: str,
        name: str,
        lane: str | None = None,
        *,
        records: str = "",
        sla: int | None = None,
        waits_on: str | None = None,
    ) -> str:
        properties = {}
        if sla is not None:
            properties["sla_working_days"] = str(sla)
        if waits_on:
            properties["waits_on"] = waits_on

        node = Node(node_id, "user", name, lane, records, properties)
        return self._add(node)

    def service(
        self, node_id: str, name: str, lane: str | None, connector: Connector
    ) -> str:
        return self._add(Node(node_id, "service", name, lane, connector=connector))

    def script(self, node_id: str, name: str, lane: str | None, script: str) -> str:
        return self._add(Node(node_id, "script", name, lane, script=script))

    def call(self, node_id: str, name: str, lane: str | None, called: str) -> str:
        return self._add(Node(node_id, "call", name, lane, called=called))

    def choice(self, node_id: str, name: str, lane: str | None = None) -> str:
        """Add an exclusive gateway; its first ``default=True`` link is the default."""
        return self._add(Node(node_id, "exclusive", name, lane))

    def parallel(self, node_id: str, lane: str | None = None) -> str:
        return self._add(Node(node_id, "parallel", "", lane))

    def link(
        self,
        source: str,
        target: str,
        *,
        when: str | None = None,
        default: bool = False,
        name: str = "",
    ) -> None:
        flow = Flow(f"flow_{source}_to_{target}", source, target, when, name)
        self.flows.append(flow)
        if default:
            self.nodes[source].default_flow = flow.id

    def chain(self, *node_ids: str) -> None:
        for source, target in pairwise(node_ids):
            self.link(source, target)

    # The Mall's recurring steps

    def check_documents(
        self,
        task_id: str,
        name: str,
        lane: str | None,
        *,
        then: str,
        sla: int | None = 1,
        records: str = "",
    ) -> str:
        """Add a document check that loops through the applicant until complete.

        Returns the id to link into; the check leads to ``then``.
        """
        again, done, back = f"{task_id}_again", f"{task_id}_done", f"{task_id}_return"
        note = "documents_complete: true when nothing is missing. " + records
        self.choice(again, "", lane)
        self.user(task_id, name, lane, records=note.strip(), sla=sla)
        self.choice(done, "Documents complete?", lane)
        self.call(back, "Return the file to the applicant", lane, RETURN_TO_APPLICANT)
        self.chain(again, task_id, done)
        self.link(done, then, when="documents_complete", name="complete")
        self.link(done, back, default=True, name="incomplete")
        self.link(back, again)
        return again

    def decide(
        self,
        task_id: str,
        name: str,
        lane: str | None,
        *,
        flag: str,
        then: str,
        rejected: str,
        rejected_name: str,
        sla: int | None = None,
        records: str = "",
    ) -> str:
        """Add a decision task whose ``flag`` lets the application go on.

        Anything but a true flag ends the application at ``rejected``.
        """
        gateway = f"{task_id}_outcome"
        note = f"{flag}: true to go on, false to refuse. {records}".strip()
        self.user(task_id, name, lane, records=note, sla=sla)
        self.choice(gateway, f"{flag.replace('_', ' ').capitalize()}?", lane)
        self.end(rejected, rejected_name, lane)
        self.link(task_id, gateway)
        self.link(gateway, then, when=flag, name="yes")
        self.link(gateway, rejected, default=True, name="no")
        return task_id

    def pay(self, node_id: str, lane: str | None, *, then: str, unpaid: str) -> str:
        """Call the shared payment for ``amount_due_idr``; unpaid ends at ``unpaid``."""
        settled = f"{node_id}_settled"
        self.call(node_id, "Take the payment", lane, PAYMENT)
        self.choice(settled, "Paid in full?", lane)
        self.end(unpaid, "Not paid", lane)
        self.link(node_id, settled)
        self.link(settled, then, when="payment_settled", name="paid")
        self.link(settled, unpaid, default=True, name="unpaid")
        return node_id

    def pay_catalogue_fee(
        self, gate_id: str, lane: str | None, *, then: str, unpaid: str
    ) -> str:
        """Charge the service's catalogue fee, if any, before going on to ``then``.

        A fixed fee or deposit is charged as listed; an assessed one at the
        ``assessed_fee_idr`` an officer recorded before this step.
        """
        amount, call = f"{gate_id}_amount", f"{gate_id}_payment"
        self.choice(gate_id, "Any fee?", lane)
        self.script(
            amount,
            "Work out the amount due",
            lane,
            'amount_due_idr = assessed_fee_idr if fee_kind == "assessed" else fee_idr',
        )
        self.link(gate_id, amount, when='fee_kind != "free"', name="fee")
        self.link(gate_id, then, default=True, name="free")
        self.link(amount, call)
        self.pay(call, lane, then=then, unpaid=unpaid)
        return gate_id

    def pay_assessed(
        self, gate_id: str, lane: str | None, *, then: str, unpaid: str
    ) -> str:
        """Charge the ``assessed_fee_idr`` recorded just before, whatever the fee.

        For flows that collect more than one payment (a tax, then a fee).
        """
        call = f"{gate_id}_payment"
        self.script(
            gate_id,
            "Work out the amount due",
            lane,
            "amount_due_idr = assessed_fee_idr",
        )
        self.link(gate_id, call)
        self.pay(call, lane, then=then, unpaid=unpaid)
        return gate_id

    def issue_document(self, node_id: str, name: str, lane: str | None) -> str:
        return self.call(node_id, name, lane, ISSUE_DOCUMENT)

    # Checks

    def check(self) -> None:
        """Raise DraftError unless the draft is connected and names what it declares."""
        for flow in self.flows:
            for end in (flow.source, flow.target):
                if end not in self.nodes:
                    raise DraftError(f"{self.id}: flow {flow.id} names unknown {end}")

        sources = {flow.source for flow in self.flows}
        targets = {flow.target for flow in self.flows}
        for node in self.nodes.values():
            if node.kind != "end" and node.id not in sources:
                raise DraftError(f"{self.id}: nothing leaves {node.id}")
            if node.kind != "start" and node.id not in targets:
                raise DraftError(f"{self.id}: nothing leads to {node.id}")
            if self.lanes and node.lane not in self.lanes:
                raise DraftError(f"{self.id}: {node.id} is in no declared lane")
            if not self.lanes and node.lane is not None:
                raise DraftError(f"{self.id}: {node.id} has a lane, the process none")

    def choice_properties(self) -> dict[str, str]:
        return {
            f"choice:{key}": json.dumps(value) for key, value in self.choices.items()
        }

    def _add(self, node: Node) -> str:
        if node.id in self.nodes:
            raise DraftError(f"{self.id}: {node.id} is declared twice")

        self.nodes[node.id] = node
        return node.id
