"""Agencies' own systems: an admin sets an endpoint; dispatches push signed tasks.

The receiving system is a real HTTP server on loopback. Without Redis the
outbox is drained after each request, so a submission's pushes have happened
when its answer arrives.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from api import create_app
from api.extensions import db
from engine.db import utcnow
from tests.agency_system import LOOPBACK
from tests.waiting import wait_for
from workers import sealing
from workers.agency_push import SIGNATURE_HEADER, signature
from workers.models import AgencyEndpoint, OutboxMessage
from workers.outbox import REDELIVER_AFTER, relay
from workers.queues import InlineDispatcher
from workers.sealing import SecretBox
from workers.wiring import TICKER

SECRET = "dinkes-shared-secret-2026"
NIK = "3510164107900003"


@pytest.fixture(autouse=True)
def loopback_allowed(app):
    """The agency systems of these tests answer on loopback, refused by default."""
    app.config["AGENCY_ENDPOINT_ALLOWED_NETWORKS"] = (LOOPBACK,)


def _set_endpoint(api, admin, url: str, agency: str = "DINKES", secret=SECRET):
    return api(
        "PUT",
        f"/agencies/{agency}/endpoint",
        admin,
        json={"url": url, "secret": secret},
    )


def _dispatches(app, instance_id: int) -> dict[str, OutboxMessage]:
    """The instance's dispatch rows by the agency queue they went to."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.instance_id == instance_id,
                OutboxMessage.job == "dispatch_task",
            )
        ).all()
        db.session.expunge_all()
        return {row.queue: row for row in rows}


def _instance_of(app, application_id: int) -> int:
    from processes.applications import Application

    with app.app_context():
        return db.session.get(Application, application_id).instance_id


def test_an_agency_with_an_endpoint_is_pushed_its_tasks_signed(
    app, api, admin, permit_service, submit, agency_system
):
    assert _set_endpoint(api, admin, agency_system.url).status_code == 201

    created = submit().json

    # Only DINKES gave an endpoint; DPMPTSP works from the inbox alone.
    assert len(agency_system.received) == 1
    headers, body = agency_system.received[0]
    assert headers[SIGNATURE_HEADER] == signature(SECRET, body)
    pushed = json.loads(body)
    dinkes_task = next(t for t in created["tasks"] if t["agency"] == "DINKES")
    assert pushed["agency"] == "DINKES"
    assert [t["task_id"] for t in pushed["tasks"]] == [dinkes_task["id"]]
    assert pushed["tasks"][0]["tracking_number"] == created["tracking_number"]
    assert "3510164107900003" not in body.decode()  # never the resident's NIK
    rows = _dispatches(app, _instance_of(app, created["id"]))
    assert rows["agency.DINKES"].delivered_at is not None


def test_a_refused_push_stays_undelivered_and_goes_again(
    app, api, admin, permit_service, submit, agency_system
):
    _set_endpoint(api, admin, agency_system.url)
    agency_system.status = 503

    created = submit().json
    instance_id = _instance_of(app, created["id"])

    rows = _dispatches(app, instance_id)
    assert rows["agency.DINKES"].delivered_at is None
    assert rows["agency.DPMPTSP"].delivered_at is not None
    assert len(agency_system.received) == 1

    # The system is back; the relay sends what was not delivered again.
    agency_system.status = 200
    with app.app_context():
        later = utcnow() + REDELIVER_AFTER + timedelta(seconds=1)
        relay(db.session, InlineDispatcher(), now=later)

    assert len(agency_system.received) == 2
    assert agency_system.pushes()[1] == agency_system.pushes()[0]
    assert _dispatches(app, instance_id)["agency.DINKES"].delivered_at is not None


def test_without_an_endpoint_nothing_is_pushed_any_more(
    api, admin, permit_service, submit, agency_system
):
    _set_endpoint(api, admin, agency_system.url)
    assert api("DELETE", "/agencies/DINKES/endpoint", admin).status_code == 204

    submit()

    assert agency_system.received == []
    assert api("GET", "/agencies/DINKES/endpoint", admin).status_code == 404


def test_the_endpoint_is_shown_without_its_secret(api, admin):
    _set_endpoint(api, admin, "https://simpus.dinkes.example/terpadu")
    replaced = _set_endpoint(api, admin, "https://simpus.dinkes.example/v2")

    shown = api("GET", "/agencies/DINKES/endpoint", admin)

    assert replaced.status_code == 200
    assert shown.json["url"] == "https://simpus.dinkes.example/v2"
    assert shown.json["updated_by"] == "admin"
    assert SECRET not in shown.get_data(as_text=True)


def test_the_endpoints_are_listed_by_agency_without_their_secrets(api, admin):
    _set_endpoint(api, admin, "https://simpus.dinkes.example/terpadu")
    _set_endpoint(api, admin, "https://sicantik.example/push", agency="DPMPTSP")

    listed = api("GET", "/agency-endpoints", admin)

    assert listed.status_code == 200
    assert listed.json["total"] == 2
    assert [(e["agency_code"], e["url"]) for e in listed.json["items"]] == [
        ("DINKES", "https://simpus.dinkes.example/terpadu"),
        ("DPMPTSP", "https://sicantik.example/push"),
    ]
    assert SECRET not in listed.get_data(as_text=True)


def test_the_secret_is_stored_sealed(app, api, admin):
    _set_endpoint(api, admin, "https://simpus.dinkes.example/terpadu")

    with app.app_context():
        stored = db.session.get(AgencyEndpoint, "DINKES").sealed_secret
        assert SECRET not in stored
        assert sealing.box(app).open(stored) == SECRET


