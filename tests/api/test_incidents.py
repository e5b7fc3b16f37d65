"""Applications a failed step stopped: listed for the admin, and run again."""

from __future__ import annotations

import pytest

from tests.api.conftest import VALID_NIK, offer_service

SERVICE = "DPMPTSP-950"


@pytest.fixture
def stopped(api) -> dict:
    """An application whose levy script failed: the counter gave no quantity."""
    offer_service(
        api, "needs_quantity", SERVICE, name_id="Retribusi", sla_working_days=3
    )
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
