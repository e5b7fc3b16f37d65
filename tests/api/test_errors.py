"""Refusals: each bad request gets its documented status in the one error shape."""

from __future__ import annotations

import pytest

from api.extensions import db
from api.models import User

VALID_NIK = "3510164107900003"


def _shape(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"code", "message", "errors"}
    assert response.json["code"] == status
    return response.json


@pytest.mark.parametrize(
    "nik, part",
    [
        ("35101641079000", "applicant.nik"),
        ("3510994107900003", "applicant.nik"),
        ("3510164199900003", "applicant.nik"),
    ],
)
def test_bad_nik_is_422_naming_the_field(api, permit_service, submit, nik, part):
    body = _shape(submit(nik=nik), 422)

    assert [e["field"] for e in body["errors"]] == [part]
    assert nik not in body["message"]


def test_unknown_service_is_422(api, submit):
    body = _shape(submit(service="NOPE-001"), 422)

    assert body["errors"][0]["field"] == "service_code"


def test_second_active_application_is_409(api, permit_service, submit):
    assert submit().status_code == 201

    _shape(submit(), 409)


def test_idempotency_key_returns_the_same_application(api, permit_service, submit):
    first = submit(headers={"Idempotency-Key": "desk-7-0001"})
    again = submit(headers={"Idempotency-Key": "desk-7-0001"})

    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]


def test_malformed_diagram_is_422_with_locations(api, tokens):
    xml = b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>"
    body = _shape(
        api("POST", "/diagrams", "analyst", data=xml, content_type="application/xml"),
        422,
    )

    assert set(body["errors"][0]) == {"file", "element_id", "line", "message"}


def test_diagram_with_unknown_lane_is_422(api, tokens):
    xml = (
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        b' id="d"><bpmn:process id="p" isExecutable="true"><bpmn:laneSet id="s">'
        b'<bpmn:lane id="l" name="NOWHERE"/></bpmn:laneSet>'
        b'<bpmn:startEvent id="start"/></bpmn:process></bpmn:definitions>'
    )
    body = _shape(
        api("POST", "/diagrams", "analyst", data=xml, content_type="application/xml"),
        422,
    )

    assert any(e["element_id"] == "l" for e in body["errors"])


def test_multipart_upload_deploys(api, tokens):
    import io
    from pathlib import Path

    xml = (Path(__file__).parent / "diagrams" / "joint_permit.bpmn").read_bytes()
    response = api(
        "POST",
        "/diagrams",
        "analyst",
        data={"file": (io.BytesIO(xml), "joint_permit.bpmn")},
    )

    assert response.status_code == 201


def test_malformed_json_is_400(api, tokens):
    _shape(
        api(
            "POST",
            "/applications",
            "counter",
            data="{not json",
            content_type="application/json",
        ),
        400,
    )


def test_missing_fields_are_named(api, tokens):
    body = _shape(
        api("POST", "/applications", "counter", json={"applicant": {"nik": VALID_NIK}}),
        422,
    )

    fields = {e["field"] for e in body["errors"]}
    assert {"service_code", "applicant.name", "applicant.phone"} <= fields


def test_no_token_is_401_and_wrong_role_403(api, tokens):
    _shape(api("GET", "/tasks"), 401)
    _shape(api("GET", "/tasks", "counter"), 403)
    _shape(
        api(
            "POST", "/diagrams", "counter", data=b"<x/>", content_type="application/xml"
        ),
        403,
    )


def test_officer_cannot_read_another_agencys_queue(api, tokens):
    _shape(
        api("GET", "/tasks", "transport_officer", query_string={"agency": "DINKES"}),
        403,
    )


def test_application_outside_scope_is_404(api, permit_service, submit):
    created = submit().json

    _shape(api("GET", f"/applications/{created['id']}", "transport_officer"), 404)
    assert (
        api("GET", f"/applications/{created['id']}", "zoning_officer").status_code
        == 200
    )


def test_claimed_task_is_409_for_a_colleague(app, api, permit_service, submit):
    task = next(t for t in submit().json["tasks"] if t["agency"] == "DINKES")
    with app.app_context():
        from api.models import Role, create_user

        _, token = create_user(
            db.session, "second_hygienist", Role.OFFICER, agency_code="DINKES"
        )
        db.session.commit()
    api.tokens["second_hygienist"] = token

    assert (
        api("POST", f"/tasks/{task['id']}/claim", "hygiene_officer").status_code == 200
    )
    _shape(api("POST", f"/tasks/{task['id']}/claim", "second_hygienist"), 409)
    _shape(
        api(
            "POST",
            f"/tasks/{task['id']}/complete",
            "second_hygienist",
            json={"data": {}},
        ),
        409,
    )

    assigned = api(
        "POST",
        f"/tasks/{task['id']}/assign",
        "regent",
        json={"user": "second_hygienist"},
    )
    assert assigned.json["claimed_by"] == "second_hygienist"
    _shape(
        api(
            "POST",
            f"/tasks/{task['id']}/assign",
            "zoning_head",
            json={"user": "second_hygienist"},
        ),
        403,
    )


def test_tracking_hides_whether_the_number_exists(api, permit_service, submit):
    number = submit().json["tracking_number"]

    wrong_nik = _shape(
        api("GET", f"/track/{number}", query_string={"nik": "3510164107900004"}), 404
    )
    wrong_number = _shape(
        api("GET", "/track/MPP-2026-999999", query_string={"nik": VALID_NIK}), 404
    )
    assert wrong_nik == wrong_number


def test_tracking_is_rate_limited(app, api, tokens):
    app.config["TRACK_RATE_LIMIT"] = "2 per minute"
    for _ in range(2):
        api("GET", "/track/MPP-2026-000001", query_string={"nik": VALID_NIK})

    _shape(api("GET", "/track/MPP-2026-000001", query_string={"nik": VALID_NIK}), 429)


def test_body_too_large_is_413(app, api, tokens):
    app.config["MAX_CONTENT_LENGTH"] = 100
    _shape(
        api(
            "POST",
            "/diagrams",
            "analyst",
            data=b"<x/>" * 100,
            content_type="application/xml",
        ),
        413,
    )


def test_deadline_follows_the_working_day_rule(api, tokens):
    response = api(
        "GET",
        "/calendar/deadline",
        "counter",
        query_string={"start": "2026-03-13T10:00:00+07:00", "working_days": "1"},
    )

    assert response.json == {"deadline": "2026-03-16T16:00:00+07:00"}
    _shape(
        api(
            "GET",
            "/calendar/deadline",
            "counter",
            query_string={"start": "2026-03-13T10:00:00", "working_days": "1"},
        ),
        422,
    )


def test_user_create_prints_the_token_last(app, api):
    result = app.test_cli_runner().invoke(
        args=[
            "user",
            "create",
            "desk_glenmore",
            "--role",
            "counter",
            "--village",
            "35.10.16.2001",
        ]
    )

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        user = db.session.query(User).filter_by(name="desk_glenmore").one()
        assert user.token_hash != token and user.village_code == "35.10.16.2001"
    assert (
        api.client.get(
            "/api/v1/agencies", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )


def test_openapi_and_docs_are_served(api):
    document = api("GET", "/openapi.json").json

    assert document["openapi"].startswith("3.")
    assert "/applications" in document["paths"]
    assert api("GET", "/docs").status_code == 200
