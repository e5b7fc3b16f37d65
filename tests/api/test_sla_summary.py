"""The SLA summary as JSON and as the CSV file the dashboard downloads."""

from __future__ import annotations

import csv
import io

from api.sla import summary_csv

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
