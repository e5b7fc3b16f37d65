"""After completion: the PDF document, its public verification, the IKM rating."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import NIK, bearer

WRONG_NIK = "3510164107900004"
ALL_GOOD = {
    "requirements": 4,
    "procedure": 3,
    "time": 4,
    "cost": 4,
    "product": 3,
    "staff_competence": 4,
    "staff_behaviour": 4,
    "complaint_handling": 3,
    "facilities": 4,
}


def _complete(client, staff) -> None:
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


@pytest.fixture
def completed(client, filed, staff) -> dict:
    _complete(client, staff)
    return filed


def _download(client, number: str, nik: str = NIK):
    return client.post("/console/track/document", data={"number": number, "nik": nik})


def _code_of(client, number: str) -> str:
    pdf = _download(client, number).get_data()
    found = re.search(rb"/console/verify/([0-9A-Z-]+)", pdf)
    assert found is not None
    return found.group(1).decode()


# -- the document ----------------------------------------------------------------


def test_completed_tracking_offers_the_document_and_the_survey(client, completed):
    page = client.post(
        "/console/track",
        data={
            "number": completed["tracking_number"],
            "nik": NIK,
        },
    ).get_data(as_text=True)

    assert 'id="document-form"' in page
    assert 'id="rating-form"' in page
    assert page.count('type="radio"') == 9 * 4
    assert NIK not in page


def test_the_document_is_a_pdf_with_the_tracking_number_and_masked_nik(
    client, completed
):
    number = completed["tracking_number"]

    response = _download(client, number)

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="{number}.pdf"' in response.headers["Content-Disposition"]
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF")
    assert number.encode() in pdf
    assert b"Siti Aminah" in pdf
    assert b"351016********03" in pdf
    assert NIK.encode() not in pdf
    assert b"Dinas Penanaman Modal dan PTSP" in pdf


def test_the_code_stays_the_same_on_every_download(client, completed):
    number = completed["tracking_number"]

    assert _code_of(client, number) == _code_of(client, number)


def test_no_document_before_completion(client, filed):
    response = _download(client, filed["tracking_number"])

    assert response.status_code == 409
    assert response.mimetype == "text/html"


def _issued_codes(app) -> dict[str, str]:
    """Each issued document's code by tracking number, read from the database."""
    from api.extensions import db
    from processes.applications import Application
    from processes.documents import IssuedDocument

    with app.app_context():
        rows = db.session.execute(
            db.select(Application.tracking_number, IssuedDocument.code).join(
                IssuedDocument, IssuedDocument.application_id == Application.id
            )
        ).all()
    return dict(rows)


def test_the_code_is_issued_when_the_application_completes(app, client, filed, staff):
    number = filed["tracking_number"]
    assert _issued_codes(app) == {}

    _complete(client, staff)

    code = _issued_codes(app)[number]
    # Verifiable before anyone downloads it, and the download prints it.
    verified = client.get(f"/console/verify/{code}")
    assert verified.status_code == 200
    assert _code_of(client, number) == code


def test_the_document_is_issued_at_the_completion_moment(app, client, completed):
    from api.extensions import db
    from processes.applications import Application
    from processes.documents import IssuedDocument

    with app.app_context():
        application = db.session.scalar(
            db.select(Application).where(
                Application.tracking_number == completed["tracking_number"]
            )
        )
        issued = db.session.scalar(
            db.select(IssuedDocument).where(
                IssuedDocument.application_id == application.id
            )
        )
        assert issued.issued_at == application.completed_at


def test_no_document_for_the_wrong_nik(client, completed):
    response = _download(client, completed["tracking_number"], WRONG_NIK)

    assert response.status_code == 404
    assert b"%PDF" not in response.get_data()


# -- verification ------------------------------------------------------------------


def test_verify_page_says_valid_for_the_real_code(client, completed):
    code = _code_of(client, completed["tracking_number"])

    response = client.get(f"/console/verify/{code}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dokumen sah" in page
    assert completed["tracking_number"] in page
    assert "Izin usaha mikro" in page
    assert "S*** A*****" in page
    assert "351016********03" in page
    assert NIK not in page
    assert "Siti Aminah" not in page
    assert "081234567890" not in page


def test_verify_reads_a_code_typed_loosely(client, completed):
    code = _code_of(client, completed["tracking_number"])

    typed = client.get(
        "/console/verify", query_string={"code": code.lower()}, follow_redirects=True
    )

    assert "Dokumen sah" in typed.get_data(as_text=True)


def test_verify_page_says_invalid_for_a_wrong_code(client, completed):
    _code_of(client, completed["tracking_number"])

    response = client.get("/console/verify/AAAA-BBBB-CCCC")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Kode tidak dikenal" in page
    assert completed["tracking_number"] not in page


def test_the_verify_form_renders(client):
    page = client.get("/console/verify?lang=en").get_data(as_text=True)

    assert "Verify a document" in page
    assert 'id="verify-form"' in page


# -- the satisfaction survey ------------------------------------------------------


def _rate(client, number: str, scores: dict, nik: str = NIK):
    return client.post(
        "/console/track/rating", data={"number": number, "nik": nik, **scores}
    )


def test_a_rating_is_accepted_once_and_refused_twice(client, completed):
    number = completed["tracking_number"]

    first = _rate(client, number, ALL_GOOD)
    second = _rate(client, number, ALL_GOOD)
    third = _rate(client, number, ALL_GOOD)

    assert first.status_code == 200
    assert "Terima kasih" in first.get_data(as_text=True)
    assert 'id="rating-form"' not in first.get_data(as_text=True)
    assert second.status_code == third.status_code == 409
    assert "sudah dinilai" in second.get_data(as_text=True)


def test_a_rating_needs_every_element_in_range(client, completed):
    number = completed["tracking_number"]

    missing = _rate(client, number, {**ALL_GOOD, "facilities": ""})
    too_high = _rate(client, number, {**ALL_GOOD, "cost": 5})

    assert missing.status_code == too_high.status_code == 422
    assert _rate(client, number, ALL_GOOD).status_code == 200


def test_a_rating_needs_the_right_nik_and_a_completed_application(client, filed):
    number = filed["tracking_number"]

    assert _rate(client, number, ALL_GOOD, WRONG_NIK).status_code == 404
    assert _rate(client, number, ALL_GOOD).status_code == 409
