"""Save and restore running workflows, storing a reference to the spec instead of it.

SpiffWorkflow's serializer embeds the whole process spec in every saved
workflow; that is half the stored bytes and a large share of the restore time.
Here the spec is left out: the instance row points at its process version,
whose parsed spec is cached, and the saved JSON is compressed.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .sandbox import RestrictedScriptEngine

SERIALIZER_VERSION = "terpadu-1"


class _SpecByReferenceConverter(BpmnWorkflowConverter):
    """Convert the workflow without its specs; restore it onto cached specs."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpecByReferenceConverter
    return BpmnWorkflowSerializer.configure(config)


_SERIALIZER = BpmnWorkflowSerializer(_registry(), version=SERIALIZER_VERSION)
SCRIPT_ENGINE = RestrictedScriptEngine()

# SpiffWorkflow logs every task state change at INFO; formatting those records
# costs more than a step of most workflows. Quiet by default, unless the
# application has set a level on these loggers itself.
for _name in ("spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)


def dump_workflow(workflow: BpmnWorkflow) -> bytes:
    """Return the workflow's state as compressed JSON, without its spec."""
    text = _SERIALIZER.serialize_json(workflow)
    return zlib.compress(text.encode(), 1)


def load_workflow(
    blob: bytes, spec: Any, subprocess_specs: dict[str, Any]
) -> BpmnWorkflow:
    """Rebuild a workflow saved by :func:`dump_workflow` on the given spec."""
    dct = json.loads(zlib.decompress(blob))
    _SERIALIZER.migrate(dct)
    workflow = _SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def new_workflow(spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)