def test_a_secret_no_key_opens_is_never_pushed_unsigned(
    app, api, admin, permit_service, submit, agency_system, caplog
):
    _set_endpoint(api, admin, agency_system.url)
    with app.app_context():
        endpoint = db.session.get(AgencyEndpoint, "DINKES")
        endpoint.sealed_secret = SecretBox([Fernet.generate_key().decode()], "x").seal(
            SECRET
        )
        db.session.commit()

    created = submit()

    assert created.status_code == 201  # the application itself is not held up
    assert agency_system.received == []
    rows = _dispatches(app, _instance_of(app, created.json["id"]))
    assert rows["agency.DINKES"].delivered_at is None
    assert "agency DINKES: no key in" in caplog.text


def test_an_address_no_agency_system_has_is_refused_when_saved(app, api, admin):
    metadata = "http://169.254.169.254/latest/meta-data"
    app.config["AGENCY_ENDPOINT_ALLOWED_NETWORKS"] = ()

    for url in (metadata, "http://127.0.0.1:8080/terpadu"):
        refused = _set_endpoint(api, admin, url)

        assert refused.status_code == 422
        assert refused.json["errors"][0]["field"] == "url"
    assert api("GET", "/agencies/DINKES/endpoint", admin).status_code == 404


def test_a_host_name_of_this_host_is_refused_at_each_push(
    app, api, admin, permit_service, submit, agency_system, caplog
):
    port = agency_system.server.server_port
    _set_endpoint(api, admin, f"http://localhost:{port}/terpadu/tasks")
    app.config["AGENCY_ENDPOINT_ALLOWED_NETWORKS"] = ()

    created = submit()

    assert created.status_code == 201
    assert agency_system.received == []
    rows = _dispatches(app, _instance_of(app, created.json["id"]))
    assert rows["agency.DINKES"].delivered_at is None
    assert "localhost is 127.0.0.1, a loopback address" in caplog.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://simpus.example/x", "secret": SECRET}, "url"),
        ({"url": "not a url", "secret": SECRET}, "url"),
        ({"url": "https://simpus.example/x", "secret": "short"}, "secret"),
    ],
)
def test_a_bad_endpoint_is_refused_naming_the_field(api, admin, body, field):
    answer = api("PUT", "/agencies/DINKES/endpoint", admin, json=body)

    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == field


def test_an_unknown_agency_has_no_endpoint(api, admin):
    answer = _set_endpoint(api, admin, "https://x.example/", agency="NOPE")

    assert answer.status_code == 404


def test_without_redis_an_answer_does_not_wait_for_its_pushes(
    app, api, admin, permit_service, agency_system
):
    # A server as `make run` starts it: no Redis, not testing, so the
    # in-process ticker's thread sends the outbox, woken by the request.
    served = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": None,
            "TRACK_RATE_LIMIT": "1000 per minute",
            "AGENCY_ENDPOINT_ALLOWED_NETWORKS": (LOOPBACK,),
        }
    )
    _set_endpoint(api, admin, agency_system.url)
    agency_system.answering.clear()
    body = {
        "service_code": "DPMPTSP-900",
        "applicant": {"nik": NIK, "name": "Siti Aminah", "phone": "081234567890"},
        "village_code": "35.10.16.2001",
        "data": {},
    }
    headers = {"Authorization": f"Bearer {api.tokens['counter']}"}
    try:
        created = served.test_client().post(
            "/api/v1/applications", json=body, headers=headers
        )
        assert created.status_code == 201

        # Answered, while the agency's system has the push and holds it.
        wait_for(lambda: agency_system.received, timeout=10)
        instance_id = _instance_of(app, created.json["id"])
        assert _dispatches(app, instance_id)["agency.DINKES"].delivered_at is None

        agency_system.answering.set()
        wait_for(
            lambda: _dispatches(app, instance_id)["agency.DINKES"].delivered_at,
            timeout=10,
        )
    finally:
        agency_system.answering.set()
        served.extensions[TICKER].stop()
        with served.app_context():
            db.engine.dispose()


def _keys(app, *keys: str) -> None:
    """Give the app these keys, as a restart with AGENCY_SECRET_KEYS would."""
    app.config["AGENCY_SECRET_KEYS"] = keys
    app.extensions.pop(sealing.EXTENSION, None)


def test_a_new_key_put_first_takes_over_once_the_secrets_are_resealed(app, api, admin):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _keys(app, old)
    _set_endpoint(api, admin, "https://simpus.dinkes.example/terpadu")
    _keys(app, new, old)

    resealed = app.test_cli_runner().invoke(args=["workers", "reseal-secrets"])

    assert resealed.exit_code == 0, resealed.output
    assert "1 agency secrets resealed" in resealed.output
    with app.app_context():
        stored = db.session.get(AgencyEndpoint, "DINKES").sealed_secret
    assert SecretBox([new], "the new key alone").open(stored) == SECRET


def test_resealing_stops_at_a_secret_no_key_opens_and_changes_nothing(app, api, admin):
    _keys(app, Fernet.generate_key().decode())
    _set_endpoint(api, admin, "https://simpus.dinkes.example/terpadu")
    with app.app_context():
        before = db.session.get(AgencyEndpoint, "DINKES").sealed_secret
    _keys(app, Fernet.generate_key().decode())

    refused = app.test_cli_runner().invoke(args=["workers", "reseal-secrets"])

    assert refused.exit_code != 0
    assert "nothing resealed: agency DINKES: no key in" in refused.output
    with app.app_context():
        assert db.session.get(AgencyEndpoint, "DINKES").sealed_secret == before
