"""The console under test: the app factory's app on a fresh SQLite file.

The console is registered on the app here when the factory does not do it
yet. ``staff`` holds a bearer token per user; ``filed`` is an application
started through the JSON API by the counter clerk, as the console does it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api import create_app
from api.extensions import db
from api.models import Role, create_user
from console import blueprint
from processes.models import Agency, AgencyKind, RegionLevel
from tests.conftest import add_regions

DIAGRAMS = Path(__file__).parent / "diagrams"
SERVICE = "DPMPTSP-901"
# A woman born 1 July 1990 in kecamatan 35.10.16 (Banyuwangi), serial 0003.
NIK = "3510164107900003"
USERS = {
    "analyst": (Role.ANALYST, None),
    "counter": (Role.COUNTER, None),
    "licensing_officer": (Role.OFFICER, "DPMPTSP"),
    "regent": (Role.SUPERVISOR, None),
}


def build_app(database_url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "TRACK_RATE_LIMIT": "1000 per minute",
        }
    )
    if "console" not in app.blueprints:
        app.register_blueprint(blueprint)
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def app(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'console.sqlite'}")
    yield app

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# The regency, kecamatan Banyuwangi and two of its kelurahan, parents first.
REGIONS = (
    ("35.10", "Kabupaten Banyuwangi", RegionLevel.REGENCY, None),
    ("35.10.16", "Banyuwangi", RegionLevel.KECAMATAN, "35.10"),
    ("35.10.16.1001", "Pakis", RegionLevel.KELURAHAN, "35.10.16"),
    ("35.10.16.1003", "Kebalenan", RegionLevel.KELURAHAN, "35.10.16"),
)


def add_villages(app) -> None:
    add_regions(app, REGIONS)


def add_staff(app) -> dict[str, str]:
    """Add the agency and the users; return each user's token by name."""
    with app.app_context():
        db.session.add(
            Agency(
                code="DPMPTSP",
                name_id="Dinas Penanaman Modal dan PTSP",
                name_en="Investment and One-Stop Service Office",
                kind=AgencyKind.SKPD,
                head_title="Kepala DPMPTSP",
            )
        )
        tokens = {}
        for name, (role, agency) in USERS.items():
            _, tokens[name] = create_user(db.session, name, role, agency_code=agency)
        db.session.commit()
    return tokens


@pytest.fixture
def staff(app) -> dict[str, str]:
    return add_staff(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def offer_service(
    client,
    tokens: dict[str, str],
    process_id: str = "counter_permit",
    code: str = SERVICE,
) -> None:
    """Deploy ``diagrams/<process_id>.bpmn`` and offer it as service ``code``."""
    xml = (DIAGRAMS / f"{process_id}.bpmn").read_bytes()
    deployed = client.post(
        "/api/v1/diagrams",
        data=xml,
        content_type="application/xml",
        headers=bearer(tokens["analyst"]),
    )
    assert deployed.status_code == 201, deployed.json
    entry = {
        "name_id": "Izin usaha mikro",
        "name_en": "Micro business permit",
        "agency_code": "DPMPTSP",
        "process_id": process_id,
        "sla_working_days": 3,
        "fee_kind": "free",
        "fee_idr": 0,
        "required_documents": ["KTP-el", "Surat keterangan domisili usaha"],
    }
    offered = client.put(
        f"/api/v1/services/{code}", json=entry, headers=bearer(tokens["analyst"])
    )
    assert offered.status_code in (200, 201), offered.json


def file_application(
    client, tokens: dict[str, str], nik: str = NIK, service: str = SERVICE
) -> dict:
    body = {
        "service_code": service,
        "applicant": {"nik": nik, "name": "Siti Aminah", "phone": "081234567890"},
        "data": {},
    }
    filed = client.post(
        "/api/v1/applications", json=body, headers=bearer(tokens["counter"])
    )
    assert filed.status_code == 201, filed.json
    return filed.json


def complete_first_task(client, tokens: dict[str, str], application: dict) -> None:
    """Claim and complete the application's open task as the licensing officer."""
    officer = bearer(tokens["licensing_officer"])
    (task,) = [t for t in application["tasks"] if t["state"] == "ready"]
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=officer)
    assert claimed.status_code == 200, claimed.json
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=officer
    )
    assert done.status_code == 200, done.json


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def filed(client, staff) -> dict:
    offer_service(client, staff)
    return file_application(client, staff)
