"""Tables of the engine: diagram versions, process instances, tasks and audit.

Lifecycle values are stored as readable strings (see the ``StrEnum`` classes)
so that a row can be understood in ``psql`` without this code.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    DDL,
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow


class InstanceStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ERROR = "error"


class TaskState(StrEnum):
    READY = "ready"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskKind(StrEnum):
    USER = "user"
    SERVICE = "service"


OPEN_TASK_STATES = (TaskState.READY.value, TaskState.CLAIMED.value)


class ProcessVersion(Base):
    """One immutable deployment of one process of a diagram file."""

    __tablename__ = "process_versions"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        Index("ix_process_versions_process_hash", "process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(300))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    # DMN files deployed with the diagram, by file name.
    decision_files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Called processes that live in other diagrams: process id -> version row id.
    dependencies: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    element_lines: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_by: Mapped[str] = mapped_column(String(200))

    def line_of(self, element_id: str | None) -> int | None:
        return self.element_lines.get(element_id) if element_id else None


class Instance(Base):
    """A running (or finished) process: its serialized state and lifecycle."""

    __tablename__ = "instances"
    __table_args__ = (Index("ix_instances_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    status: Mapped[str] = mapped_column(
        String(16), default=InstanceStatus.RUNNING.value
    )
    # zlib-compressed JSON of the workflow, without its spec (see engine.state).
    state: Mapped[bytes] = mapped_column(LargeBinary)
    lane_bindings: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    end_event_id: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_element_id: Mapped[str | None] = mapped_column(String(200))
    error_line: Mapped[int | None] = mapped_column(Integer)
    # The earliest due timer, so a sweep can find instances with work to do.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_hash: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")

    # Every UPDATE checks and bumps row_version: optimistic concurrency.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": row_version}

    @property
    def is_open(self) -> bool:
        return self.status in (InstanceStatus.RUNNING, InstanceStatus.ERROR)


# The optimistic lock checked by PostgreSQL inside a write (see engine.rows):
# a write that sends its COMMIT along must fail as a whole when an instance
# was not found at the version it was read at, never commit half of itself.
# serialization_failure is the error a client retries a transaction on.
REQUIRE_VERSIONS_FUNCTION = "terpadu_require_versions"
REQUIRE_VERSIONS_SQL = f"""
CREATE OR REPLACE FUNCTION {REQUIRE_VERSIONS_FUNCTION}(versions_found bigint, versions_expected integer)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    IF versions_found <> versions_expected THEN
        RAISE EXCEPTION 'an instance was changed by another transaction'
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN versions_expected;
END
$$
"""
event.listen(
    Instance.__table__,
    "after_create",
    DDL(REQUIRE_VERSIONS_SQL).execute_if(dialect="postgresql"),
)


# Which task rows the partial indexes below hold: those still in a queue.
OPEN_TASKS = text("state IN ('ready', 'claimed')")


class Task(Base):
    """A human or service task waiting in an agency's queue, projected from state."""

    __tablename__ = "tasks"
    __table_args__ = (
        # An agency's queue by deadline; id breaks ties so pages are stable.
        Index("ix_tasks_inbox", "agency", "state", "deadline", "id"),
        Index("ix_tasks_instance_state", "instance_id", "state"),
        Index("ix_tasks_sla_changed", "sla_changed_at"),
        # The sweep's scan of open tasks by deadline, without the closed ones.
        Index(
            "ix_tasks_open_deadline",
            "deadline",
            postgresql_where=OPEN_TASKS,
            sqlite_where=OPEN_TASKS,
        ),
        # An agency's open queue (ready and claimed together, as officers see
        # it) in either order the inbox offers. ix_tasks_inbox serves one
        # state at a time; across two, PostgreSQL would sort the whole queue
        # for every page, or walk every agency's open tasks by deadline to
        # find this one's.
        Index(
            "ix_tasks_open_queue_deadline",
            "agency",
            "deadline",
            "id",
            postgresql_where=OPEN_TASKS,
            sqlite_where=OPEN_TASKS,
        ),
        Index(
            "ix_tasks_open_queue_created",
            "agency",
            "created_at",
            "id",
            postgresql_where=OPEN_TASKS,
            sqlite_where=OPEN_TASKS,
        ),
    )

    # The SpiffWorkflow task id: unique across instances, stable across saves.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16), default=TaskKind.USER.value)
    agency: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=TaskState.READY.value)
    waits_on: Mapped[str | None] = mapped_column(String(32))
    sla_working_days: Mapped[int | None] = mapped_column(Integer)
    sla_status: Mapped[str] = mapped_column(String(16), default="on_track")
    # When the SLA sweep last moved sla_status; escalations start from it.
    sla_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connector: Mapped[str | None] = mapped_column(String(200))
    connector_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(200))

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASK_STATES


class AuditEvent(Base):
    """One link of a hash chain: every change to an instance or a process."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(250))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
