"""Listing applications: each user sees the ones they may open, newest first."""

from __future__ import annotations

import pytest

from api.extensions import db
from api.models import Role, create_user

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
        "may_cancel",
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


@pytest.mark.parametrize(
    ("user", "may_cancel"),
    [
        ("counter", True),  # filed them
        ("zoning_head", True),  # the service is DPMPTSP's
        ("regent", True),
        ("hygiene_officer", False),  # officers work on tasks, never cancel
    ],
)
def test_the_list_says_who_may_cancel_what_the_cancel_allows(
    api, three, user, may_cancel
):
    listed = _listed(api, user)

    assert {item["may_cancel"] for item in listed["items"]} == {may_cancel}
    cancelled = api(
        "POST",
        f"/applications/{three[0]['id']}/cancel",
        user,
        json={"reason": "withdrawn by the applicant"},
    )
    assert cancelled.status_code == (200 if may_cancel else 403)


def test_an_agency_head_may_not_cancel_another_agencys_service(app, api, three):
    with app.app_context():
        _, api.tokens["hygiene_head"] = create_user(
            db.session, "hygiene_head", Role.SUPERVISOR, agency_code="DINKES"
        )
        db.session.commit()

    listed = _listed(api, "hygiene_head")

    # DINKES works on the joint permit, so its head lists it, but DPMPTSP
    # answers for the service.
    assert listed["total"] == 3
    assert not any(item["may_cancel"] for item in listed["items"])


def test_an_ended_application_is_not_offered_for_cancelling(api, three):
    api(
        "POST",
        f"/applications/{three[0]['id']}/cancel",
        "counter",
        json={"reason": "withdrawn by the applicant"},
    )

    listed = _listed(api, "counter")

    offered = {item["id"]: item["may_cancel"] for item in listed["items"]}
    assert offered == {
        three[0]["id"]: False,
        three[1]["id"]: True,
        three[2]["id"]: True,
    }
