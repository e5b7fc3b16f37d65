"""Tracking for residents, the working-day calendar and the SLA summary."""

from __future__ import annotations

from flask import Blueprint, current_app

from engine.calendar import JAKARTA, load_calendar
from processes.applications import find_by_tracking

from ..auth import current_user, requires, signed_in
from ..extensions import db, limiter
from ..inbox import holding_agency
from ..models import Role
from ..parsing import query_args
from ..schemas import (
    DeadlineQuery,
    DeadlineSchema,
    SummaryQuery,
    SummarySchema,
    TrackQuery,
    TrackSchema,
)
from ..sla import summary

blueprint = Blueprint("residents", __name__)


def _track_limit() -> str:
    return current_app.config["TRACK_RATE_LIMIT"]


@blueprint.get("/track/<tracking_number>")
@limiter.limit(_track_limit)
def track(tracking_number: str):
    args = query_args(TrackQuery())
    application = find_by_tracking(db.session, tracking_number, args["nik"])
    deadline = application.deadline
    return TrackSchema().dump({
        "tracking_number": application.tracking_number,
        "status": application.status,
        "agency": holding_agency(db.session, application),
        "expected_completion": _local_day(deadline),
    })


@blueprint.get("/calendar/deadline")
@signed_in
def deadline():
    args = query_args(DeadlineQuery())
    calendar = load_calendar(db.session)
    due = calendar.deadline(args["start"], args["working_days"], args.get("agency"))
    return DeadlineSchema().dump({"deadline": due})


@blueprint.get("/sla/summary")
@requires(Role.SUPERVISOR, Role.OFFICER, Role.ANALYST)
def sla_summary():
    args = query_args(SummaryQuery())
    rows = summary(db.session, current_user(), args["group_by"])
    return SummarySchema().dump({"group_by": args["group_by"], "items": rows})


def _local_day(moment):
    return moment.astimezone(JAKARTA).date() if moment else None
