"""The API under test: an app per test on a real database, with users and agencies.

``app`` runs each test on SQLite (a fresh file) and on PostgreSQL (the shared
test database, emptied afterwards). ``tokens`` holds a bearer token per user
name; ``api`` is a small JSON client that signs requests as one of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api import create_app
from api.extensions import db
from api.models import Role, create_user
from tests.conftest import agency_row, empty_all_tables

DIAGRAMS = Path(__file__).parent / "diagrams"
AGENCIES = ("DPMPTSP", "DINKES", "DISHUB")
USERS = {
    "analyst": (Role.ANALYST, None, None),
    "counter": (Role.COUNTER, None, None),
    "zoning_officer": (Role.OFFICER, "DPMPTSP", None),
    "hygiene_officer": (Role.OFFICER, "DINKES", None),
    "transport_officer": (Role.OFFICER, "DISHUB", None),
    "zoning_head": (Role.SUPERVISOR, "DPMPTSP", None),
    "regent": (Role.SUPERVISOR, None, None),
}
VALID_NIK = "3510164107900003"


def _app_for(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "TRACK_RATE_LIMIT": "1000 per minute",
        }
    )


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def app(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    app = _app_for(url)
    with app.app_context():
        db.create_all()
    yield app

    with app.app_context():
        db.session.remove()
        if request.param == "postgresql":
            empty_all_tables(db.engine)
        db.engine.dispose()


@pytest.fixture
def tokens(app) -> dict[str, str]:
    with app.app_context():
        db.session.add_all(agency_row(code) for code in AGENCIES)
        issued = {}
        for name, (role, agency, village) in USERS.items():
            _, issued[name] = create_user(
                db.session, name, role, agency_code=agency, village_code=village
            )
        db.session.commit()
    return issued


class Api:
    """Send JSON to ``/api/v1`` as one user, through the Flask test client."""

    def __init__(self, client, tokens):
        self.client, self.tokens = client, tokens

    def __call__(self, method, path, user=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.client.open(
            f"/api/v1{path}", method=method, headers=headers, **kwargs
        )


@pytest.fixture
def api(app, tokens):
    return Api(app.test_client(), tokens)


@pytest.fixture
def admin(app, api) -> str:
    """Add an admin to the users; return the name ``api`` signs as."""
    with app.app_context():
        _, api.tokens["admin"] = create_user(db.session, "admin", Role.ADMIN)
        db.session.commit()
    return "admin"


def offer_service(api, diagram: str, code: str, **entry) -> dict:
    """Deploy ``diagrams/<diagram>.bpmn`` and offer it as service ``code``."""
    xml = (DIAGRAMS / f"{diagram}.bpmn").read_bytes()
    deployed = api(
        "POST", "/diagrams", "analyst", data=xml, content_type="application/xml"
    )
    assert deployed.status_code == 201, deployed.json
    entry = {
        "name_id": "Izin bersama",
        "agency_code": "DPMPTSP",
        "process_id": diagram,
        "sla_working_days": 5,
        "fee_kind": "free",
        "fee_idr": 0,
        "required_documents": ["KTP-el", "denah lokasi"],
    } | entry
    bound = api("PUT", f"/services/{code}", "analyst", json=entry)
    assert bound.status_code == 201, bound.json
    return deployed.json


@pytest.fixture
def permit_service(api) -> dict:
    """Deploy the two-agency diagram and offer it as service DPMPTSP-900."""
    return offer_service(api, "joint_permit", "DPMPTSP-900")


@pytest.fixture
def submit(api):
    """Return a function that submits an application as the counter clerk."""

    def submit(nik=VALID_NIK, service="DPMPTSP-900", **extra):
        body = {
            "service_code": service,
            "applicant": {"nik": nik, "name": "Siti Aminah", "phone": "081234567890"},
            "village_code": "35.10.16.2001",
            "data": {},
        }
        return api("POST", "/applications", "counter", json=body, **extra)

    return submit
