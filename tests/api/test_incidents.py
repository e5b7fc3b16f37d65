"""Applications a failed step stopped: listed for the admin, and run again."""

from __future__ import annotations

import pytest

from api.extensions import db
from api.models import Role, create_user
from tests.api.conftest import DIAGRAMS, VALID_NIK

SERVICE = "DPMPTSP-950"


@pytest.fixture
def admin(app, api) -> str:
    with app.app_context():
        _, api.tokens["admin"] = create_user(db.session, "admin", Role.ADMIN)
        db.session.commit()
    return "admin"


@pytest.fixture
def stopped(api) -> dict:
    """An application whose levy script failed: the counter gave no quantity."""
    xml = (DIAGRAMS / "needs_quantity.bpmn").read_bytes()
    deployed = api(
        "POST", "/diagrams", "analyst", data=xml, content_type="application/xml"
    )
    assert deployed.status_code == 201, deployed.json
    entry = {
        "name_id": "Retribusi",
        "agency_code": "DPMPTSP",
        "process_id": "needs_quantity",
        "sla_working_days": 3,
        "fee_kind": "free",
        "fee_idr": 0,
        "required_documents": ["KTP-el"],
    }
    assert api("PUT", f"/services/{SERVICE}", "analyst", json=entry).status_code == 201
    body = {
        "service_code": SERVICE,
        "applicant": {"nik": VALID_NIK, "name": "Siti Aminah", "phone": "0812345678"},
        "data": {},
    }
    submitted = api("POST", "/applications", "counter", json=body)
    assert submitted.status_code == 201, submitted.json
    assert submitted.json["status"] == "error"
    return submitted.json


def test_the_admin_sees_where_and_why_an_application_stopped(api, admin, stopped):
    listed = api("GET", "/incidents", admin)

    assert listed.status_code == 200
    [incident] = listed.json["items"]
    assert incident["tracking_number"] == stopped["tracking_number"]
    assert incident["service_code"] == SERVICE
    assert incident["element_id"] == "compute"
    assert "quantity" in incident["message"]
    assert incident["line"] is not None


def test_a_retry_with_the_missing_data_moves_the_application_on(api, admin, stopped):
    retried = api(
        "POST",
        f"/applications/{stopped['id']}/retry",
        admin,
        json={"data": {"quantity": 3}},
    )

    assert retried.status_code == 200, retried.json
    assert retried.json["status"] == "in_progress"
    assert [t["name"] for t in retried.json["tasks"]] == ["Take the payment"]
    assert api("GET", "/incidents", admin).json["total"] == 0
    again = api("POST", f"/applications/{stopped['id']}/retry", admin, json={})
    assert again.status_code == 409


def test_a_retry_without_a_fix_leaves_it_stopped(api, admin, stopped):
    retried = api("POST", f"/applications/{stopped['id']}/retry", admin, json={})

    assert retried.status_code == 200
    assert retried.json["status"] == "error"
    assert api("GET", "/incidents", admin).json["total"] == 1
