"""Tracking for residents, the working-day calendar and the SLA summary."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from engine.calendar import JAKARTA
from processes.applications import find_by_tracking
from workers.wiring import working_calendar

from ..auth import current_user, requires, signed_in
from ..extensions import db, limiter
from ..inbox import holding_agency
from ..models import Role
from ..parsing import json_body, query_args
from ..schemas import (
    DeadlineQuery,
    DeadlineSchema,
    SummaryQuery,
    SummarySchema,
    TrackInputSchema,
    TrackQuery,
    TrackSchema,
)
from ..sla import summary, summary_csv
from ..tracking import public_timeline

blueprint = Blueprint("residents", __name__)


def _track_limit() -> str:
    return current_app.config["TRACK_RATE_LIMIT"]


# GET and POST draw on one budget per client address.
_track_budget = limiter.shared_limit(_track_limit, scope="track")


@blueprint.post("/track/<tracking_number>")
@_track_budget
def track_posted(tracking_number: str):
    """Track an application; the NIK travels in the JSON body."""
    args = json_body(TrackInputSchema())
    return _tracked(tracking_number, args["nik"])


@blueprint.get("/track/<tracking_number>")
@_track_budget
def track(tracking_number: str):
    """Track an application by ``?nik=``.

    Deprecated: access logs and proxies record the query string, NIK and all.
    Use ``POST /api/v1/track/<tracking_number>`` with ``{"nik": ...}``; this
    route stays for clients of API 1.x and goes in 2.0.
    """
    args = query_args(TrackQuery())
    return _tracked(tracking_number, args["nik"])


def _tracked(tracking_number: str, nik: str) -> dict:
    application = find_by_tracking(db.session, tracking_number, nik)
    deadline = application.deadline
    return TrackSchema().dump(
        {
            "tracking_number": application.tracking_number,
            "status": application.status,
            "agency": holding_agency(db.session, application),
            "expected_completion": _local_day(deadline),
            "timeline": public_timeline(db.session, application),
        }
    )


@blueprint.get("/calendar/deadline")
@signed_in
def deadline():
    args = query_args(DeadlineQuery())
    calendar = working_calendar(db.session)
    due = calendar.deadline(args["start"], args["working_days"], args.get("agency"))
    return DeadlineSchema().dump({"deadline": due})


@blueprint.get("/sla/summary")
@requires(Role.SUPERVISOR, Role.OFFICER, Role.ANALYST)
def sla_summary():
    args = query_args(SummaryQuery())
    rows = summary(db.session, current_user(), args["group_by"], args["count"])
    return SummarySchema().dump(
        {"group_by": args["group_by"], "count": args["count"], "items": rows}
    )


@blueprint.get("/sla/summary.csv")
@requires(Role.SUPERVISOR, Role.OFFICER, Role.ANALYST)
def sla_summary_csv():
    """Return the summary of ``/sla/summary`` as a CSV file to download."""
    args = query_args(SummaryQuery())
    group_by, counted = args["group_by"], args["count"]
    rows = summary(db.session, current_user(), group_by, counted)
    # The task counts keep the file name they always had.
    name = group_by if counted == "tasks" else f"{counted}-{group_by}"
    disposition = f'attachment; filename="sla-summary-{name}.csv"'
    return Response(
        summary_csv(rows, group_by),
        mimetype="text/csv",
        headers={"Content-Disposition": disposition},
    )


def _local_day(moment):
    return moment.astimezone(JAKARTA).date() if moment else None
