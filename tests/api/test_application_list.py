"""Listing applications: each user sees the ones they may open, newest first."""

from __future__ import annotations

import pytest

NIKS = ("3510164107900003", "3510164107900004", "3510164107900005")


@pytest.fixture
def three(api, permit_service, submit) -> list[dict]:
    """Three applications filed by the counter clerk, oldest first."""
    return [submit(nik).json for nik in NIKS]


def _listed(api, user: str, **query) -> dict:
    answer = api("GET", "/applications", user, query_string=query)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_clerk_lists_their_applications_newest_first(api, three):
    listed = _listed(api, "counter")

    assert [item["id"] for item in listed["items"]] == [a["id"] for a in three[::-1]]
    assert listed["total"] == 3
    assert set(listed["items"][0]) == {
        "id",
        "tracking_number",
        "service_code",
        "status",
        "village_code",
        "deadline",
        "submitted_at",
        "submitted_by",
        "completed_at",
    }


def test_the_list_filters_by_status_and_tracking_number(api, three):
    cancelled = api(
        "POST",
        f"/applications/{three[0]['id']}/cancel",
        "counter",
        json={"reason": "withdrawn by the applicant"},
    )
    assert cancelled.status_code == 200

    by_status = _listed(api, "counter", status="cancelled")
    by_number = _listed(api, "counter", tracking_number=three[1]["tracking_number"])
    in_progress = _listed(api, "counter", status="in_progress")

    assert [item["id"] for item in by_status["items"]] == [three[0]["id"]]
    assert [item["id"] for item in by_number["items"]] == [three[1]["id"]]
    assert in_progress["total"] == 2


def test_pages_split_the_list_and_keep_the_total(api, three):
    first = _listed(api, "counter", per_page=2, page=1)
    second = _listed(api, "counter", per_page=2, page=2)

    assert (first["total"], second["total"]) == (3, 3)
    shown = [item["id"] for item in first["items"] + second["items"]]
    assert shown == [a["id"] for a in three[::-1]]


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        ("hygiene_officer", 3),  # DINKES works on the joint permit
        ("zoning_head", 3),
        ("regent", 3),
        ("transport_officer", 0),  # DISHUB never does
    ],
)
def test_agency_staff_list_what_their_agency_works_on(api, three, user, sees):
    listed = _listed(api, user)

    assert listed["total"] == sees
    for item in listed["items"]:
        shown = api("GET", f"/applications/{item['id']}", user)
        assert shown.status_code == 200  # the list never names what cannot open


def test_analysts_do_not_list_applications(api, three):
    assert api("GET", "/applications", "analyst").status_code == 403


def test_an_unknown_status_is_refused_naming_the_field(api):
    answer = api("GET", "/applications", "counter", query_string={"status": "lost"})

    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == "status"
