"""Residents' applications: one per service requested, each run by an instance.

:func:`submit_application` is the one way an application starts, for the API
and for any worker alike; :func:`sync_application` is an
:class:`engine.instances.InstanceService` listener that keeps each
application's status in step with its instance. :func:`instance_service`
builds an InstanceService with that listener attached, so every caller that
changes instances keeps applications right.

This module imports the engine and the catalogue models, never the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.calendar import JAKARTA, load_calendar
from engine.db import Base, UTCDateTime, utcnow
from engine.errors import Conflict, NotFound
from engine.instances import InstanceChange, InstanceService
from engine.models import OPEN_TASK_STATES, Instance, InstanceStatus, Task
from engine.sla import pause_clock, start_clock
from processes.aid import other_programmes
from processes.catalogue import ServiceStartError, start_arguments
from processes.models import Service
from processes.residents import InvalidNik, mask_nik, parse_nik

logger = logging.getLogger(__name__)

TRACKING_PREFIX = "MPP"
REJECTED_END_PREFIX = "rejected"
APPLICANT = "applicant"


class ApplicationStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    WAITING_ON_APPLICANT = "waiting_on_applicant"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ERROR = "error"


ACTIVE_STATUSES = (
    ApplicationStatus.IN_PROGRESS.value,
    ApplicationStatus.WAITING_ON_APPLICANT.value,
    ApplicationStatus.ERROR.value,
)
_ACTIVE_SQL = "status IN ('in_progress', 'waiting_on_applicant', 'error')"


class Application(Base):
    """A resident's request for one service, and where it stands."""

    __tablename__ = "applications"
    __table_args__ = (
        # One active application per resident and service, even under a race.
        Index(
            "uq_applications_active_nik_service",
            "applicant_nik",
            "service_code",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        # A counter clerk's own applications, newest first.
        Index("ix_applications_submitted_by", "submitted_by", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set from the id in the transaction that creates the row.
    tracking_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    applicant_nik: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_phone: Mapped[str] = mapped_column(String(32))
    village_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(24), default=ApplicationStatus.IN_PROGRESS.value
    )
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instance: Mapped[Instance] = relationship()
    service: Mapped[Service] = relationship()


class ApplicationRefused(ValueError):
    """An application was refused; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Applicant:
    nik: str
    name: str
    phone: str


def instance_service(session: Session, **options: Any) -> InstanceService:
    """Return an InstanceService that keeps applications in step."""
    listeners = [*options.pop("listeners", ()), sync_application]
    return InstanceService(session, listeners=listeners, **options)


ServiceFactory = Callable[..., InstanceService]


def kecamatan_of_village(village_code: str | None) -> str | None:
    """``35.10.16.1001`` (a kelurahan of Banyuwangi) -> ``35.10.16``."""
    if not village_code or village_code.count(".") < 3:
        return None
    return village_code.rsplit(".", 1)[0]


def application_of(session: Session, instance_id: int) -> Application | None:
    """The application an instance runs: the one this session holds, else a query.

    A view that acts on a task reads the task's application first, to answer
    with it; the engine's listeners then find it here instead of asking the
    database again. Only rows whose ``instance_id`` is loaded are looked at,
    so the search itself never loads anything.
    """
    for held in session.identity_map.values():
        if (
            isinstance(held, Application)
            and inspect(held).dict.get("instance_id") == instance_id
        ):
            return held
    return session.scalar(
        select(Application).where(Application.instance_id == instance_id)
    )


def submit_application(
    session: Session,
    *,
    service_code: str,
    applicant: Applicant,
    actor: str,
    village_code: str | None = None,
    data: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    services: ServiceFactory = instance_service,
) -> tuple[Application, bool]:
    """Start an application and its instance; return it and whether it is new.

    ``services`` builds the InstanceService, so the caller decides which
    listeners (outbox, SLA) see the start. A key already used returns the
    application it made. Raises
    ApplicationRefused (unknown service, invalid NIK, refused choices),
    Conflict (an active application for the same NIK and service) and the
    engine's errors from starting the instance. Commits.
    """
    if idempotency_key:
        earlier = _by_idempotency_key(session, idempotency_key)
        if earlier is not None:
            return earlier, False

    try:
        application = _start(
            session,
            service_code,
            applicant,
            actor,
            village_code,
            data or {},
            idempotency_key,
            clock,
            services,
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        return _after_race(session, idempotency_key), False

    logger.info(
        "application submitted",
        extra={
            "application_id": application.id,
            "tracking_number": application.tracking_number,
            "nik": mask_nik(applicant.nik),
            "service_code": service_code,
        },
    )
    return application, True


def _start(
    session, service_code, applicant, actor, village_code, data, key, clock, services
):
    service = _offered_service(session, service_code)
    _check_nik(applicant.nik)
    _refuse_duplicate(session, applicant.nik, service_code)
    _refuse_overlapping_aid(session, applicant.nik, service_code)
    arguments = _start_arguments(service, data)

    engine_service = services(session, clock=clock)
    instance = engine_service.start(
        arguments.process_id,
        arguments.data,
        actor,
        lane_bindings=arguments.lane_bindings,
    )
    # Read before the application is added: a query in between would flush
    # its tracking number on its own, apart from its deadline and status.
    waiting = _tasks_waiting_on_applicant(session, instance.id)
    now = clock()
    application = Application(
        service_code=service.code,
        instance_id=instance.id,
        applicant_nik=applicant.nik,
        applicant_name=applicant.name,
        applicant_phone=applicant.phone,
        village_code=village_code,
        submitted_at=now,
        submitted_by=actor,
        idempotency_key=key,
    )
    session.add(application)
    session.flush()

    application.tracking_number = tracking_number(application.id, now)
    # The engine service's own calendar when it has one: read once per request.
    calendar = getattr(engine_service.deadlines, "calendar", None)
    application.deadline = _start_clock(
        session,
        service,
        instance,
        village_code,
        calendar or load_calendar(session),
        waiting,
    )
    _apply_status(session, application, instance, waiting=bool(waiting))
    session.flush()
    return application


def _start_clock(
    session, service: Service, instance: Instance, village_code, calendar, waiting
):
    """Start the application's SLA clock now that the application exists.

    The clock's listener cannot start it when the instance starts: the
    application row, which says which service and village it is for, comes
    after. A first task already waiting on the applicant stops it at once.
    """
    sla_clock = start_clock(
        session,
        calendar,
        instance,
        service.sla_working_days,
        agency=service.agency_code,
        kecamatan_code=kecamatan_of_village(village_code),
    )
    for task in waiting:
        pause_clock(session, sla_clock, task, instance.started_at)
    return sla_clock.deadline


def _tasks_waiting_on_applicant(session: Session, instance_id: int) -> list[Task]:
    return list(
        session.scalars(
            select(Task).where(
                Task.instance_id == instance_id,
                Task.state.in_(OPEN_TASK_STATES),
                Task.waits_on == APPLICANT,
            )
        )
    )


def tracking_number(application_id: int, submitted_at: datetime) -> str:
    year = submitted_at.astimezone(JAKARTA).year
    return f"{TRACKING_PREFIX}-{year}-{application_id:06d}"


def _offered_service(session: Session, code: str) -> Service:
    service = session.get(Service, code)
    if service is None or not service.active:
        raise ApplicationRefused("service_code", f"no service {code!r} is offered")

    return service


def _check_nik(nik: str) -> None:
    try:
        parse_nik(nik)
    except InvalidNik as invalid:
        raise ApplicationRefused("applicant.nik", invalid.message) from None


def _refuse_duplicate(session: Session, nik: str, service_code: str) -> None:
    active = session.scalar(
        select(Application.tracking_number).where(
            Application.applicant_nik == nik,
            Application.service_code == service_code,
            Application.status.in_(ACTIVE_STATUSES),
        )
    )
    if active is not None:
        raise Conflict(f"this resident already has application {active} for it")


def _refuse_overlapping_aid(session: Session, nik: str, service_code: str) -> None:
    overlapping = other_programmes(service_code)
    if not overlapping:
        return

    held = session.execute(
        select(Application.service_code, Application.tracking_number)
        .where(
            Application.applicant_nik == nik,
            Application.service_code.in_(list(overlapping)),
            Application.status.in_(
                [*ACTIVE_STATUSES, ApplicationStatus.COMPLETED.value]
            ),
        )
        .limit(1)
    ).first()
    if held is not None:
        raise Conflict(
            f"this resident already receives or has applied for "
            f"{overlapping[held.service_code]} ({held.tracking_number}); "
            "aid programmes may not overlap"
        )


def _start_arguments(service: Service, data: dict[str, Any]):
    choices = {key: value for key, value in data.items() if key != "agencies"}
    try:
        return start_arguments(service, choices=choices, agencies=data.get("agencies"))
    except ServiceStartError as refused:
        raise ApplicationRefused("data", str(refused)) from None


def _by_idempotency_key(session: Session, key: str) -> Application | None:
    return session.scalar(select(Application).where(Application.idempotency_key == key))


def _after_race(session: Session, key: str | None) -> Application:
    """Resolve a unique-constraint race: the key's winner, or a duplicate."""
    earlier = _by_idempotency_key(session, key) if key else None
    if earlier is None:
        raise Conflict("an active application for this resident and service exists")

    return earlier


def get_application(session: Session, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"application {application_id} does not exist")

    return application


def cancel_application(
    session: Session,
    application: Application,
    *,
    actor: str,
    reason: str,
    services: ServiceFactory = instance_service,
) -> Application:
    """Cancel an active application at the resident's or a supervisor's request.

    Its open tasks close as cancelled, its SLA clock stops and the resident is
    told (the engine's listeners do this, as for any end); the reason goes
    into the audit chain. An application already ended raises Conflict.
    Commits.
    """
    if application.status not in ACTIVE_STATUSES:
        number, status = application.tracking_number, application.status
        raise Conflict(f"application {number} is already {status}")

    services(session).cancel(application.instance_id, actor, reason)
    logger.info(
        "application cancelled",
        extra={
            "application_id": application.id,
            "tracking_number": application.tracking_number,
            "instance_id": application.instance_id,
        },
    )
    return application


def find_by_tracking(session: Session, number: str, nik: str) -> Application:
    """Return the application with this number and NIK; NotFound for any mismatch."""
    application = session.scalar(
        select(Application).where(Application.tracking_number == number)
    )
    if application is None or application.applicant_nik != nik:
        raise NotFound("no application matches this number and NIK")

    return application


# -- keeping status in step ---------------------------------------------------


def sync_application(session: Session, change: InstanceChange) -> None:
    """InstanceService listener: derive the application's status from its instance."""
    if change.started:
        # A new instance has no application yet: submission writes it after
        # the start, and sets its first status itself.
        return

    application = application_of(session, change.instance.id)
    if application is None or _keeps_status(application, change):
        return

    _apply_status(session, application, change.instance)


def _keeps_status(application: Application, change: InstanceChange) -> bool:
    """Whether ``change`` cannot move the application's status, so no need to look.

    A running instance's application is in progress or waiting on the
    applicant; only a task waiting on the applicant, opened or closed, moves
    it between the two. Most changes pass the file from agency to agency.
    """
    running = (
        ApplicationStatus.IN_PROGRESS.value,
        ApplicationStatus.WAITING_ON_APPLICANT.value,
    )
    touched = (*change.created, *change.closed)
    return (
        change.instance.status == InstanceStatus.RUNNING
        and application.status in running
        and not any(task.waits_on == APPLICANT for task in touched)
    )


def _apply_status(
    session: Session,
    application: Application,
    instance: Instance,
    *,
    waiting: bool | None = None,
):
    """Set the status the instance implies; ``waiting`` when the caller knows
    already whether a task waits on the applicant."""
    status = _status_of(session, instance, waiting)
    if status == application.status:
        return

    application.status = status.value
    if status in (ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED):
        application.completed_at = instance.ended_at or utcnow()
    logger.info(
        "application status changed",
        extra={"application_id": application.id, "status": status.value},
    )
    if status == ApplicationStatus.COMPLETED:
        _issue_document(session, application)


def _issue_document(session: Session, application: Application) -> None:
    # documents imports this module for Application, so it cannot be
    # imported at the top; by now both modules are loaded anyway.
    from processes.documents import issue_document

    issue_document(session, application)


def _status_of(
    session: Session, instance: Instance, waiting: bool | None = None
) -> ApplicationStatus:
    if instance.status == InstanceStatus.COMPLETED:
        end = instance.end_event_id or ""
        if end.startswith(REJECTED_END_PREFIX):
            return ApplicationStatus.REJECTED
        return ApplicationStatus.COMPLETED
    if instance.status == InstanceStatus.CANCELLED:
        return ApplicationStatus.CANCELLED
    if instance.status == InstanceStatus.ERROR:
        return ApplicationStatus.ERROR

    if waiting is None:
        waiting = (
            session.scalar(
                select(Task.id)
                .where(
                    Task.instance_id == instance.id,
                    Task.state.in_(OPEN_TASK_STATES),
                    Task.waits_on == APPLICANT,
                )
                .limit(1)
            )
            is not None
        )
    if waiting:
        return ApplicationStatus.WAITING_ON_APPLICANT
    return ApplicationStatus.IN_PROGRESS
