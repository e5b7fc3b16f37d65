"""Supervision: escalations to acknowledge, and the calendar's exceptions.

An agency head sees the escalations about its own agency; the regent (a
supervisor without an agency) and admins see all of them. Only admins change
the working calendar: extra opening days and closures, per agency or for all.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import Select, select

from engine.calendar import CalendarException
from engine.errors import NotFound
from engine.sla import Escalation, acknowledge
from processes.applications import Application
from workers.wiring import settings

from ..auth import current_user, requires
from ..extensions import db
from ..models import Identity, Role
from ..parsing import json_body, page, paged, query_args
from ..schemas import (
    CalendarExceptionInputSchema,
    CalendarExceptionQuery,
    CalendarExceptionSchema,
    EscalationQuery,
    EscalationSchema,
)

blueprint = Blueprint("supervision", __name__)


def _escalations_in_scope(user: Identity) -> Select:
    query = (
        select(Escalation, Application)
        .outerjoin(Application, Application.instance_id == Escalation.instance_id)
        .order_by(Escalation.created_at.desc(), Escalation.id.desc())
    )
    if user.role == Role.SUPERVISOR and user.agency_code:
        query = query.where(Escalation.agency == user.agency_code)
    return query


def _escalation_view(escalation: Escalation, application: Application | None) -> dict:
    return {
        "id": escalation.id,
        "application_id": application.id if application else None,
        "tracking_number": application.tracking_number if application else None,
        "task_id": escalation.task_key or None,
        "level": escalation.level,
        "role": escalation.role,
        "agency": escalation.agency,
        "region_code": escalation.region_code,
        "created_at": escalation.created_at,
        "acknowledged_by": escalation.acknowledged_by,
        "acknowledged_at": escalation.acknowledged_at,
    }


@blueprint.get("/escalations")
@requires(Role.SUPERVISOR)
def escalations():
    args = query_args(EscalationQuery())
    query = _escalations_in_scope(current_user())
    if args["acknowledged"]:
        query = query.where(Escalation.acknowledged_at.is_not(None))
    else:
        query = query.where(Escalation.acknowledged_at.is_(None))

    rows, total = page(query, args)
    items = [_escalation_view(escalation, app) for escalation, app in rows]
    return paged(EscalationSchema(many=True).dump(items), total, args)


@blueprint.post("/escalations/<int:escalation_id>/acknowledge")
@requires(Role.SUPERVISOR)
def acknowledge_escalation(escalation_id: int):
    user = current_user()
    query = _escalations_in_scope(user).where(Escalation.id == escalation_id)
    found = db.session.execute(query).first()
    if found is None:
        # Another agency's escalation looks the same as a missing one.
        raise NotFound(f"escalation {escalation_id} does not exist")

    acknowledge(db.session, escalation_id, user.name)
    db.session.commit()
    return EscalationSchema().dump(_escalation_view(*found))


@blueprint.get("/calendar/exceptions")
@requires(Role.ADMIN)
def calendar_exceptions():
    args = query_args(CalendarExceptionQuery())
    query = select(CalendarException).order_by(
        CalendarException.day, CalendarException.id
    )
    if "since" in args:
        query = query.where(CalendarException.day >= args["since"])
    rows, total = page(query, args)
    items = CalendarExceptionSchema(many=True).dump([row for (row,) in rows])
    return paged(items, total, args)


@blueprint.put("/calendar/exceptions")
@requires(Role.ADMIN)
def save_calendar_exception():
    """Open or close a day, for one agency or (without ``agency_code``) for all."""
    body = json_body(CalendarExceptionInputSchema())
    found = db.session.scalar(
        select(CalendarException).where(
            CalendarException.day == body["day"],
            _same_agency(body["agency_code"]),
        )
    )
    exception = found or CalendarException(day=body["day"])
    exception.agency_code = body["agency_code"]
    exception.kind = body["kind"]
    exception.reason = body["reason"]
    db.session.add(exception)
    db.session.commit()
    settings().forget_calendar()
    return CalendarExceptionSchema().dump(exception), 200 if found else 201


@blueprint.delete("/calendar/exceptions/<int:exception_id>")
@requires(Role.ADMIN)
def remove_calendar_exception(exception_id: int):
    """Give the day back to the regular calendar (an exception entered by mistake)."""
    exception = db.session.get(CalendarException, exception_id)
    if exception is None:
        raise NotFound(f"calendar exception {exception_id} does not exist")

    db.session.delete(exception)
    db.session.commit()
    settings().forget_calendar()
    return "", 204


def _same_agency(agency_code: str | None):
    if agency_code is None:
        return CalendarException.agency_code.is_(None)
    return CalendarException.agency_code == agency_code
