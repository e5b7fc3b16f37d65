"""Service-level clocks: task deadlines, application deadlines, pauses, escalation.

Each task gets a deadline from its ``sla_working_days`` property, else from a
per-step default the caller supplies (the service catalogue). Each application
(one process instance) gets an :class:`SlaClock` fixed at submission from the
service's SLA; while a task that waits on the applicant is open the clock
stops, and its deadline moves by the working time it stood still.

:func:`sweep` brings every ``sla_status`` up to date with a handful of
set-based statements, whatever the number of open tasks, and records
:class:`Escalation` rows for what newly went at risk or breached. The instants
it compares against (``at_risk_at``, ``deadline``) are computed once, with the
working calendar, when a task opens or a clock resumes.

Like the rest of ``engine``, this module knows nothing of Flask, RQ or Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy import (
    ForeignKey,
    Index,
    Insert,
    Integer,
    String,
    UniqueConstraint,
    Update,
    and_,
    bindparam,
    exists,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import rows
from .calendar import WorkingCalendar
from .db import Base, UTCDateTime, utcnow
from .errors import Conflict, NotFound
from .instances import InstanceChange
from .models import OPEN_TASK_STATES, Instance, Task

logger = logging.getLogger(__name__)

AT_RISK_SHARE = 0.75
APPLICANT = "applicant"


class SlaStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"


class EscalationRole(StrEnum):
    AGENCY_HEAD = "agency_head"
    REGENT = "regent"
    CAMAT = "camat"


class SlaClock(Base):
    """The SLA clock of one application, started at submission."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        Index("ix_sla_clocks_running", "closed_at", "paused_at"),
        Index("ix_sla_clocks_status_changed", "status_changed_at"),
    )

    instance_id: Mapped[int] = mapped_column(
        ForeignKey("instances.id"), primary_key=True
    )
    # The agency answerable for the application as a whole (the service owner).
    agency: Mapped[str | None] = mapped_column(String(32))
    # Set when the application was started at a village office.
    kecamatan_code: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    allowed_seconds: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    at_risk_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=SlaStatus.ON_TRACK.value)
    # When the sweep last moved the status: escalations look at these rows only.
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SlaPause(Base):
    """One stop of an application's clock, while the applicant had the file."""

    __tablename__ = "sla_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    working_seconds: Mapped[int | None] = mapped_column(Integer)


