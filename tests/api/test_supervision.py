"""Supervisors acknowledge escalations; admins open and close calendar days."""

from __future__ import annotations

from datetime import timedelta

from api.extensions import db
from api.models import Role, create_user
from engine.db import utcnow
from engine.sla import Escalation, sweep


def _sweep_far_ahead(app) -> None:
    with app.app_context():
        sweep(db.session, utcnow() + timedelta(days=60))
        db.session.commit()


def _admin_token(app) -> str:
    with app.app_context():
        _, token = create_user(db.session, "admin", Role.ADMIN)
        db.session.commit()
    return token


def test_a_late_application_escalates_to_its_agency_head_and_the_regent(
    app, api, permit_service, submit
):
    submitted = submit().json
    _sweep_far_ahead(app)

    head = api("GET", "/escalations", "zoning_head").json
    regent = api("GET", "/escalations", "regent").json
    assert head["total"] >= 1
    assert {e["agency"] for e in head["items"]} == {"DPMPTSP"}
    assert {e["tracking_number"] for e in head["items"]} == {
        submitted["tracking_number"]
    }
    assert {"agency_head", "regent"} <= {e["role"] for e in regent["items"]}
    assert {"breached"} <= {e["level"] for e in regent["items"]}

    first = head["items"][0]["id"]
    seen = api("POST", f"/escalations/{first}/acknowledge", "zoning_head")
    assert seen.status_code == 200, seen.json
    assert seen.json["acknowledged_by"] == "zoning_head"
    again = api("POST", f"/escalations/{first}/acknowledge", "regent")
    assert again.status_code == 409

    still_open = api("GET", "/escalations", "zoning_head").json
    assert first not in {e["id"] for e in still_open["items"]}
    done = api(
        "GET", "/escalations", "zoning_head", query_string={"acknowledged": "true"}
    )
    assert [e["id"] for e in done.json["items"]] == [first]


def test_an_agency_head_cannot_see_or_acknowledge_another_agencys_escalation(
    app, api, permit_service, submit
):
    submit()
    _sweep_far_ahead(app)
    with app.app_context():
        # As if the file had been held at DINKES: the same instance, that agency.
        instance_id = db.session.scalars(db.select(Escalation.instance_id)).first()
        other = Escalation(
            instance_id=instance_id,
            task_key="dinkes-review",
            level="breached",
            role="agency_head",
            agency="DINKES",
            created_at=utcnow(),
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id

    listed = api("GET", "/escalations", "zoning_head").json["items"]
    assert other_id not in {e["id"] for e in listed}
    assert (
        api("POST", f"/escalations/{other_id}/acknowledge", "zoning_head").status_code
        == 404
    )
    assert (
        api("POST", f"/escalations/{other_id}/acknowledge", "regent").status_code == 200
    )


def test_an_admin_closure_moves_that_agencys_deadlines(app, api, tokens):
    token = _admin_token(app)
    headers = {"Authorization": f"Bearer {token}"}
    query = {
        "start": "2025-03-03T09:00:00+07:00",
        "working_days": 3,
        "agency": "DPMPTSP",
    }
    before = api("GET", "/calendar/deadline", "counter", query_string=query).json

    closure = {
        "agency_code": "DPMPTSP",
        "day": "2025-03-05",
        "kind": "closed",
        "reason": "network outage",
    }
    created = api("PUT", "/calendar/exceptions", headers=headers, json=closure)
    assert created.status_code == 201, created.json
    updated = api(
        "PUT",
        "/calendar/exceptions",
        headers=headers,
        json=closure | {"reason": "network outage, two days"},
    )
    assert updated.status_code == 200
    assert updated.json["id"] == created.json["id"]

    after = api("GET", "/calendar/deadline", "counter", query_string=query).json
    other = api(
        "GET",
        "/calendar/deadline",
        "counter",
        query_string=query | {"agency": "DINKES"},
    ).json
    assert before["deadline"].startswith("2025-03-06T16:00")
    assert after["deadline"].startswith("2025-03-07T16:00")
    assert other["deadline"] == before["deadline"]

    listed = api("GET", "/calendar/exceptions", headers=headers).json
    assert [e["reason"] for e in listed["items"]] == ["network outage, two days"]
    assert api("PUT", "/calendar/exceptions", "regent", json=closure).status_code == 403

    # Entered by mistake: removed, the day counts as before.
    exception = f"/calendar/exceptions/{created.json['id']}"
    assert api("DELETE", exception, headers=headers).status_code == 204
    again = api("GET", "/calendar/deadline", "counter", query_string=query).json
    assert again["deadline"] == before["deadline"]
    assert api("DELETE", exception, headers=headers).status_code == 404


def test_the_calendar_exceptions_from_a_day_on(app, api, tokens):
    headers = {"Authorization": f"Bearer {_admin_token(app)}"}
    for day, reason in (("2026-11-30", "banjir"), ("2026-12-24", "cuti bersama")):
        closure = {"day": day, "kind": "closed", "reason": reason}
        saved = api("PUT", "/calendar/exceptions", headers=headers, json=closure)
        assert saved.status_code == 201

    coming = api(
        "GET",
        "/calendar/exceptions",
        headers=headers,
        query_string={"since": "2026-12-04"},
    ).json

    assert [e["reason"] for e in coming["items"]] == ["cuti bersama"]
    assert coming["total"] == 1
