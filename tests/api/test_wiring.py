"""The API's changes reach every listener: SLA clock, agency dispatches, notices."""

from __future__ import annotations

from sqlalchemy import select

from api.extensions import db
from engine.sla import SlaClock
from processes.applications import Application
from workers.models import Notification, OutboxMessage


def test_a_submission_starts_the_clock_and_dispatches_its_tasks(
    app, permit_service, submit
):
    created = submit()
    assert created.status_code == 201, created.json

    with app.app_context():
        application = db.session.get(Application, created.json["id"])
        clock = db.session.get(SlaClock, application.instance_id)
        assert clock is not None
        assert clock.deadline == application.deadline
        assert clock.kecamatan_code == "35.10.16"

        dispatched = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.instance_id == application.instance_id
            )
        ).all()
        task_ids = {task["id"] for task in created.json["tasks"]}
        assert {m.task_id for m in dispatched} >= task_ids
        # Without Redis the outbox is drained in-process after the request.
        assert all(
            m.delivered_at is not None or m.sent_at is not None for m in dispatched
        )

        kinds = db.session.scalars(
            select(Notification.kind).where(
                Notification.instance_id == application.instance_id
            )
        ).all()
        assert "submitted" in kinds


def test_completing_through_the_api_closes_the_clock(app, api, permit_service, submit):
    created = submit().json
    for task in created["tasks"]:
        officer = "zoning_officer" if task["agency"] == "DPMPTSP" else "hygiene_officer"
        done = api("POST", f"/tasks/{task['id']}/complete", officer, json={"data": {}})
        assert done.status_code == 200, done.json

    with app.app_context():
        application = db.session.get(Application, created["id"])
        assert application.status == "completed"
        assert db.session.get(SlaClock, application.instance_id).closed_at is not None
