"""Raw SpiffWorkflow, the way a naive server would drive it.

Each call restores the workflow from the full JSON of the library's own
serializer (spec included, ``SPIFF_CONFIG``, the default script engine), does
its one thing, runs to the next wait and saves the JSON again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

DataFor = Callable[[str], dict[str, Any]]


class RawLibrary:
    """One process of one diagram, run with save and load around every call."""

    def __init__(
        self,
        bpmn: bytes,
        process_id: str,
        start_data: dict[str, Any],
        data_for: DataFor,
    ):
        parser = SpiffBpmnParser()
        parser.add_bpmn_xml(etree.fromstring(bpmn), "bench.bpmn")
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(
            BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        )
        self.start_data = start_data
        self.data_for = data_for

    def start(self) -> tuple[str, list[tuple[str, str]]]:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        workflow.data.update(self.start_data)
        workflow.task_tree.data.update(self.start_data)
        return self._run_and_save(workflow)

    def complete(self, saved: str, task_id: str) -> tuple[str, list[tuple[str, str]]]:
        workflow = self.serializer.deserialize_json(saved)
        task = workflow.get_task_from_id(task_id)
        task.data.update(self.data_for(task.task_spec.bpmn_id))
        task.run()
        return self._run_and_save(workflow)

    def _run_and_save(self, workflow) -> tuple[str, list[tuple[str, str]]]:
        workflow.do_engine_steps()
        ready = [
            (t.id, t.task_spec.bpmn_id)
            for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        ]
        return self.serializer.serialize_json(workflow), ready

    def application(self, on_call: Callable[[str], None] | None = None) -> int:
        """Run one instance from start to end; return the number of calls made."""
        saved, ready = self.start()
        calls = 1
        if on_call:
            on_call(saved)
        while ready:
            saved, ready = self.complete(saved, ready[0][0])
            calls += 1
            if on_call:
                on_call(saved)
        return calls
