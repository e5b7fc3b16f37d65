"""Staff accounts kept by an admin: made, listed, given new tokens, deactivated."""

from __future__ import annotations

import pytest

from processes.models import RegionLevel
from tests.conftest import add_regions

REGIONS = (
    ("35.10", "Kabupaten Banyuwangi", RegionLevel.REGENCY, None),
    ("35.10.16", "Banyuwangi", RegionLevel.KECAMATAN, "35.10"),
    ("35.10.16.1003", "Kebalenan", RegionLevel.KELURAHAN, "35.10.16"),
)


def _make(api, admin, **account):
    return api("POST", "/users", admin, json=account)


def _as(api, token: str, path: str = "/me"):
    return api.client.get(
        f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"}
    )


def test_a_new_officer_signs_in_with_the_token_shown_once(api, admin):
    made = _make(api, admin, name="rina.dinkes", role="officer", agency_code="DINKES")

    assert made.status_code == 201, made.json
    token = made.json["token"]
    assert _as(api, token).json == {
        "name": "rina.dinkes",
        "role": "officer",
        "agency_code": "DINKES",
        "village_code": None,
    }
    assert _as(api, token, "/tasks").status_code == 200
    listed = api("GET", "/users", admin, query_string={"agency": "DINKES"})
    assert [u["name"] for u in listed.json["items"]] == [
        "hygiene_officer",
        "rina.dinkes",
    ]
    assert token not in listed.get_data(as_text=True)


def test_a_new_token_replaces_the_old_one(api, admin):
    made = _make(api, admin, name="budi", role="counter").json

    renewed = api("POST", f"/users/{made['id']}/token", admin)

    assert renewed.status_code == 200
    assert _as(api, made["token"]).status_code == 401
    assert _as(api, renewed.json["token"]).json["name"] == "budi"


def test_a_deactivated_account_is_refused_until_activated_again(api, admin):
    made = _make(api, admin, name="budi", role="analyst").json
    assert _as(api, made["token"]).status_code == 200

    off = api("PATCH", f"/users/{made['id']}", admin, json={"active": False})
    refused = _as(api, made["token"])
    on = api("PATCH", f"/users/{made['id']}", admin, json={"active": True})

    assert off.json["active"] is False
    assert refused.status_code == 401
    assert on.json["active"] is True
    assert _as(api, made["token"]).status_code == 200


def test_an_admin_cannot_lock_themselves_out(api, admin):
    me = api("GET", "/users", admin, query_string={"role": "admin"}).json["items"][0]

    refused = api("PATCH", f"/users/{me['id']}", admin, json={"active": False})

    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "active"
    assert api("GET", "/me", admin).status_code == 200


def test_a_village_office_clerk_sits_in_a_village(app, api, admin):
    add_regions(app, REGIONS)

    made = _make(
        api, admin, name="clerk.kebalenan", role="counter", village_code="35.10.16.1003"
    )
    kecamatan = _make(
        api, admin, name="clerk.kecamatan", role="counter", village_code="35.10.16"
    )

    assert made.status_code == 201
    assert _as(api, made.json["token"]).json["village_code"] == "35.10.16.1003"
    assert kecamatan.status_code == 422
    assert kecamatan.json["errors"][0]["field"] == "village_code"


@pytest.mark.parametrize(
    ("account", "field"),
    [
        ({"name": "x.officer", "role": "officer"}, "agency_code"),
        ({"name": "x.analyst", "role": "analyst", "agency_code": "DINKES"},
         "agency_code"),
        ({"name": "x.officer", "role": "officer", "agency_code": "NOPE"},
         "agency_code"),
        ({"name": "x.head", "role": "supervisor", "village_code": "35.10.16.1003"},
         "village_code"),
        ({"name": "x y", "role": "counter"}, "name"),
        ({"name": "x.clerk", "role": "mayor"}, "role"),
    ],
)  # fmt: skip
def test_an_account_that_does_not_fit_is_refused_naming_the_field(
    api, admin, account, field
):
    refused = _make(api, admin, **account)

    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == field
    names = [u["name"] for u in api("GET", "/users", admin).json["items"]]
    assert account["name"] not in names


def test_a_name_is_taken_once(api, admin):
    _make(api, admin, name="budi", role="counter")

    again = _make(api, admin, name="budi", role="analyst")

    assert again.status_code == 409
    assert "budi" in again.json["message"]


def test_an_unknown_account_is_missing(api, admin):
    assert api("POST", "/users/99999/token", admin).status_code == 404
    patched = api("PATCH", "/users/99999", admin, json={"active": False})
    assert patched.status_code == 404
