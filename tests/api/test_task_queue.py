"""An agency's queue: the page and its total agree, whichever filter is used."""

from __future__ import annotations

import pytest

NIKS = ("3510164107900003", "3510164107900004", "3510164107900005")


@pytest.fixture
def three_applications(permit_service, submit):
    for nik in NIKS:
        assert submit(nik=nik).status_code == 201


def _all_pages(api, query: str) -> tuple[list[dict], set[int]]:
    items, totals, number = [], set(), 1
    while True:
        body = api("GET", f"/tasks?{query}&per_page=2&page={number}", "zoning_officer")
        assert body.status_code == 200, body.json
        items += body.json["items"]
        totals.add(body.json["total"])
        if not body.json["items"]:
            return items, totals
        number += 1


@pytest.mark.parametrize(
    "query",
    ["sort=deadline", "state=ready&sort=deadline", "service=DPMPTSP-900"],
)
def test_the_total_counts_every_task_the_pages_hold(api, three_applications, query):
    items, totals = _all_pages(api, query)

    assert totals == {len(items)}
    assert len(items) == len(NIKS)
    assert len({item["id"] for item in items}) == len(items)


def test_a_service_filter_counts_only_that_service(api, three_applications):
    body = api("GET", "/tasks?service=DINKES-001", "zoning_officer").json

    assert (body["total"], body["items"]) == (0, [])
