"""A small Terpadu with one user per role, for the hardening tests.

``build_world`` makes an app on a fresh database with the three agencies of the
API tests, a user for every role (and one inactive user), the two-agency
diagram of ``tests/api/diagrams`` deployed and bound to service DPMPTSP-900. Tests
that change things submit their own application through ``world.submit``, so
the tests of a module do not depend on one another's order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from api import create_app
from api.extensions import db
from api.models import Role, User, create_user, hash_token
from tests.conftest import agency_row

DIAGRAM = Path(__file__).parents[1] / "api" / "diagrams" / "joint_permit.bpmn"
SERVICE = "DPMPTSP-900"
AGENCIES = ("DPMPTSP", "DINKES", "DISHUB")
USERS = {
    "counter": (Role.COUNTER, None),
    "officer": (Role.OFFICER, "DPMPTSP"),
    "hygiene_officer": (Role.OFFICER, "DINKES"),
    "foreign_officer": (Role.OFFICER, "DISHUB"),
    "supervisor": (Role.SUPERVISOR, "DPMPTSP"),
    "foreign_supervisor": (Role.SUPERVISOR, "DISHUB"),
    "regent": (Role.SUPERVISOR, None),
    "analyst": (Role.ANALYST, None),
    "admin": (Role.ADMIN, None),
    "retired": (Role.OFFICER, "DPMPTSP"),
}
# Region 351016 (Banyuwangi), born 1 July 1990 (a woman: day + 40); the last
# four digits are a serial, varied so that each application has its own NIK.
NIK_PREFIX = "351016410790"
SERVICE_ENTRY = {
    "name_id": "Izin bersama",
    "agency_code": "DPMPTSP",
    "process_id": "joint_permit",
    "sla_working_days": 5,
    "fee_kind": "free",
    "fee_idr": 0,
    "required_documents": ["KTP-el"],
}


def nik(serial: int) -> str:
    return f"{NIK_PREFIX}{serial:04d}"


@dataclass
class World:
    """The app of a module, its tokens and a JSON client that signs as a user."""

    app: Flask
    tokens: dict[str, str]
    serials: itertools.count = field(default_factory=lambda: itertools.count(1))

    def call(self, method, path, user=None, *, token=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        token = token if token is not None else self.tokens.get(user)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        client = self.app.test_client()
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def application_body(self, resident_nik: str | None = None) -> dict:
        return {
            "service_code": SERVICE,
            "applicant": {
                "nik": resident_nik or self.new_nik(),
                "name": "Siti Aminah",
                "phone": "081234567890",
            },
            "village_code": "35.10.16.2001",
            "data": {},
        }

    def new_nik(self) -> str:
        return nik(next(self.serials))

    def submit(self, resident_nik: str | None = None) -> dict:
        """Submit an application as the counter clerk; return its JSON."""
        body = self.application_body(resident_nik)
        response = self.call("POST", "/applications", "counter", json=body)
        assert response.status_code == 201, response.json
        return response.json | {"nik": body["applicant"]["nik"]}

    def task_of(self, application: dict, agency: str) -> str:
        return next(t["id"] for t in application["tasks"] if t["agency"] == agency)

    def restore_accounts(self) -> None:
        """Give every user of the world back its token and its active state.

        For tests that let an admin loose on the users operations: a fuzzed
        request may deactivate an identity or give it a new token.
        """
        with self.app.app_context():
            for name, token in self.tokens.items():
                user = db.session.scalar(select(User).where(User.name == name))
                user.token_hash = hash_token(token)
                user.active = _active(name)
            db.session.commit()


def _active(name: str) -> bool:
    # A user who left: the token is still sent but must no longer work.
    return name != "retired"


def build_world(url: str) -> World:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "TRACK_RATE_LIMIT": "100000 per minute",
        }
    )
    with app.app_context():
        db.create_all()
        db.session.add_all(agency_row(code) for code in AGENCIES)
        tokens = {}
        for name, (role, agency) in USERS.items():
            user, tokens[name] = create_user(db.session, name, role, agency_code=agency)
            user.active = _active(name)
        db.session.commit()

    world = World(app, tokens)
    deployed = world.call(
        "POST",
        "/diagrams",
        "analyst",
        data=DIAGRAM.read_bytes(),
        content_type="application/xml",
    )
    assert deployed.status_code == 201, deployed.json
    bound = world.call("PUT", f"/services/{SERVICE}", "analyst", json=SERVICE_ENTRY)
    assert bound.status_code == 201, bound.json
    return world


def tear_down(world: World) -> None:
    with world.app.app_context():
        db.session.remove()
        db.engine.dispose()
