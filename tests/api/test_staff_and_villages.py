"""Who the token belongs to (``/me``) and the regency's villages (``/villages``)."""

from __future__ import annotations

from processes.models import RegionLevel
from tests.conftest import add_regions

# code, name, level, parent: two kecamatan, a desa and two kelurahan.
REGIONS = (
    ("35.10", "Kabupaten Banyuwangi", RegionLevel.REGENCY, None),
    ("35.10.01", "Pesanggaran", RegionLevel.KECAMATAN, "35.10"),
    ("35.10.16", "Banyuwangi", RegionLevel.KECAMATAN, "35.10"),
    ("35.10.16.1003", "Kebalenan", RegionLevel.KELURAHAN, "35.10.16"),
    ("35.10.16.1001", "Pakis", RegionLevel.KELURAHAN, "35.10.16"),
    ("35.10.01.2001", "Sarongan", RegionLevel.DESA, "35.10.01"),
)


def test_me_names_the_tokens_user(api):
    response = api("GET", "/me", "zoning_officer")

    assert response.status_code == 200
    assert response.json == {
        "name": "zoning_officer",
        "role": "officer",
        "agency_code": "DPMPTSP",
        "village_code": None,
    }


def test_me_needs_a_token(api):
    assert api("GET", "/me").status_code == 401


def test_villages_are_the_desa_and_kelurahan_by_code(app, api):
    add_regions(app, REGIONS)

    response = api("GET", "/villages", "counter")

    assert response.status_code == 200
    assert response.json["total"] == 3
    assert response.json["items"] == [
        {
            "code": "35.10.01.2001",
            "name": "Sarongan",
            "level": "desa",
            "kecamatan_code": "35.10.01",
            "kecamatan": "Pesanggaran",
        },
        {
            "code": "35.10.16.1001",
            "name": "Pakis",
            "level": "kelurahan",
            "kecamatan_code": "35.10.16",
            "kecamatan": "Banyuwangi",
        },
        {
            "code": "35.10.16.1003",
            "name": "Kebalenan",
            "level": "kelurahan",
            "kecamatan_code": "35.10.16",
            "kecamatan": "Banyuwangi",
        },
    ]


def test_villages_come_in_pages(app, api):
    add_regions(app, REGIONS)

    second = api("GET", "/villages", "counter", query_string={"per_page": 2, "page": 2})

    assert [village["name"] for village in second.json["items"]] == ["Kebalenan"]
    assert second.json["total"] == 3
