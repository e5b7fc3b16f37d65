"""The counter's receipt and the residents' tracking page, on a real application."""

from __future__ import annotations

import re

from tests.console.conftest import NIK, bearer, complete_first_task

TRACKING_NUMBER = re.compile(r"MPP[0-9A-Z-]+")


def test_receipt_shows_the_tracking_number_and_an_svg_qr_code(client, filed, staff):
    number = filed["tracking_number"]

    response = client.get(
        f"/console/receipts/{number}", headers=bearer(staff["counter"])
    )

    assert response.status_code == 200
    receipt = response.get_data(as_text=True)
    assert TRACKING_NUMBER.fullmatch(number)
    assert f'<strong id="receipt-number">{number}</strong>' in receipt
    assert "Tanda terima permohonan" in receipt
    assert re.search(r'<svg[^>]+xmlns="http://www.w3.org/2000/svg"', receipt)
    assert "<?xml" not in receipt


def test_receipt_masks_the_nik(client, filed, staff):
    receipt = client.get(
        f"/console/receipts/{filed['tracking_number']}",
        headers=bearer(staff["counter"]),
    ).get_data(as_text=True)

    assert NIK not in receipt
    assert "Siti Aminah" in receipt


def test_receipt_needs_the_counter_clerks_token(client, filed, staff):
    path = f"/console/receipts/{filed['tracking_number']}"

    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(staff["analyst"])).status_code == 403


def test_receipt_of_an_unknown_number_is_not_found(client, staff):
    response = client.get(
        "/console/receipts/MPP-NONE", headers=bearer(staff["counter"])
    )

    assert response.status_code == 404


def test_tracking_shows_status_agency_and_expected_date(client, filed):
    response = client.post(
        "/console/track", data={"number": filed["tracking_number"], "nik": NIK}
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert filed["tracking_number"] in page
    assert '<dd id="track-status">Sedang diproses</dd>' in page
    assert "Dinas Penanaman Modal dan PTSP (DPMPTSP)" in page
    expected = re.search(r'<dd id="track-expected">([0-9-]+)</dd>', page)
    assert expected is not None
    assert NIK not in page


def test_tracking_agrees_with_the_api(client, filed):
    number = filed["tracking_number"]
    api = client.get(f"/api/v1/track/{number}?nik={NIK}").json
    page = client.post("/console/track", data={"number": number, "nik": NIK})

    year, month, day = api["expected_completion"].split("-")
    assert f"{day}-{month}-{year}" in page.get_data(as_text=True)


def test_tracking_in_english(client, filed):
    page = client.post(
        "/console/track?lang=en", data={"number": filed["tracking_number"], "nik": NIK}
    )

    assert '<dd id="track-status">In progress</dd>' in page.get_data(as_text=True)


def test_tracking_with_the_wrong_nik_reveals_nothing(client, filed):
    page = client.post(
        "/console/track",
        data={
            "number": filed["tracking_number"],
            "nik": "3510164107900004",
        },
    ).get_data(as_text=True)

    assert "Tidak ada permohonan dengan nomor lacak dan NIK tersebut." in page
    assert "track-status" not in page


def test_tracking_link_from_the_qr_code_prefills_the_number(client, filed):
    page = client.get(f"/console/track?number={filed['tracking_number']}")

    assert f'value="{filed["tracking_number"]}"' in page.get_data(as_text=True)


def test_tracking_shows_completion_once_the_agency_is_done(client, filed, staff):
    officer = bearer(staff["licensing_officer"])
    task = client.get("/api/v1/tasks", headers=officer).json["items"][0]
    assert (
        client.post(f"/api/v1/tasks/{task['id']}/claim", headers=officer).status_code
        == 200
    )
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=officer
    )
    assert done.status_code == 200, done.json

    page = client.post(
        "/console/track",
        data={
            "number": filed["tracking_number"],
            "nik": NIK,
        },
    ).get_data(as_text=True)

    assert '<dd id="track-status">Selesai</dd>' in page


def test_tracking_lists_each_step_without_the_officer(client, filed, staff):
    complete_first_task(client, staff, filed)

    page = client.post(
        "/console/track",
        data={
            "number": filed["tracking_number"],
            "nik": NIK,
        },
    ).get_data(as_text=True)

    timeline = page.split('<ol id="track-timeline"', 1)[1].split("</ol>", 1)[0]
    assert "<strong>Verifikasi berkas</strong>" in timeline
    assert "Dinas Penanaman Modal dan PTSP" in timeline
    assert '<span class="step-state">selesai</span>' in timeline
    assert "licensing_officer" not in page
