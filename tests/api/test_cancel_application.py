"""Cancelling an application: who may, what it closes, and what it leaves behind."""

from __future__ import annotations

from sqlalchemy import select

from api.extensions import db
from api.models import Role, create_user
from engine import audit
from engine.models import AuditEvent, Task, TaskState
from engine.sla import SlaClock
from processes.applications import Application
from workers.models import Notification

REASON = {"reason": "withdrawn by the applicant at the counter"}


def _cancel(api, application_id: int, user: str, body=REASON):
    return api("POST", f"/applications/{application_id}/cancel", user, json=body)


def test_a_clerk_cancels_an_application_and_everything_it_held_closes(
    app, api, permit_service, submit
):
    created = submit().json

    answer = _cancel(api, created["id"], "counter")

    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "cancelled"
    assert answer.json["tasks"] == []
    with app.app_context():
        application = db.session.get(Application, created["id"])
        tasks = db.session.scalars(
            select(Task).where(Task.instance_id == application.instance_id)
        ).all()
        assert {task.state for task in tasks} == {TaskState.CANCELLED.value}
        clock = db.session.get(SlaClock, application.instance_id)
        assert clock.closed_at is not None
        kinds = db.session.scalars(
            select(Notification.kind).where(
                Notification.instance_id == application.instance_id
            )
        ).all()
        assert "cancelled" in kinds
        cancelled = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "instance_cancelled")
        ).one()
        assert cancelled.actor == "counter"
        assert cancelled.detail == REASON
        assert audit.verify(db.session) == []


def test_the_resident_may_apply_again_once_cancelled(api, permit_service, submit):
    first = submit().json
    assert submit().status_code == 409  # one active application per service

    assert _cancel(api, first["id"], "counter").status_code == 200

    again = submit()
    assert again.status_code == 201, again.json
    assert again.json["tracking_number"] != first["tracking_number"]


def test_an_ended_application_cannot_be_cancelled(api, permit_service, submit):
    created = submit().json
    assert _cancel(api, created["id"], "counter").status_code == 200

    again = _cancel(api, created["id"], "counter")

    assert again.status_code == 409
    assert "already cancelled" in again.json["message"]


def test_only_the_answerable_agency_head_or_the_regent_cancels(
    app, api, permit_service, submit
):
    with app.app_context():
        _, api.tokens["hygiene_head"] = create_user(
            db.session, "hygiene_head", Role.SUPERVISOR, agency_code="DINKES"
        )
        db.session.commit()
    first, second = (
        submit(nik).json for nik in ("3510164107900003", "3510164107900004")
    )

    # DINKES works on the application, so its head reads it, but the service
    # is DPMPTSP's; an officer never cancels.
    assert _cancel(api, first["id"], "hygiene_head").status_code == 403
    assert _cancel(api, first["id"], "zoning_officer").status_code == 403
    assert api("GET", f"/applications/{first['id']}", "hygiene_head").status_code == 200

    assert _cancel(api, first["id"], "zoning_head").status_code == 200
    assert _cancel(api, second["id"], "regent").status_code == 200


def test_a_cancellation_without_a_reason_is_refused_naming_it(
    api, permit_service, submit
):
    created = submit().json

    refused = _cancel(api, created["id"], "counter", body={})

    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "reason"
    shown = api("GET", f"/applications/{created['id']}", "counter").json
    assert shown["status"] == "in_progress"


def test_an_unknown_application_is_not_found(api):
    assert _cancel(api, 999_999, "counter").status_code == 404
