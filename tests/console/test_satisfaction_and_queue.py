"""The satisfaction index's arithmetic and endpoint, and the counter queue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.extensions import db
from processes.queue_tickets import call_next, take_ticket
from processes.satisfaction import ELEMENTS, grade_of, index_of
from tests.console.conftest import NIK, bearer
from tests.console.test_completion import _rate

# -- the index ---------------------------------------------------------------------


def test_index_is_the_mean_of_element_means_times_25():
    means = dict.fromkeys(ELEMENTS, 3.0) | {"cost": 4.0, "time": 2.0}

    assert index_of(means) == pytest.approx(75.0)
    assert index_of(dict.fromkeys(ELEMENTS, 4.0)) == 100
    assert index_of(dict.fromkeys(ELEMENTS, 1.0)) == 25


@pytest.mark.parametrize(
    "index, grade",
    [
        (100, "A"),
        (88.31, "A"),
        (88.30, "B"),
        (76.61, "B"),
        (76.60, "C"),
        (65.0, "C"),
        (64.99, "D"),
        (25, "D"),
    ],
)
def test_grades_follow_the_regulations_bands(index, grade):
    assert grade_of(index) == grade


def _complete_application(client, staff, serial: int) -> tuple[str, str]:
    from tests.console.conftest import SERVICE

    nik = f"{NIK[:12]}{serial:04d}"
    body = {
        "service_code": SERVICE,
        "data": {},
        "applicant": {"nik": nik, "name": "Budi", "phone": "081234567890"},
    }
    filed = client.post(
        "/api/v1/applications", json=body, headers=bearer(staff["counter"])
    )
    assert filed.status_code == 201, filed.json
    officer = bearer(staff["licensing_officer"])
    task = filed.json["tasks"][0]["id"]
    client.post(f"/api/v1/tasks/{task}/claim", headers=officer)
    done = client.post(
        f"/api/v1/tasks/{task}/complete", json={"data": {}}, headers=officer
    )
    assert done.status_code == 200, done.json
    return filed.json["tracking_number"], nik


def test_the_endpoint_computes_the_index_of_known_ratings(client, filed, staff):
    # Two residents: all 4s, and all 2s but 3 for cost. Element means are
    # 3 everywhere but cost (3.5): (8 x 3 + 3.5) / 9 x 25 = 76.39.
    first, first_nik = _complete_application(client, staff, 11)
    second, second_nik = _complete_application(client, staff, 12)
    assert (
        _rate(client, first, dict.fromkeys(ELEMENTS, 4), first_nik).status_code == 200
    )
    lows = dict.fromkeys(ELEMENTS, 2) | {"cost": 3}
    assert _rate(client, second, lows, second_nik).status_code == 200

    by_agency = client.get(
        "/api/v1/satisfaction?group_by=agency", headers=bearer(staff["regent"])
    )
    by_service = client.get("/api/v1/satisfaction", headers=bearer(staff["regent"]))

    assert by_agency.status_code == 200, by_agency.json
    row = by_agency.json["items"][0]
    assert row["key"] == "DPMPTSP"
    assert row["respondents"] == 2
    assert row["elements"]["cost"] == 3.5
    assert row["elements"]["time"] == 3.0
    assert row["index"] == pytest.approx(76.39)
    assert row["grade"] == "C"
    assert by_service.json["group_by"] == "service"
    assert by_service.json["items"][0]["key"] == "DPMPTSP-901"


def test_the_endpoint_is_for_supervisors(client, staff):
    assert client.get("/api/v1/satisfaction").status_code == 401
    officer = client.get(
        "/api/v1/satisfaction", headers=bearer(staff["licensing_officer"])
    )
    assert officer.status_code == 403
    bad = client.get(
        "/api/v1/satisfaction?group_by=village", headers=bearer(staff["regent"])
    )
    assert bad.status_code == 422


# -- the counter queue --------------------------------------------------------------


def test_queue_numbers_increase_per_counter(client):
    numbers = []
    for _ in range(3):
        taken = client.post("/console/queue/a1/take")
        assert taken.status_code == 201
        numbers.append(taken.get_data(as_text=True))
    other = client.post("/console/queue/B2/take").get_data(as_text=True)

    assert 'id="ticket-number">A1-001<' in numbers[0]
    assert 'id="ticket-number">A1-002<' in numbers[1]
    assert 'id="ticket-number">A1-003<' in numbers[2]
    assert 'id="ticket-number">B2-001<' in other


def test_the_clerk_calls_in_order_and_the_screen_shows_it(client, staff):
    for _ in range(2):
        client.post("/console/queue/A1/take")
    clerk = bearer(staff["counter"])

    assert "Belum ada" in client.get("/console/queue/A1/screen").get_data(as_text=True)
    first = client.post("/console/queue/A1/next", headers=clerk)
    second = client.post("/console/queue/A1/next", headers=clerk)
    none_left = client.post("/console/queue/A1/next", headers=clerk)

    assert first.json == {"counter": "A1", "number": 1, "waiting": 1}
    assert second.json["number"] == 2
    assert none_left.json["number"] is None
    screen = client.get("/console/queue/A1/screen").get_data(as_text=True)
    assert 'id="now-serving">A1-002<' in screen
    state = client.get("/console/queue/A1/state").json
    assert state == {"counter": "A1", "now_serving": 2, "waiting": 0}


def test_calling_needs_a_counter_clerk(client, staff):
    assert client.post("/console/queue/A1/next").status_code == 401
    analyst = client.post("/console/queue/A1/next", headers=bearer(staff["analyst"]))
    assert analyst.status_code == 403


def test_a_bad_counter_name_is_not_found(client):
    assert client.post("/console/queue/no%20such/take").status_code == 404
    assert client.get(f"/console/queue/{'x' * 17}/screen").status_code == 404


def test_numbering_restarts_each_jakarta_day(app):
    late = datetime(2026, 3, 2, 16, 59, tzinfo=UTC)  # 23:59 in Jakarta
    next_morning = datetime(2026, 3, 2, 17, 1, tzinfo=UTC)
    with app.app_context():
        assert take_ticket(db.session, "C3", clock=lambda: late).number == 1
        assert take_ticket(db.session, "C3", clock=lambda: late).number == 2
        assert take_ticket(db.session, "C3", clock=lambda: next_morning).number == 1
        called = call_next(db.session, "C3", "clerk", clock=lambda: next_morning)
        assert called.day.isoformat() == "2026-03-03"
