"""Start, advance and steer process instances, keeping the task table in step.

:class:`InstanceService` is the one way state changes: each call loads the
instance, acts on the SpiffWorkflow object, saves it, projects its waiting
human and service tasks into the ``tasks`` table, appends to the audit chain
and tells listeners, all in one transaction. Two requests that change the same
instance at once are serialised by an optimistic lock on the instance row: the
loser rolls back, reloads and tries again, so both take effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only
from sqlalchemy.orm.exc import StaleDataError

from . import audit, rows
from .db import utcnow
from .diagrams import SPECS, SpecLibrary
from .errors import (
    Conflict,
    InvalidLaneBinding,
    MigrationRefused,
    NotFound,
    StaleInstance,
)
from .models import (
    OPEN_TASK_STATES,
    Instance,
    InstanceStatus,
    ProcessVersion,
    Task,
    TaskKind,
    TaskState,
)
from .state import dump_workflow, load_workflow, new_workflow

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 50
# What starting an instance needs of its process version when the spec is cached.
_RUN_COLUMNS = ("id", "process_id", "version", "content_hash", "file_name", "roles")


@dataclass
class InstanceChange:
    """What one call changed, handed to listeners inside the transaction."""

    instance: Instance
    actor: str
    created: list[Task] = field(default_factory=list)
    closed: list[Task] = field(default_factory=list)
    finished: bool = False
    # True for the change that started the instance: its first.
    started: bool = False


Listener = Callable[[Session, InstanceChange], None]


class DeadlinePolicy(Protocol):
    def task_deadline(self, instance: Instance, task: Task) -> datetime | None: ...


class NoDeadlines:
    def task_deadline(self, instance: Instance, task: Task) -> datetime | None:
        return None


@dataclass
class _Loaded:
    instance: Instance
    workflow: BpmnWorkflow


class InstanceService:
    """Every operation on process instances; one instance per database session."""

    def __init__(
        self,
        session: Session,
        *,
        specs: SpecLibrary = SPECS,
        deadlines: DeadlinePolicy | None = None,
        listeners: Iterable[Listener] = (),
        clock: Callable[[], datetime] = utcnow,
    ):
        self.session = session
        self.specs = specs
        self.deadlines = deadlines or NoDeadlines()
        self.listeners = list(listeners)
        self.clock = clock
        # Audit rows of the current call, written in one statement before the
        # call's flush (see _write).
        self._pending_audit: list[dict[str, Any]] = []

    # -- starting ------------------------------------------------------------

    def start(
        self,
        process_id: str,
        data: dict[str, Any],
        actor: str,
        *,
        version: int | None = None,
        lane_bindings: dict[str, str] | None = None,
        agencies: set[str] | None = None,
    ) -> Instance:
        """Start an instance and run it to its first wait. Flushes; caller commits."""
        self._pending_audit.clear()
        process_version = self._version(process_id, version)
        bindings = _checked_bindings(process_version, lane_bindings or {}, agencies)
        spec, subprocess_specs = self.specs.specs_for(self.session, process_version)
        workflow = new_workflow(spec, subprocess_specs)
        workflow.data.update(data)
        workflow.task_tree.data.update(data)

        instance = Instance(
            process_version=process_version,
            lane_bindings=bindings,
            started_by=actor,
            started_at=self.clock(),
            state=b"",
        )
        self.session.add(instance)
        self.session.flush()
        self._audit(
            instance,
            actor,
            "instance_started",
            {"process_id": process_id, "version": process_version.version},
        )
        change = InstanceChange(instance, actor, started=True)
        self._advance(_Loaded(instance, workflow), change, before=set())
        # The caller goes on in this transaction and commits it.
        self._write()
        logger.info(
            "instance started",
            extra={"instance_id": instance.id, "process_id": process_id},
        )
        return instance

    def _version(self, process_id: str, version: int | None) -> ProcessVersion:
        wanted = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        if version is None:
            wanted = wanted.order_by(ProcessVersion.version.desc()).limit(1)
        else:
            wanted = wanted.where(ProcessVersion.version == version)
        # The diagram's text and line table load only if the spec is not
        # cached or an incident needs a line.
        found = self.session.scalar(
            wanted.options(
                load_only(*(getattr(ProcessVersion, c) for c in _RUN_COLUMNS))
            )
        )
        if found is None:
            raise NotFound(
                f"process {process_id!r} version {version or 'latest'} is not deployed"
            )
        return found

    # -- reading -------------------------------------------------------------

    def get(self, instance_id: int) -> Instance:
        instance = self.session.get(Instance, instance_id)
        if instance is None:
            raise NotFound(f"instance {instance_id} does not exist")
        return instance

    def task(self, task_id: str) -> Task:
        task = self.session.get(Task, str(task_id))
        if task is None:
            raise NotFound(f"task {task_id} does not exist")
        return task

    def open_tasks(self, instance_id: int) -> list[Task]:
        return list(
            self.session.scalars(
                select(Task)
                .where(
                    Task.instance_id == instance_id, Task.state.in_(OPEN_TASK_STATES)
                )
                .order_by(Task.created_at, Task.id)
            )
        )

    def data(self, instance_id: int) -> dict[str, Any]:
        """The instance's current process data (the data of its latest task)."""
        loaded = self._load(self.get(instance_id))
        workflow = loaded.workflow
        if workflow.last_task is not None:
            return dict(workflow.last_task.data)
        return dict(workflow.data)

    # -- changing ------------------------------------------------------------

    def complete(self, task_id: str, data: dict[str, Any], actor: str) -> Instance:
        """Complete a ready or claimed task with ``data`` and run to the next wait.

        A task claimed by someone else, or no longer open, is refused with
        :class:`Conflict`. Commits.
        """

        def attempt() -> Instance:
            task, instance = self._open_task_and_instance(task_id)
            if task.state == TaskState.CLAIMED and task.claimed_by != actor:
                raise Conflict(f"task {task_id} is claimed by {task.claimed_by}")

            loaded = self._load(instance)
            spiff_task = loaded.workflow.get_task_from_id(UUID(task.id))
            before = _waiting_ids(loaded.workflow)
            try:
                _finish_spiff_task(spiff_task, data)
            except WorkflowException as failure:
                # A post-script failed: the task stays open until a retry.
                return self._fail_in_task(loaded, failure, actor)

            task.state, task.completed_at, task.completed_by = (
                TaskState.COMPLETED.value,
                self.clock(),
                actor,
            )
            change = InstanceChange(loaded.instance, actor, closed=[task])
            self._audit(
                loaded.instance,
                actor,
                "task_completed",
                {"task_id": task.id, "element_id": task.element_id},
            )
            self._advance(loaded, change, before=before - {task.id})
            return loaded.instance

        return self._in_transaction(attempt)

    def claim(self, task_id: str, user: str) -> Task:
        def attempt() -> Task:
            task = self._open_task(task_id)
            if task.state == TaskState.CLAIMED and task.claimed_by != user:
                raise Conflict(f"task {task_id} is claimed by {task.claimed_by}")

            task.state, task.claimed_by = TaskState.CLAIMED.value, user
            self._touch(task, user, "task_claimed")
            return task

        return self._in_transaction(attempt)

    def release(self, task_id: str, user: str) -> Task:
        def attempt() -> Task:
            task = self._open_task(task_id)
            if task.claimed_by != user:
                raise Conflict(f"task {task_id} is not claimed by {user}")

            task.state, task.claimed_by = TaskState.READY.value, None
            self._touch(task, user, "task_released")
            return task

        return self._in_transaction(attempt)

    def assign(self, task_id: str, user: str, actor: str) -> Task:
        """Give an open task to ``user``, whoever held it (a supervisor's act)."""

        def attempt() -> Task:
            task = self._open_task(task_id)
            task.state, task.claimed_by = TaskState.CLAIMED.value, user
            self._touch(task, actor, "task_assigned", {"assignee": user})
            return task

        return self._in_transaction(attempt)

    def cancel(self, instance_id: int, actor: str, reason: str = "") -> Instance:
        def attempt() -> Instance:
            instance = self.get(instance_id)
            if not instance.is_open:
                raise Conflict(f"instance {instance_id} is already {instance.status}")

            loaded = self._load(instance)
            loaded.workflow.cancel()
            change = InstanceChange(instance, actor, finished=True)
            change.closed = self._close_open_tasks(instance.id, TaskState.CANCELLED)
            instance.status, instance.ended_at, instance.due_at = (
                InstanceStatus.CANCELLED.value,
                self.clock(),
                None,
            )
            instance.state = dump_workflow(loaded.workflow)
            self._audit(instance, actor, "instance_cancelled", {"reason": reason})
            self._notify(change)
            return instance

        return self._in_transaction(attempt)

    def retry(
        self, instance_id: int, actor: str, data: dict[str, Any] | None = None
    ) -> Instance:
        """Run the failed step of an instance in error again.

        ``data`` is merged into the failed task first, for when the cause was
        missing or wrong data: the step sees the fix when it runs again.
        """

        def attempt() -> Instance:
            instance = self.get(instance_id)
            if instance.status != InstanceStatus.ERROR:
                raise Conflict(
                    f"instance {instance_id} is {instance.status}, not in error"
                )

            loaded = self._load(instance)
            for failed in loaded.workflow.get_tasks(state=SpiffState.ERROR):
                failed.data.update(data or {})
                failed._set_state(SpiffState.READY)
            instance.status = InstanceStatus.RUNNING.value
            instance.error_message = instance.error_element_id = instance.error_line = (
                None
            )
            self._audit(
                instance, actor, "instance_retried", {"data_keys": sorted(data or {})}
            )
            change = InstanceChange(instance, actor)
            self._advance(loaded, change, before=_waiting_ids(loaded.workflow))
            return instance

        return self._in_transaction(attempt)

    def fire_timers(self, instance_id: int, actor: str = "timer") -> Instance:
        """Fire whatever timers of the instance are due and run on from them."""

        def attempt() -> Instance:
            instance = self.get(instance_id)
            if instance.status != InstanceStatus.RUNNING:
                return instance

            loaded = self._load(instance)
            before = _waiting_ids(loaded.workflow)
            loaded.workflow.refresh_timers()
            change = InstanceChange(instance, actor)
            self._advance(loaded, change, before=before)
            return instance

        return self._in_transaction(attempt)

    def migrate(self, instance_id: int, to_version: int, actor: str) -> Instance:
        """Move a running instance onto another version of its process.

        Refused with :class:`MigrationRefused` when a task the instance waits
        on has no counterpart in the target version.
        """

        def attempt() -> Instance:
            instance = self.get(instance_id)
            if not instance.is_open:
                raise MigrationRefused(f"instance {instance_id} is {instance.status}")

            target = self._version(instance.process_version.process_id, to_version)
            loaded = self._load(instance)
            self._migrate_workflow(loaded, target)
            self._audit(
                instance,
                actor,
                "instance_migrated",
                {
                    "from_version": instance.process_version.version,
                    "to_version": target.version,
                },
            )
            instance.process_version = target
            change = InstanceChange(instance, actor)
            self._advance(loaded, change, before=_waiting_ids(loaded.workflow))
            return instance

        return self._in_transaction(attempt)

    def _migrate_workflow(self, loaded: _Loaded, target: ProcessVersion) -> None:
        from .state import _SERIALIZER

        spec, subprocess_specs = self.specs.specs_for(self.session, target)
        diff, sp_diffs = diff_workflow(
            _SERIALIZER.registry, loaded.workflow, spec, subprocess_specs
        )
        waiting = {
            t.task_spec.bpmn_id
            for t in loaded.workflow.get_tasks(state=SpiffState.READY)
            if t.task_spec.manual
        }
        missing = sorted(name for name in waiting if name not in spec.task_specs)
        if missing or sp_diffs:
            reason = (
                (
                    f"tasks waiting at {', '.join(missing)} do not exist in version "
                    f"{target.version}"
                )
                if missing
                else "subprocesses differ"
            )
            raise MigrationRefused(reason)
        migrate_workflow(diff, loaded.workflow, spec)
        loaded.workflow.subprocess_specs = subprocess_specs

    # -- the transaction around every change ----------------------------------

    def _in_transaction(self, attempt):
        for attempt_number in range(1, MAX_ATTEMPTS + 1):
            # Rows collected by a failed attempt were never written.
            self._pending_audit.clear()
            try:
                result = attempt()
                rows.flush(self.session, self._pending_audit, commit=True)
                self.session.commit()
                return result
            except (StaleDataError, IntegrityError) as race:
                self.session.rollback()
                logger.debug(
                    "instance changed concurrently; retrying",
                    extra={"attempt": attempt_number, "error": type(race).__name__},
                )
            except BaseException:
                self.session.rollback()
                raise
        raise StaleInstance("the instance kept changing; gave up after retries")

    def _open_task(self, task_id: str) -> Task:
        task = self.task(task_id)
        if not task.is_open:
            raise Conflict(f"task {task_id} is already {task.state}")
        return task

    def _open_task_and_instance(self, task_id: str) -> tuple[Task, Instance]:
        """Load an open task and its instance in one round trip."""
        found = rows.task_and_instance(self.session, str(task_id))
        if found is None:
            raise NotFound(f"task {task_id} does not exist")

        task, instance = found
        if not task.is_open:
            raise Conflict(f"task {task_id} is already {task.state}")
        return task, instance

    def _touch(self, task: Task, actor: str, action: str, detail: dict | None = None):
        """Record a change to a task that leaves the workflow itself alone."""
        instance = self.get(task.instance_id)
        self._audit(instance, actor, action, {"task_id": task.id, **(detail or {})})

    def _load(self, instance: Instance) -> _Loaded:
        spec, subprocess_specs = self.specs.specs_for(
            self.session, instance.process_version
        )
        return _Loaded(instance, load_workflow(instance.state, spec, subprocess_specs))

    # -- running the engine and projecting its state -------------------------

    def _advance(
        self, loaded: _Loaded, change: InstanceChange, before: set[str]
    ) -> None:
        instance, workflow = loaded.instance, loaded.workflow
        try:
            workflow.do_engine_steps()
        except WorkflowException as failure:
            self._record_incident(instance, failure)

        waiting = {str(t.id): t for t in _waiting(workflow)}
        change.created = [
            self._project(instance, t) for i, t in waiting.items() if i not in before
        ]
        gone = before - set(waiting)
        if gone:
            change.closed += self._close_tasks(gone, TaskState.CANCELLED)
        self._settle(instance, workflow, change)
        instance.state = dump_workflow(workflow)
        # A listener's query finds the engine's rows written: its autoflush
        # sends them first (see rows). Most listeners only add rows, which go
        # out with the call's last write, so most calls write once.
        self._notify(change)

    def _fail_in_task(self, loaded: _Loaded, failure: WorkflowException, actor: str):
        instance = loaded.instance
        self._record_incident(instance, failure)
        self._settle(instance, loaded.workflow, InstanceChange(instance, actor))
        instance.state = dump_workflow(loaded.workflow)
        self._write()
        return instance

    def _audit(
        self,
        instance: Instance,
        actor: str,
        action: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        audit.pending_for_instance(self._pending_audit, instance, actor, action, detail)

    def _write(self) -> None:
        """Send the call's changes, audit rows included, before listeners run."""
        rows.flush(self.session, self._pending_audit)

    def _record_incident(self, instance: Instance, failure: WorkflowException) -> None:
        element_id = getattr(getattr(failure, "task_spec", None), "bpmn_id", None)
        instance.status = InstanceStatus.ERROR.value
        instance.error_message = str(failure).split("\n")[0][:2000]
        instance.error_element_id = element_id
        instance.error_line = instance.process_version.line_of(element_id)
        self._audit(
            instance,
            "engine",
            "incident",
            {"element_id": element_id, "message": instance.error_message},
        )
        logger.warning(
            "instance step failed",
            extra={"instance_id": instance.id, "element_id": element_id},
        )

    def _project(self, instance: Instance, spiff_task) -> Task:
        spec = spiff_task.task_spec
        properties = (
            spec.extensions.get("properties", {}) if hasattr(spec, "extensions") else {}
        )
        task = Task(
            id=str(spiff_task.id),
            instance_id=instance.id,
            element_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            agency=_agency_of(spiff_task, instance),
            waits_on=properties.get("waits_on"),
            sla_working_days=_int_or_none(properties.get("sla_working_days")),
            created_at=self.clock(),
            state=TaskState.READY.value,
        )
        if isinstance(spec, ServiceTask):
            task.kind = TaskKind.SERVICE.value
            task.connector = spec.operation_name
            task.connector_params = _evaluated_params(spiff_task)
        task.deadline = self.deadlines.task_deadline(instance, task)
        self.session.add(task)
        self._audit(
            instance,
            "engine",
            "task_created",
            {"task_id": task.id, "element_id": task.element_id, "agency": task.agency},
        )
        return task

    def _close_tasks(self, ids: Iterable[str], state: TaskState) -> list[Task]:
        tasks = list(self.session.scalars(select(Task).where(Task.id.in_(list(ids)))))
        for task in tasks:
            task.state, task.completed_at = state.value, self.clock()
        return tasks

    def _close_open_tasks(self, instance_id: int, state: TaskState) -> list[Task]:
        tasks = self.open_tasks(instance_id)
        for task in tasks:
            task.state, task.completed_at = state.value, self.clock()
        return tasks

    def _settle(
        self, instance: Instance, workflow: BpmnWorkflow, change: InstanceChange
    ):
        """Derive the instance's status, end event and next timer from the workflow."""
        instance.due_at = _next_timer(workflow)
        if instance.status == InstanceStatus.ERROR or not workflow.completed:
            return

        instance.status = InstanceStatus.COMPLETED.value
        instance.ended_at = self.clock()
        instance.end_event_id = _end_event_reached(workflow)
        change.finished = True
        self._audit(
            instance,
            "engine",
            "instance_completed",
            {"end_event_id": instance.end_event_id},
        )

    def _notify(self, change: InstanceChange) -> None:
        for listener in self.listeners:
            listener(self.session, change)


def _finish_spiff_task(spiff_task, data: dict[str, Any]) -> None:
    if spiff_task is None or spiff_task.state != SpiffState.READY:
        raise Conflict("the task is not waiting in the workflow")
    spiff_task.data.update(data)
    if isinstance(spiff_task.task_spec, ServiceTask):
        # The worker already called the connector; only its result is recorded.
        spiff_task.complete()
    else:
        spiff_task.run()


def _waiting(workflow: BpmnWorkflow):
    return workflow.get_tasks(state=SpiffState.READY, manual=True)


def _waiting_ids(workflow: BpmnWorkflow) -> set[str]:
    return {
        str(t.id)
        for t in _tasks_in_state(workflow, SpiffState.READY)
        if t.task_spec.manual
    }


def _tasks_in_state(workflow: BpmnWorkflow, state: int) -> list:
    """The tasks of the workflow and its running subprocesses in ``state``, unordered.

    One pass over the task dictionaries: cheaper than the library's tree walk,
    for callers that need a set rather than the tree's order.
    """
    workflows = [
        workflow,
        *(sub for sub in workflow.subprocesses.values() if not sub.completed),
    ]
    return [
        task
        for each in workflows
        for task in each.tasks.values()
        if task.state == state
    ]


def _agency_of(spiff_task, instance: Instance) -> str | None:
    """The agency whose queue a task belongs to: its lane, or its caller's lane."""
    lane, current = spiff_task.task_spec.lane, spiff_task
    while lane is None and current.workflow is not current.workflow.top_workflow:
        parent_id = current.workflow.parent_task_id
        current = current.workflow.top_workflow.get_task_from_id(parent_id)
        lane = current.task_spec.lane
    if lane is None:
        return None
    return instance.lane_bindings.get(lane, lane)


def _evaluated_params(spiff_task) -> dict[str, Any]:
    engine = spiff_task.workflow.script_engine
    return {
        name: engine.evaluate(spiff_task, param["value"])
        for name, param in (spiff_task.task_spec.operation_params or {}).items()
    }


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _next_timer(workflow: BpmnWorkflow) -> datetime | None:
    due = []
    for task in _tasks_in_state(workflow, SpiffState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        event_value = task._get_internal_data("event_value")
        if isinstance(definition, TimerEventDefinition) and event_value:
            due.append(_timer_due(event_value))
    due = [d for d in due if d is not None]
    return min(due) if due else None


def _timer_due(event_value) -> datetime | None:
    if isinstance(event_value, dict):
        event_value = event_value.get("next")
    try:
        return datetime.fromisoformat(event_value) if event_value else None
    except (TypeError, ValueError):
        return None


def _end_event_reached(workflow: BpmnWorkflow) -> str | None:
    ends = [
        t
        for t in workflow.tasks.values()
        if isinstance(t.task_spec, EndEvent) and t.state == SpiffState.COMPLETED
    ]
    ends.sort(key=lambda t: t.last_state_change)
    return ends[-1].task_spec.bpmn_id if ends else None


def _checked_bindings(
    version: ProcessVersion, bindings: dict[str, str], agencies: set[str] | None
) -> dict[str, str]:
    unbound = sorted(set(version.roles) - set(bindings))
    if unbound:
        raise InvalidLaneBinding(f"role lanes {', '.join(unbound)} need an agency")
    unknown = sorted(
        a for a in bindings.values() if agencies is not None and a not in agencies
    )
    if unknown:
        raise InvalidLaneBinding(
            f"lane bindings name unknown agencies: {', '.join(unknown)}"
        )
    return dict(bindings)
