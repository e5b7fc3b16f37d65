"""Residents' text messages through an SMS gateway, a real HTTP server on loopback."""

from __future__ import annotations

import json

from sqlalchemy import select

from api.config import Settings
from api.extensions import db
from workers.models import Notification
from workers.notifications import (
    LoggingAdapter,
    SmsGatewayAdapter,
    adapter_for,
    deliver_pending,
)

PHONE = "081234567890"  # what the submit fixture gives


def _deliver(app, gateway_url: str) -> int:
    with app.app_context():
        return deliver_pending(db.session, SmsGatewayAdapter(gateway_url, "sms-token"))


def _pending(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.kind).where(Notification.delivered_at.is_(None))
            )
        )


def test_the_applicant_is_texted_the_tracking_number(
    app, permit_service, submit, agency_system
):
    created = submit().json

    assert _deliver(app, agency_system.url) == 1

    [(headers, body)] = agency_system.received
    message = json.loads(body)
    assert headers["Authorization"] == "Bearer sms-token"
    assert message["to"] == PHONE
    assert created["tracking_number"] in message["message"]
    assert "diterima" in message["message"]
    assert "3510164107900003" not in body.decode()  # never the NIK
    assert _pending(app) == []


def test_a_cancelled_application_is_texted_so(
    app, api, permit_service, submit, agency_system
):
    created = submit().json
    api(
        "POST",
        f"/applications/{created['id']}/cancel",
        "counter",
        json={"reason": "withdrawn by the applicant"},
    )

    assert _deliver(app, agency_system.url) == 2

    texts = [json.loads(body)["message"] for _, body in agency_system.received]
    assert texts[1] == f"Permohonan {created['tracking_number']} telah dibatalkan."


def test_messages_wait_while_the_gateway_fails(
    app, permit_service, submit, agency_system
):
    submit("3510164107900003")
    submit("3510164107900004")
    agency_system.status = 502

    # The first failure stops the round: the gateway is likely down.
    assert _deliver(app, agency_system.url) == 0
    assert len(agency_system.received) == 1
    assert _pending(app) == ["submitted", "submitted"]

    agency_system.status = 200
    assert _deliver(app, agency_system.url) == 2
    assert _pending(app) == []


def test_the_gateway_is_used_only_when_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("SMS_GATEWAY_URL", "https://sms.example/send")
    monkeypatch.setenv("SMS_GATEWAY_TOKEN", "sms-token")
    configured = Settings.from_environment().flask_config(str(tmp_path))
    monkeypatch.delenv("SMS_GATEWAY_URL")
    unset = Settings.from_environment().flask_config(str(tmp_path))

    chosen = adapter_for(configured)

    assert isinstance(chosen, SmsGatewayAdapter)
    assert (chosen.url, chosen.token) == ("https://sms.example/send", "sms-token")
    assert isinstance(adapter_for(unset), LoggingAdapter)
