"""The SLA summary as JSON and as the CSV file the dashboard downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select, update

from api.extensions import db
from api.sla import summary_csv
from engine.db import utcnow
from engine.sla import SlaClock, sweep
from processes.applications import Application
from workers.wiring import instance_service

HEADER = ["on_track", "at_risk", "breached", "completed_within", "completed_after"]


def _row(key: str | None, **counts: int) -> dict:
    return {"key": key} | {column: counts.get(column, 0) for column in HEADER}


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_holds_the_summarys_rows_under_a_header(api, permit_service, submit):
    # One resident has one open application per service: two residents here.
    for nik in ("3510164107900003", "3510164107900004"):
        assert submit(nik).status_code == 201
    query = {"group_by": "service"}

    answer = api("GET", "/sla/summary.csv", "regent", query_string=query)
    summary = api("GET", "/sla/summary", "regent", query_string=query).json

    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == (
        'attachment; filename="sla-summary-service.csv"'
    )
    # Two applications, each open at DPMPTSP and at DINKES.
    assert _csv_rows(answer) == [
        ["service", *HEADER],
        ["DPMPTSP-900", "4", "0", "0", "0", "0"],
    ]
    assert summary["items"] == [_row("DPMPTSP-900", on_track=4)]


def test_an_agency_head_downloads_only_their_agencys_counts(
    api, permit_service, submit
):
    submit()
    query = {"group_by": "agency"}

    head = _csv_rows(api("GET", "/sla/summary.csv", "zoning_head", query_string=query))
    regent = _csv_rows(api("GET", "/sla/summary.csv", "regent", query_string=query))
    officer = _csv_rows(
        api("GET", "/sla/summary.csv", "hygiene_officer", query_string=query)
    )

    assert [row[0] for row in head] == ["agency", "DPMPTSP"]
    assert [row[0] for row in officer] == ["agency", "DINKES"]
    assert [row[0] for row in regent] == ["agency", "DINKES", "DPMPTSP"]


def test_the_csv_refuses_an_unknown_grouping_in_the_apis_error_shape(api):
    answer = api("GET", "/sla/summary.csv", "regent", query_string={"group_by": "x"})

    assert answer.status_code == 422
    assert set(answer.json) == {"code", "message", "errors"}
    assert answer.json["errors"][0]["field"] == "group_by"


def test_a_key_that_a_spreadsheet_would_run_stays_text():
    keys = ('=HYPERLINK("x")', "@SUM(1)", "35.10.16.2001", None)
    rows = [_row(key, on_track=1) for key in keys]

    written = list(csv.reader(io.StringIO(summary_csv(rows, "village"))))

    assert [row[0] for row in written] == [
        "village",
        '\'=HYPERLINK("x")',
        "'@SUM(1)",
        "35.10.16.2001",
        "",
    ]
    assert written[1][1:] == ["1", "0", "0", "0", "0"]


def _complete_all(api, application: dict) -> None:
    for task in application["tasks"]:
        officer = "zoning_officer" if task["agency"] == "DPMPTSP" else "hygiene_officer"
        done = api("POST", f"/tasks/{task['id']}/complete", officer, json={"data": {}})
        assert done.status_code == 200, done.json


def _move_deadline_back(app, application_id: int, days: int) -> None:
    """Put an application's promised deadline ``days`` in the past."""
    with app.app_context():
        instance_id = db.session.scalar(
            select(Application.instance_id).where(Application.id == application_id)
        )
        db.session.execute(
            update(SlaClock)
            .where(SlaClock.instance_id == instance_id)
            .values(
                deadline=utcnow() - timedelta(days=days),
                at_risk_at=utcnow() - timedelta(days=days + 1),
            )
        )
        db.session.commit()


def test_applications_count_once_under_the_agency_answerable_for_them(
    api, permit_service, submit
):
    for nik in ("3510164107900003", "3510164107900004"):
        assert submit(nik).status_code == 201
    by_agency = {"group_by": "agency"}

    tasks = api("GET", "/sla/summary", "regent", query_string=by_agency).json
    applications = api(
        "GET",
        "/sla/summary",
        "regent",
        query_string=by_agency | {"count": "applications"},
    ).json
    # DINKES works on both applications but answers for neither.
    hygiene = api(
        "GET",
        "/sla/summary",
        "hygiene_officer",
        query_string=by_agency | {"count": "applications"},
    ).json

    assert tasks["count"] == "tasks"
    assert tasks["items"] == [
        _row("DINKES", on_track=2),
        _row("DPMPTSP", on_track=2),
    ]
    assert applications["count"] == "applications"
    assert applications["items"] == [_row("DPMPTSP", on_track=2)]
    assert hygiene["items"] == []


def test_applications_are_counted_by_the_deadline_promised_to_the_resident(
    app, api, permit_service, submit
):
    niks = ("3510164107900003", "3510164107900004", "3510164107900005")
    on_time, late, overdue = (submit(nik).json for nik in niks)
    _complete_all(api, on_time)
    _move_deadline_back(app, late["id"], days=2)
    _move_deadline_back(app, overdue["id"], days=2)
    _complete_all(api, late)
    with app.app_context():
        sweep(db.session, utcnow())
        db.session.commit()
    query = {"group_by": "service", "count": "applications"}

    counted = api("GET", "/sla/summary", "regent", query_string=query).json
    download = api("GET", "/sla/summary.csv", "regent", query_string=query)

    assert counted["items"] == [
        _row("DPMPTSP-900", breached=1, completed_within=1, completed_after=1)
    ]
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="sla-summary-applications-service.csv"'
    )
    assert _csv_rows(download)[1] == ["DPMPTSP-900", "0", "0", "1", "1", "1"]


def test_a_cancelled_application_is_not_counted_as_completed(
    app, api, permit_service, submit
):
    created = submit().json
    with app.app_context():
        application = db.session.get(Application, created["id"])
        instance_service(db.session).cancel(
            application.instance_id, "supervisor", "withdrawn by the applicant"
        )
        assert application.status == "cancelled"
    query = {"group_by": "service", "count": "applications"}

    counted = api("GET", "/sla/summary", "regent", query_string=query).json

    assert counted["items"] == [_row("DPMPTSP-900")]


def test_an_unknown_count_is_refused_naming_the_field(api):
    answer = api("GET", "/sla/summary", "regent", query_string={"count": "residents"})

    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == "count"