class TaskSla(Base):
    """What the sweep needs of a task with a deadline, computed when it opened."""

    __tablename__ = "task_sla"
    __table_args__ = (Index("ix_task_sla_at_risk", "at_risk_at"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    allowed_seconds: Mapped[int] = mapped_column(Integer)
    at_risk_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Escalation(Base):
    """Someone told that a task or application is at risk or breached."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_key", "level", "role"),
        Index("ix_escalations_open", "acknowledged_at", "agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    # The task id, or "" for the application as a whole (unique keys and NULL
    # do not mix, so the empty string stands for "no task").
    task_key: Mapped[str] = mapped_column(String(36))
    level: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


StepDefault = Callable[[Instance, Task], int | None]


class SlaDeadlines:
    """The engine's deadline policy: working days from the task, else the step's."""

    def __init__(
        self, calendar: WorkingCalendar, step_default: StepDefault | None = None
    ):
        self.calendar = calendar
        self.step_default = step_default or (lambda instance, task: None)

    def task_deadline(self, instance: Instance, task: Task) -> datetime | None:
        days = task.sla_working_days
        if days is None:
            days = self.step_default(instance, task)
        if days is None:
            return None

        return self.calendar.deadline(task.created_at, days, task.agency)


@dataclass
class SlaListener:
    """Keeps clocks and task SLA rows in step with an instance's changes.

    Add it to ``InstanceService.listeners``; it runs inside the transaction.
    ``application_days`` tells the service SLA of an instance, in working days,
    and ``kecamatan_of`` the kecamatan of a village-started application (both
    None when unknown); the clock starts with the instance.
    """

    calendar: WorkingCalendar
    application_days: Callable[[Instance], int | None] = lambda instance: None
    kecamatan_of: Callable[[Instance], str | None] = lambda instance: None
    clock: Callable[[], datetime] = utcnow

    def __call__(self, session: Session, change: InstanceChange) -> None:
        now = self.clock()
        for task in change.created:
            self._open_task(session, task)
        if not _moves_clock(change):
            return

        if change.started:
            sla_clock = self._start(session, change.instance)
        else:
            sla_clock = session.get(SlaClock, change.instance.id)
        if sla_clock is None:
            return

        for task in change.closed:
            if task.waits_on == APPLICANT:
                resume_clock(session, self.calendar, sla_clock, task.id, now)
        for task in change.created:
            if task.waits_on == APPLICANT:
                pause_clock(session, sla_clock, task, now)
        if change.finished:
            sla_clock.closed_at = now

    def _start(self, session: Session, instance: Instance) -> SlaClock | None:
        days = self.application_days(instance)
        if days is None:
            return None

        return start_clock(
            session,
            self.calendar,
            instance,
            days,
            kecamatan_code=self.kecamatan_of(instance),
        )

    def _open_task(self, session: Session, task: Task) -> None:
        if task.deadline is None:
            return

        allowed = self.calendar.working_seconds(
            task.created_at, task.deadline, task.agency
        )
        at_risk_at = self.calendar.add_working_seconds(
            task.created_at, allowed * AT_RISK_SHARE, task.agency
        )
        # Read only by later sweeps: it goes out with the call's batch.
        rows.insert_later(
            session,
            TaskSla.__table__,
            {
                "task_id": task.id,
                "instance_id": task.instance_id,
                "allowed_seconds": int(allowed),
                "at_risk_at": at_risk_at,
            },
        )


def _moves_clock(change: InstanceChange) -> bool:
    """Whether a change starts, pauses, resumes or stops the application's clock.

    Most changes pass the file from one agency to the next and leave the
    clock alone; those need not read it.
    """
    if change.started or change.finished:
        return True
    return any(task.waits_on == APPLICANT for task in (*change.created, *change.closed))


def start_clock(
    session: Session,
    calendar: WorkingCalendar,
    instance: Instance,
    working_days: int,
    *,
    agency: str | None = None,
    kecamatan_code: str | None = None,
) -> SlaClock:
    """Start an application's clock at the instance's start; fixed from then on."""
    start = instance.started_at
    deadline = calendar.deadline(start, working_days, agency)
    allowed = calendar.working_seconds(start, deadline, agency)
    sla_clock = SlaClock(
        instance_id=instance.id,
        agency=agency,
        kecamatan_code=kecamatan_code,
        started_at=start,
        allowed_seconds=int(allowed),
        deadline=deadline,
        at_risk_at=calendar.add_working_seconds(start, allowed * AT_RISK_SHARE, agency),
        paused_seconds=0,
        status=SlaStatus.ON_TRACK.value,
    )
    session.add(sla_clock)
    logger.info(
        "sla clock started",
        extra={"instance_id": instance.id, "deadline": deadline.isoformat()},
    )
    return sla_clock


def pause_clock(
    session: Session, sla_clock: SlaClock, task: Task, now: datetime
) -> None:
    """Stop the clock while ``task`` waits on the applicant; once only."""
    if sla_clock.paused_at is not None or sla_clock.closed_at is not None:
        return

    sla_clock.paused_at = now
    session.add(
        SlaPause(
            instance_id=sla_clock.instance_id,
            task_id=task.id,
            reason=f"waiting on applicant: {task.name}",
            started_at=now,
        )
    )
    logger.info(
        "sla clock paused",
        extra={"instance_id": sla_clock.instance_id, "task_id": task.id},
    )


def resume_clock(
    session: Session,
    calendar: WorkingCalendar,
    sla_clock: SlaClock,
    task_id: str,
    now: datetime,
) -> None:
    """Restart the clock, moving its deadline by the working time it stood still."""
    if sla_clock.paused_at is None:
        return

    stopped = int(calendar.working_seconds(sla_clock.paused_at, now, sla_clock.agency))
    sla_clock.deadline = calendar.add_working_seconds(
        sla_clock.deadline, stopped, sla_clock.agency
    )
    sla_clock.at_risk_at = calendar.add_working_seconds(
        sla_clock.at_risk_at, stopped, sla_clock.agency
    )
    sla_clock.paused_seconds += stopped
    sla_clock.paused_at = None

    pause = session.scalar(
        select(SlaPause).where(
            SlaPause.instance_id == sla_clock.instance_id, SlaPause.ended_at.is_(None)
        )
    )
    if pause is not None:
        pause.ended_at, pause.working_seconds = now, stopped
    logger.info(
        "sla clock resumed",
        extra={
            "instance_id": sla_clock.instance_id,
            "task_id": task_id,
            "paused_seconds": stopped,
        },
    )


# -- the sweep ---------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    tasks_at_risk: int
    tasks_breached: int
    applications_at_risk: int
    applications_breached: int
    escalations: int


def sweep(session: Session, now: datetime) -> SweepReport:
    """Update every SLA status due by ``now`` and record new escalations. Flushes.

    Statuses only move forward (on track, at risk, breached), and an escalation
    is recorded once per subject, level and role, so running it again, or from
    two workers at once, changes nothing further. Rows the session already
    holds are not refreshed: callers read the outcome afresh.
    """
    statements = _sweep_statements()
    # Run as Core statements, after the session's own changes: given
    # parameters, the ORM would take each for a bulk UPDATE by primary key.
    session.flush()
    connection, at_now = session.connection(), {"now": now}
    breached, at_risk, apps_breached, apps_at_risk = (
        connection.execute(statement, at_now).rowcount
        for statement in (
            statements.tasks_breached,
            statements.tasks_at_risk,
            statements.applications_breached,
            statements.applications_at_risk,
        )
    )
    escalated = sum(
        max(connection.execute(statement, at_now).rowcount or 0, 0)
        for statement in statements.escalations
    )
    session.flush()
    report = SweepReport(at_risk, breached, apps_at_risk, apps_breached, escalated)
    logger.info("sla sweep done", extra={"report": report.__dict__})
    return report


# The sweep's moment, bound at each run: the statements are built once.
_NOW = bindparam("now", type_=UTCDateTime)


@dataclass(frozen=True)
class _SweepStatements:
    tasks_breached: Update
    tasks_at_risk: Update
    applications_breached: Update
    applications_at_risk: Update
    escalations: tuple[Insert, ...]


@cache
def _sweep_statements() -> _SweepStatements:
    """The sweep's statements, built once per process.

    The sweep runs every tick; building its fourteen statements each time cost
    more than most sweeps' work and left their reference cycles to the
    garbage collector.
    """
    open_task = Task.state.in_(OPEN_TASK_STATES)
    running = and_(SlaClock.closed_at.is_(None), SlaClock.paused_at.is_(None))
    return _SweepStatements(
        tasks_breached=update(Task)
        .where(
            open_task,
            Task.deadline <= _NOW,
            Task.sla_status != SlaStatus.BREACHED.value,
        )
        .values(sla_status=SlaStatus.BREACHED.value, sla_changed_at=_NOW),
        tasks_at_risk=update(Task)
        .where(
            open_task,
            Task.sla_status == SlaStatus.ON_TRACK.value,
            Task.id.in_(select(TaskSla.task_id).where(TaskSla.at_risk_at <= _NOW)),
        )
        .values(sla_status=SlaStatus.AT_RISK.value, sla_changed_at=_NOW),
        applications_breached=update(SlaClock)
        .where(
            running,
            SlaClock.deadline <= _NOW,
            SlaClock.status != SlaStatus.BREACHED.value,
        )
        .values(status=SlaStatus.BREACHED.value, status_changed_at=_NOW),
        applications_at_risk=update(SlaClock)
        .where(
            running,
            SlaClock.at_risk_at <= _NOW,
            SlaClock.status == SlaStatus.ON_TRACK.value,
        )
        .values(status=SlaStatus.AT_RISK.value, status_changed_at=_NOW),
        escalations=(*_task_escalations(), *_application_escalations()),
    )


# Who hears at each level; the camat is added where a kecamatan is known.
_ROLES_BY_LEVEL = {
    SlaStatus.AT_RISK: (EscalationRole.AGENCY_HEAD,),
    SlaStatus.BREACHED: (EscalationRole.AGENCY_HEAD, EscalationRole.REGENT),
}


def _levels_reached(level: SlaStatus) -> list[str]:
    # A subject breached without passing "at risk" (the sweep missed that
    # window) is still escalated at both levels, so each head hears in order.
    if level is SlaStatus.AT_RISK:
        return [SlaStatus.AT_RISK.value, SlaStatus.BREACHED.value]
    return [SlaStatus.BREACHED.value]


def _task_escalations() -> list[Insert]:
    statements = []
    for level, roles in _ROLES_BY_LEVEL.items():
        for role in (*roles, EscalationRole.CAMAT):
            source = (
                select(
                    Task.instance_id,
                    Task.id,
                    literal(level.value),
                    literal(role.value),
                    Task.agency,
                    _region_for(role),
                    _NOW,
                )
                .outerjoin(SlaClock, SlaClock.instance_id == Task.instance_id)
                .where(
                    # Only what this sweep moved: the rest was escalated before.
                    Task.sla_changed_at == _NOW,
                    Task.state.in_(OPEN_TASK_STATES),
                    Task.sla_status.in_(_levels_reached(level)),
                    _role_applies(role),
                    ~_already(Task.instance_id, Task.id, level, role),
                )
            )
            statements.append(_insert(source))
    return statements


def _application_escalations() -> list[Insert]:
    statements = []
    for level, roles in _ROLES_BY_LEVEL.items():
        for role in (*roles, EscalationRole.CAMAT):
            source = select(
                SlaClock.instance_id,
                literal(""),
                literal(level.value),
                literal(role.value),
                SlaClock.agency,
                _region_for(role),
                _NOW,
            ).where(
                SlaClock.status_changed_at == _NOW,
                SlaClock.closed_at.is_(None),
                SlaClock.status.in_(_levels_reached(level)),
                _role_applies(role),
                ~_already(SlaClock.instance_id, literal(""), level, role),
            )
            statements.append(_insert(source))
    return statements


def _region_for(role: EscalationRole):
    if role is EscalationRole.CAMAT:
        return SlaClock.kecamatan_code
    return literal(None, String)


def _role_applies(role: EscalationRole):
    if role is EscalationRole.CAMAT:
        return SlaClock.kecamatan_code.is_not(None)
    return true()


def _already(instance_id, task_key, level: SlaStatus, role: EscalationRole):
    return exists().where(
        Escalation.instance_id == instance_id,
        Escalation.task_key == task_key,
        Escalation.level == level.value,
        Escalation.role == role.value,
    )


def _insert(source) -> Insert:
    columns = [
        "instance_id",
        "task_key",
        "level",
        "role",
        "agency",
        "region_code",
        "created_at",
    ]
    # SQLAlchemy keeps an INSERT's rowcount only when asked to.
    return (
        insert(Escalation)
        .from_select(columns, source)
        .execution_options(preserve_rowcount=True)
    )


def acknowledge(
    session: Session, escalation_id: int, user: str, now: datetime | None = None
) -> Escalation:
    """Mark an escalation as seen by ``user``; a second acknowledgement is refused."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFound(f"escalation {escalation_id} does not exist")
    if escalation.acknowledged_at is not None:
        raise Conflict(
            f"escalation {escalation_id} was acknowledged by "
            f"{escalation.acknowledged_by}"
        )

    escalation.acknowledged_by = user
    escalation.acknowledged_at = now or utcnow()
    return escalation


# -- reporting ---------------------------------------------------------------


@dataclass(frozen=True)
class AgencyHolding:
    agency: str | None
    held_seconds: int
    allowed_seconds: int


def agency_holdings(
    session: Session,
    calendar: WorkingCalendar,
    instance_id: int,
    now: datetime | None = None,
) -> list[AgencyHolding]:
    """Return each agency's working time holding an application, and its allowance.

    Tasks that wait on the applicant are left out: that time is the
    applicant's. Open tasks count up to ``now``.
    """
    now = now or utcnow()
    rows = session.execute(
        select(Task.agency, Task.created_at, Task.completed_at, TaskSla.allowed_seconds)
        .outerjoin(TaskSla, TaskSla.task_id == Task.id)
        .where(
            Task.instance_id == instance_id,
            or_(Task.waits_on.is_(None), Task.waits_on != APPLICANT),
        )
        .order_by(Task.created_at)
    ).all()

    held: dict[str | None, list[int]] = {}
    for agency, opened, closed, allowed in rows:
        seconds = calendar.working_seconds(opened, closed or now, agency)
        totals = held.setdefault(agency, [0, 0])
        totals[0] += int(seconds)
        totals[1] += allowed or 0

    return [AgencyHolding(agency, h, a) for agency, (h, a) in held.items()]
