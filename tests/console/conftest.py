"""The console under test: the app factory's app on a fresh SQLite file.

The console is registered on the app here when the factory does not do it
yet. ``staff`` holds a bearer token per user; ``filed`` is an application
started through the JSON API by the counter clerk, as the console does it.
The browser tests' site, served on a real port, and their Chromium tabs are
at the end.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from api import create_app
from api.extensions import db
from api.models import Role, create_user
from console import blueprint
from processes.models import Agency, AgencyKind, RegionLevel
from tests.conftest import add_regions, empty_all_tables

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


# -- the site of the browser tests (test_browser*.py) -----------------------------
# Each of those modules serves a site of its own, once on SQLite and once on
# PostgreSQL, and opens tabs on it in Debian's Chromium through Playwright.

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 15_000
SURVEY_SERVICE = "DPMPTSP-902"
FORM_SERVICE = "DPMPTSP-903"
# Its levy script needs a quantity nobody gives: each application stops there.
LEVY_SERVICE = "DPMPTSP-904"
# The clerk of the Kebalenan village office, and a resident of Pakis next door.
KEBALENAN, PAKIS = "35.10.16.1003", "35.10.16.1001"
# Region 351016 (Banyuwangi), born 1 July 1990 (a woman: day + 40); the last
# four digits are a serial, so each application has a resident of its own.
NIK_PREFIX = "351016410790"
SERIALS = itertools.count(101)


def fresh_nik() -> str:
    return f"{NIK_PREFIX}{next(SERIALS):04d}"


@dataclass
class Site:
    base: str
    tokens: dict[str, str]
    app: Flask

    def file(self, service: str = "DPMPTSP-901") -> dict:
        """File an application for a new resident as the counter clerk (API)."""
        nik = fresh_nik()
        filed = file_application(self.app.test_client(), self.tokens, nik, service)
        return {**filed, "nik": nik}


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def site(request, tmp_path_factory) -> Iterator[Site]:
    """Serve a console with two services offered; yield its address and tokens."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'console.sqlite'}"
    app = build_app(url)
    tokens = add_staff(app)
    add_villages(app)
    with app.app_context():
        _, tokens["village_clerk"] = create_user(
            db.session, "village_clerk", Role.COUNTER, village_code=KEBALENAN
        )
        _, tokens["colleague"] = create_user(
            db.session, "colleague", Role.OFFICER, agency_code="DPMPTSP"
        )
        _, tokens["licensing_head"] = create_user(
            db.session, "licensing_head", Role.SUPERVISOR, agency_code="DPMPTSP"
        )
        _, tokens["admin"] = create_user(db.session, "admin", Role.ADMIN)
        db.session.commit()
    offer_service(app.test_client(), tokens)
    offer_service(app.test_client(), tokens, "survey_permit", SURVEY_SERVICE)
    offer_service(app.test_client(), tokens, "form_permit", FORM_SERVICE)
    offer_service(app.test_client(), tokens, "needs_quantity", LEVY_SERVICE)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", tokens, app)

    server.shutdown()
    thread.join()
    server.server_close()
    with app.app_context():
        db.session.remove()
        if request.param == "postgresql":
            empty_all_tables(db.engine)
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class Tab:
    """A page that records console errors and uncaught exceptions."""

    def __init__(self, browser, base: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def sign_in(self, token: str) -> None:
        self.page.goto(f"{self.base}/console/login")
        self.page.fill("#token", token)
        self.page.click("#login-form button[type=submit]")
        self.page.wait_for_selector("#message:has-text('Token tersimpan')")

    def shoot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tabs(browser, site) -> Iterator:
    """Open tabs with ``tabs()``; each must end without a console error."""
    opened: list[Tab] = []

    def open_tab() -> Tab:
        opened.append(Tab(browser, site.base))
        return opened[-1]

    yield open_tab

    for tab in opened:
        tab.close()
    assert [error for tab in opened for error in tab.errors] == []


@pytest.fixture
def tab(tabs) -> Tab:
    return tabs()


@pytest.fixture
def application(site) -> dict:
    """An application just filed for a new resident; its task waits at DPMPTSP."""
    return site.file()


@pytest.fixture
def completed(site) -> dict:
    """An application whose one task the licensing officer has completed."""
    filed = site.file()
    complete_first_task(site.app.test_client(), site.tokens, filed)
    return filed


def as_regent(site: Site, path: str, **query):
    """GET ``/api/v1{path}`` as the regent, to compare a page with the API."""
    headers = {"Authorization": f"Bearer {site.tokens['regent']}"}
    return site.app.test_client().get(
        f"/api/v1{path}", headers=headers, query_string=query
    )
