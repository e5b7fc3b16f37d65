"""The console in a real browser: Debian's Chromium driven by Playwright.

A counter clerk starts an application and prints the receipt, then calls the
next queue number the hall screen shows; a village office's clerk records a
resident's village, which the dashboard groups by; an officer claims,
releases, claims again and completes a task, and cannot release a colleague's;
an analyst adds a task to a diagram in bpmn-js, sees the server's objection on
the offending flow, fixes it, deploys a new version and opens the old one; a
supervisor watches the SLA chart change; a resident tracks a completed
application and its timeline, downloads its PDF, verifies the code and rates
the service, and the index shows on the dashboard. No page may log a console
error.

Each test makes its own applications through fixtures (a fresh NIK each), so
the tests run in any order. The whole module runs once on SQLite and once on
PostgreSQL. Screenshots of each page go to ``screenshots/`` at the repository
root.

Skipped when Chromium (``/usr/bin/chromium``) or the playwright package is
missing; ``make setup`` installs both.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from api.extensions import db
from api.models import Role, create_user
from engine.db import utcnow
from processes.satisfaction import ELEMENTS
from tests.conftest import empty_all_tables
from tests.console.conftest import (
    add_staff,
    add_villages,
    build_app,
    complete_first_task,
    file_application,
    offer_service,
)

sync_api = pytest.importorskip("playwright.sync_api")

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
# The clerk of the Kebalenan village office, and a resident of Pakis next door.
KEBALENAN, PAKIS = "35.10.16.1003", "35.10.16.1001"
SUMMARY_COLUMNS = (
    "on_track",
    "at_risk",
    "breached",
    "completed_within",
    "completed_after",
)
# Region 351016 (Banyuwangi), born 1 July 1990 (a woman: day + 40); the last
# four digits are a serial, so each application has a resident of its own.
NIK_PREFIX = "351016410790"
SERIALS = itertools.count(101)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


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
        db.session.commit()
    offer_service(app.test_client(), tokens)
    offer_service(app.test_client(), tokens, "survey_permit", SURVEY_SERVICE)
    offer_service(app.test_client(), tokens, "form_permit", FORM_SERVICE)

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


# -- the counter -------------------------------------------------------------------


def test_counter_starts_an_application_and_prints_the_receipt(tab, site):
    nik = fresh_nik()
    tab.sign_in(site.tokens["counter"])
    tab.shoot("login")
    page = tab.page
    page.goto(f"{tab.base}/console/counter")

    page.fill("#q", "usaha")
    page.click("#service-search button[type=submit]")
    page.click("#services button[data-code='DPMPTSP-901']")
    page.wait_for_selector("#service-documents li:has-text('KTP-el')")
    assert page.inner_text("#service-fee") == "Gratis"

    page.fill("#nik", nik[:10])
    assert page.inner_text("#nik-check") == "NIK harus 16 digit."
    page.fill("#nik", nik)
    assert page.get_attribute("#nik-check", "data-ok") == "true"
    page.fill("#name", "Siti Aminah")
    page.fill("#phone", "081234567890")
    page.wait_for_selector("#village option[value='35.10.16.1001']", state="attached")
    assert page.input_value("#village") == ""  # a Mall clerk serves every village
    page.click("#submit-application")

    number = page.wait_for_selector("#receipt-number").inner_text()
    assert number.startswith("MPP")
    assert page.locator("#receipt figure.qr svg").count() == 1
    tab.shoot("counter")
    page.emulate_media(media="print")
    tab.shoot("receipt-print")


def test_counter_lists_what_it_filed_and_cancels_a_withdrawn_application(tab, site):
    kept, withdrawn = site.file(), site.file()
    tab.sign_in(site.tokens["counter"])
    page = tab.page
    page.goto(f"{tab.base}/console/counter")
    row = f"#mine tr[data-application-id='{withdrawn['id']}']"
    page.wait_for_selector(f"{row}[data-status=in_progress]")
    # Newest first: the withdrawn one was filed last.
    ids = page.eval_on_selector_all(
        "#mine tr[data-application-id]",
        "rows => rows.map((row) => Number(row.dataset.applicationId))",
    )
    assert ids.index(withdrawn["id"]) < ids.index(kept["id"])

    page.click(f"{row} button.cancel")
    page.fill(f"{row} input[name=reason]", "ditarik oleh pemohon")
    page.click(f"{row} .cancel-form button[type=submit]")

    page.wait_for_selector(f"{row}[data-status=cancelled]")
    assert page.inner_text(f"{row} td.status") == "Dibatalkan"
    assert page.locator(f"{row} button.cancel").count() == 0
    kept_row = f"#mine tr[data-application-id='{kept['id']}']"
    assert page.get_attribute(kept_row, "data-status") == "in_progress"
    tab.shoot("counter-cancelled")

    page.select_option("#mine-status", "cancelled")
    page.wait_for_selector(
        f"#mine tr[data-application-id='{kept['id']}']", state="detached"
    )
    statuses = page.eval_on_selector_all(
        "#mine tr[data-application-id]", "rows => rows.map((row) => row.dataset.status)"
    )
    assert statuses and set(statuses) == {"cancelled"}


def test_the_village_chosen_at_the_counter_groups_the_dashboard(tabs, site):
    clerk = tabs()
    clerk.sign_in(site.tokens["village_clerk"])
    page = clerk.page
    page.goto(f"{clerk.base}/console/counter")
    page.click("#services button[data-code='DPMPTSP-901']")
    page.wait_for_selector(f"#village option[value='{PAKIS}']", state="attached")
    assert page.input_value("#village") == KEBALENAN  # the clerk's own office
    kecamatan = page.eval_on_selector(
        f"#village option[value='{PAKIS}']", "option => option.parentElement.label"
    )
    assert kecamatan == "Kecamatan Banyuwangi"

    page.fill("#nik", fresh_nik())
    page.fill("#name", "Siti Aminah")
    page.fill("#phone", "081234567890")
    page.select_option("#village", PAKIS)
    page.click("#submit-application")
    number = page.wait_for_selector("#receipt-number").inner_text()
    # The form is ready for the next resident of the clerk's own village.
    assert page.input_value("#village") == KEBALENAN

    regent = tabs()
    regent.sign_in(site.tokens["regent"])
    regent.page.goto(f"{regent.base}/console/dashboard")
    regent.page.wait_for_selector("#chart g.chart-row[data-key=DPMPTSP]")
    regent.page.select_option("#group-by", "village")
    row = regent.page.wait_for_selector(f"#summary tr[data-key='{PAKIS}']")
    assert row.inner_text().startswith(f"Pakis ({PAKIS})")
    (counted,) = [
        item
        for item in _as_regent(site, "/sla/summary", group_by="village").json["items"]
        if item["key"] == PAKIS
    ]
    assert counted["on_track"] >= 1
    label = f"#chart g.chart-row[data-key='{PAKIS}'] text.label"
    assert regent.page.text_content(label) == "Pakis"
    regent.shoot("dashboard-by-village")

    with site.app.app_context():
        from processes.applications import Application

        recorded = db.session.scalar(
            db.select(Application.village_code).where(
                Application.tracking_number == number
            )
        )
    assert recorded == PAKIS


def test_clerk_calls_the_next_number_and_the_hall_screen_shows_it(tabs, site):
    kiosk, screen, clerk = tabs(), tabs(), tabs()
    kiosk.page.goto(f"{kiosk.base}/console/queue/B2")
    assert kiosk.page.locator("#ticket").count() == 0
    kiosk.shoot("queue-kiosk")
    kiosk.page.click("#take-ticket")
    ticket = kiosk.page.wait_for_selector("#ticket-number").inner_text()
    assert re.fullmatch(r"B2-\d{3}", ticket)
    kiosk.shoot("queue-ticket")

    screen.page.goto(f"{screen.base}/console/queue/B2/screen")
    assert screen.page.inner_text("#now-serving") != ticket

    clerk.sign_in(site.tokens["counter"])
    clerk.page.goto(f"{clerk.base}/console/counter")
    clerk.page.fill("#queue-counter", "b2")
    clerk.page.click("#call-next")
    clerk.page.wait_for_selector(f"#called:has-text('Dipanggil: {ticket}')")
    assert clerk.page.inner_text("#queue-waiting") == "0"
    clerk.shoot("counter-queue")

    # The screen polls; it shows the number without being reloaded.
    screen.page.wait_for_selector(f"#now-serving:has-text('{ticket}')")
    screen.shoot("queue-screen")

    clerk.page.click("#call-next")
    clerk.page.wait_for_selector("#called:has-text('Tidak ada yang menunggu.')")


# -- the agency --------------------------------------------------------------------


def _task_state(site, application: dict) -> tuple[str, str | None]:
    """The state and claimant of the application's task, read from the database."""
    from engine.models import Task

    (task,) = application["tasks"]
    with site.app.app_context():
        found = db.session.get(Task, task["id"])
        return found.state, found.claimed_by


def test_officer_sees_no_release_on_a_colleagues_claim(tab, site, application):
    colleague = {"Authorization": f"Bearer {site.tokens['colleague']}"}
    (task,) = application["tasks"]
    claimed = site.app.test_client().post(
        f"/api/v1/tasks/{task['id']}/claim", headers=colleague
    )
    assert claimed.status_code == 200, claimed.json

    tab.sign_in(site.tokens["licensing_officer"])
    tab.page.goto(f"{tab.base}/console/inbox")
    row = tab.page.wait_for_selector(
        f"#tasks tr:has-text('{application['tracking_number']}')"
    )
    assert "colleague" in row.inner_text()
    assert row.query_selector("button[data-action]") is None


def test_officer_claims_and_completes_the_task(tab, site, application):
    tab.sign_in(site.tokens["licensing_officer"])
    page = tab.page
    page.goto(f"{tab.base}/console/inbox")

    number = application["tracking_number"]
    row = page.wait_for_selector(f"#tasks tr:has-text('{number}')")
    row.wait_for_selector("button[data-action=claim]").click()
    mine = f"#tasks tr:has-text('{number}'):has(button[data-action=release])"
    assert "licensing_officer" in page.wait_for_selector(mine).inner_text()

    # Released, the task waits for anyone again; then it is claimed once more.
    page.click(f"{mine} button[data-action=release]")
    free = f"#tasks tr:has-text('{number}'):has(button[data-action=claim])"
    assert "licensing_officer" not in page.wait_for_selector(free).inner_text()
    assert _task_state(site, application) == ("ready", None)
    page.click(f"{free} button[data-action=claim]")
    row = page.wait_for_selector(mine)
    assert _task_state(site, application) == ("claimed", "licensing_officer")
    row.wait_for_selector("button.link").click()
    page.wait_for_selector("#timeline li:has-text('Verifikasi berkas')")
    tab.shoot("inbox")

    field = page.get_attribute("#fields input[name=field]", "placeholder")
    assert field == "mis. approved"
    page.fill("#fields input[name=field]", "approved")
    page.fill("#fields input[name=value]", "true")
    page.click("#complete")
    page.wait_for_selector("#message:has-text('Tugas selesai.')")
    page.wait_for_selector(f"#tasks tr:has-text('{number}')", state="detached")
    status = site.app.test_client().get(
        f"/api/v1/applications/{application['id']}",
        headers={"Authorization": f"Bearer {site.tokens['counter']}"},
    )
    assert status.json["status"] == "completed"


def test_officer_fills_the_form_the_diagram_gives(tab, site):
    application = site.file(FORM_SERVICE)
    number = application["tracking_number"]
    tab.sign_in(site.tokens["licensing_officer"])
    page = tab.page
    page.goto(f"{tab.base}/console/inbox")
    row = page.wait_for_selector(f"#tasks tr:has-text('{number}')")
    row.wait_for_selector("button.link").click()

    page.wait_for_selector("#form-fields label:has-text('Keputusan')")
    assert page.is_hidden("#free-fields")
    assert page.inner_text("#fields-title") == "Hasil pemeriksaan lapangan"
    assert page.locator("#form-fields abbr.required").count() == 3
    assert page.get_attribute("#form-floors", "step") == "1"
    # A required field left empty: the browser keeps the form from being sent.
    page.click("#complete")
    assert page.eval_on_selector("#form-decision", "e => e.validity.valueMissing")

    page.select_option("#form-decision", label="ditolak")
    page.fill("#form-floor_area", "120.5")
    page.fill("#form-floors", "2")
    page.select_option("#form-fire_exit", label="Ya")
    tab.shoot("inbox-form")
    page.click("#complete")
    page.wait_for_selector("#message:has-text('Tugas selesai.')")

    with site.app.app_context():
        from processes.applications import Application
        from workers.wiring import instance_service

        instance_id = db.session.get(Application, application["id"]).instance_id
        data = instance_service(db.session).data(instance_id)
    answers = {key: data.get(key) for key in ("decision", "floor_area", "floors")}
    assert answers == {"decision": "ditolak", "floor_area": 120.5, "floors": 2}
    assert data["fire_exit"] is True
    assert "notes" not in data


# -- the supervisor ----------------------------------------------------------------


def _chart(page) -> dict[str, int]:
    """The DPMPTSP bar's counts per SLA status, as the chart drew them."""
    return page.eval_on_selector_all(
        "#chart g.chart-row[data-key=DPMPTSP] rect[data-series]",
        "bars => Object.fromEntries(bars.map("
        "b => [b.dataset.series, Number(b.dataset.count)]))",
    )


def _drawn(page) -> str:
    return page.get_attribute("#chart", "data-drawn")


def test_supervisor_sees_the_chart_change(tab, site, application):
    tab.sign_in(site.tokens["regent"])
    page = tab.page
    page.goto(f"{tab.base}/console/dashboard")
    page.wait_for_selector("#chart g.chart-row[data-key=DPMPTSP]")
    before = _chart(page)
    open_tasks = sum(before.values())
    assert before["on_track"] >= 1  # at least the application just filed
    tab.shoot("dashboard")

    # Two months on, every open task at DPMPTSP is past its deadline.
    with site.app.app_context():
        from engine.sla import sweep

        sweep(db.session, utcnow() + timedelta(days=60))
        db.session.commit()
    drawn = _drawn(page)
    page.click("#refresh")
    page.wait_for_function(
        "drawn => document.getElementById('chart').dataset.drawn !== drawn", arg=drawn
    )

    after = _chart(page)
    assert after == {"on_track": 0, "at_risk": 0, "breached": open_tasks}
    breached_bar = "#chart g.chart-row[data-key=DPMPTSP] rect.sla-breached"
    assert float(page.get_attribute(breached_bar, "width")) > 0
    number = application["tracking_number"]
    page.wait_for_selector(f"#breached li.sla-breached:has-text('{number}')")
    assert number not in page.inner_text("#at-risk")
    assert page.locator("#at-risk li.sla-breached").count() == 0
    tab.shoot("dashboard-breached")


def _summary_keys(page) -> list[str]:
    return page.eval_on_selector_all(
        "#summary tr[data-key]", "rows => rows.map((row) => row.dataset.key)"
    )


def _as_regent(site, path: str, **query):
    headers = {"Authorization": f"Bearer {site.tokens['regent']}"}
    return site.app.test_client().get(
        f"/api/v1{path}", headers=headers, query_string=query
    )


def test_supervisor_groups_by_service_and_downloads_the_csv(tab, site):
    site.file()
    site.file(FORM_SERVICE)
    tab.sign_in(site.tokens["regent"])
    page = tab.page
    page.goto(f"{tab.base}/console/dashboard")
    page.wait_for_selector("#chart g.chart-row[data-key=DPMPTSP]")
    assert _summary_keys(page) == ["DPMPTSP"]

    page.select_option("#group-by", "service")
    page.wait_for_selector("#chart g.chart-row[data-key='DPMPTSP-901']")
    # Other tests' applications may add services; these two are there at least.
    keys = _summary_keys(page)
    assert {"DPMPTSP-901", FORM_SERVICE} <= set(keys) and keys == sorted(keys)
    assert page.inner_text("#summary-title") == "Ringkasan per layanan"
    assert page.inner_text("#summary-key") == "Layanan"
    expected = _as_regent(site, "/sla/summary", group_by="service").json["items"]
    shown = page.eval_on_selector_all(
        "#summary tr[data-key]",
        "rows => rows.map((row) => [...row.cells].map((cell) => cell.textContent))",
    )
    assert shown == [
        [row["key"], *(str(row[column]) for column in SUMMARY_COLUMNS)]
        for row in expected
    ]
    tab.shoot("dashboard-by-service")

    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename == "sla-summary-service.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert (
        list(csv.reader(io.StringIO(text))) == [["service", *SUMMARY_COLUMNS]] + shown
    )


def _shown_summary(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#summary tr[data-key]",
        "rows => rows.map((row) => [...row.cells].map((cell) => cell.textContent))",
    )


def test_supervisor_counts_applications_once_instead_of_tasks(tab, site):
    site.file()
    tab.sign_in(site.tokens["regent"])
    page = tab.page
    page.goto(f"{tab.base}/console/dashboard")
    page.wait_for_selector("#chart g.chart-row[data-key=DPMPTSP]")
    drawn = _drawn(page)

    page.select_option("#count", "applications")
    page.wait_for_function(
        "drawn => document.getElementById('chart').dataset.drawn !== drawn", arg=drawn
    )

    expected = _as_regent(
        site, "/sla/summary", group_by="agency", count="applications"
    ).json["items"]
    # Applications sit under the agency answerable for their service alone.
    assert [row["key"] for row in expected] == ["DPMPTSP"]
    assert _shown_summary(page) == [
        [row["key"], *(str(row[column]) for column in SUMMARY_COLUMNS)]
        for row in expected
    ]
    assert page.inner_text("#chart-title") == (
        "Permohonan berjalan per instansi penanggung jawab"
    )
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename == "sla-summary-applications-agency.csv"
    tab.shoot("dashboard-applications")


def test_supervisor_acknowledges_an_escalation(tab, site, application):
    number = application["tracking_number"]
    with site.app.app_context():
        from engine.sla import sweep

        sweep(db.session, utcnow() + timedelta(days=60))
        db.session.commit()
    raised = _as_regent(site, "/escalations", per_page=100).json["items"]
    chosen = next(e for e in raised if e["tracking_number"] == number)
    badge = {"at_risk": "Berisiko", "breached": "Terlambat"}[chosen["level"]]

    tab.sign_in(site.tokens["regent"])
    page = tab.page
    page.goto(f"{tab.base}/console/dashboard")
    shown = f"#escalations tr[data-escalation-id='{chosen['id']}']"
    row = page.wait_for_selector(shown)
    assert number in row.inner_text()
    assert row.inner_text().startswith(badge)
    tab.shoot("dashboard-escalations")

    row.wait_for_selector("button").click()
    page.wait_for_selector("#message:has-text('Eskalasi dikonfirmasi.')")
    page.wait_for_selector(shown, state="detached")
    done = _as_regent(site, "/escalations", acknowledged="true", per_page=100).json
    (acknowledged,) = [e for e in done["items"] if e["id"] == chosen["id"]]
    assert acknowledged["acknowledged_by"] == "regent"


# -- the analyst -------------------------------------------------------------------

# Through bpmn-js's modeling API: after the check, a gateway asks whether the
# site needs a survey; its flow to the new task is left without a condition,
# the mistake the server will point at.
ADD_SURVEY = """() => {
  const modeler = window.terpaduModeler;
  const registry = modeler.get("elementRegistry");
  const modeling = modeler.get("modeling");
  const issued = registry.get("issued");
  modeling.removeElements([registry.get("to_issued")]);
  const gateway = modeling.appendShape(
    registry.get("verify_documents"), { type: "bpmn:ExclusiveGateway" },
    { x: 470, y: 140 });
  modeling.updateProperties(gateway, { id: "needs_survey", name: "Perlu survei?" });
  const survey = modeling.appendShape(
    gateway, { type: "bpmn:UserTask" }, { x: 640, y: 210 });
  modeling.updateProperties(survey, { id: "site_survey", name: "Survei lapangan" });
  modeling.updateProperties(survey.incoming[0], { id: "to_survey" });
  modeling.connect(survey, issued);
  const skip = modeling.connect(gateway, issued);
  modeling.updateProperties(skip, { id: "no_survey" });
  modeling.updateProperties(gateway, { default: skip.businessObject });
  return registry.get("mall").businessObject.processRef.laneSets[0].lanes[0]
    .flowNodeRef.map((node) => node.id);
}"""


@pytest.fixture
def running_survey(site) -> dict:
    """An application running on version 1 of ``survey_permit``."""
    return site.file(SURVEY_SERVICE)


def test_analyst_adds_a_task_validates_and_deploys(tab, site, running_survey):
    tab.sign_in(site.tokens["analyst"])
    page = tab.page
    page.goto(f"{tab.base}/console/modeler")
    if page.locator("#modeler-missing").count():
        pytest.skip("bpmn-js is not installed (npm ci --prefix console)")

    page.wait_for_selector(
        "#diagram-picker option[value=survey_permit]", state="attached"
    )
    page.select_option("#diagram-picker", "survey_permit")
    page.wait_for_selector("#canvas [data-element-id=verify_documents]")
    page.wait_for_selector("#versions tr[data-version='1'][data-running='1']")

    in_lane = page.evaluate(ADD_SURVEY)
    assert "site_survey" in in_lane  # drawn inside the DPMPTSP lane
    page.wait_for_selector("#canvas [data-element-id=site_survey]")

    page.click("#validate")
    page.wait_for_selector("#message:has-text('Diagram ditolak')")
    flagged = "#canvas g.djs-element.validation-error"
    assert page.eval_on_selector_all(
        flagged, "marked => marked.map((g) => g.dataset.elementId)"
    ) == ["to_survey"]
    badge = page.wait_for_selector(
        "#canvas .djs-overlays[data-container-id=to_survey] .problem-badge"
    )
    assert "without condition" in badge.get_attribute("title")
    listed = page.inner_text("#deploy-errors li[data-element-id=to_survey]")
    assert re.match(r"to_survey · baris \d+: ", listed)  # the page's language
    tab.shoot("modeler-problems")

    page.click("#deploy-errors li[data-element-id=to_survey]")
    page.wait_for_selector("#element-id:has-text('to_survey')")
    page.fill("#element-condition", "approved == False")
    page.click("#element-apply")
    page.click("#validate")
    page.wait_for_selector("#message:has-text('Diagram lolos pemeriksaan')")
    assert page.locator(flagged).count() == 0
    assert page.locator("#canvas .problem-badge").count() == 0

    page.click("#deploy")
    page.wait_for_selector("#message:has-text('Diagram terpasang: survey_permit v2')")
    page.wait_for_selector("#versions tr[data-version='2'][data-running='0']")
    assert page.get_attribute("#versions tr[data-version='1']", "data-running") == "1"
    assert page.inner_text("#diagram-picker option[value=survey_permit]") == (
        "survey_permit (v2)"
    )
    assert page.get_attribute("#versions tr.open", "data-version") == "2"
    tab.shoot("modeler")

    # A row of the versions table opens its version: v1 has no survey task.
    page.click("#versions tr[data-version='1']")
    page.wait_for_selector("#versions tr.open[data-version='1']")
    page.wait_for_selector("#canvas [data-element-id=site_survey]", state="detached")
    page.wait_for_selector("#canvas [data-element-id=verify_documents]")
    page.click("#versions tr[data-version='2']")
    page.wait_for_selector("#canvas [data-element-id=site_survey]")

    deployed = (
        site.app.test_client()
        .get(
            "/api/v1/diagrams/survey_permit/versions/2",
            headers={"Authorization": f"Bearer {site.tokens['analyst']}"},
        )
        .json["bpmn_xml"]
    )
    assert 'id="site_survey"' in deployed
    assert "approved == False" in deployed


HAND_TOOL = ".djs-palette .entry[data-action=hand-tool]"


def _open_modeler(page, base: str, query: str = "") -> None:
    page.goto(f"{base}/console/modeler{query}")
    if page.locator("#modeler-missing").count():
        pytest.skip("bpmn-js is not installed (npm ci --prefix console)")
    page.wait_for_selector("#canvas [data-element-id=start]")


def test_modeler_speaks_the_pages_language(tab, site):
    tab.sign_in(site.tokens["analyst"])
    page = tab.page
    _open_modeler(page, tab.base)
    assert page.get_attribute(HAND_TOOL, "title") == "Aktifkan alat tangan"

    # The new diagram's start event: its context pad, then its replace menu.
    page.click("#canvas [data-element-id=start]")
    append_end = ".djs-context-pad .entry[data-action='append.end-event']"
    assert page.get_attribute(append_end, "title") == "Tambahkan peristiwa akhir"
    page.click(".djs-context-pad .entry[data-action=replace]")
    assert page.inner_text(".djs-popup-title") == "Ubah elemen"
    labels = page.eval_on_selector_all(
        ".djs-popup .djs-popup-label", "spans => spans.map((s) => s.textContent.trim())"
    )
    assert {"Peristiwa akhir", "Peristiwa awal timer"} <= set(labels)
    assert "End event" not in labels
    tab.shoot("modeler-id")

    _open_modeler(page, tab.base, "?lang=en")
    assert page.get_attribute(HAND_TOOL, "title") == "Activate hand tool"
    page.click("#canvas [data-element-id=start]")
    page.click(".djs-context-pad .entry[data-action=replace]")
    assert page.inner_text(".djs-popup-title") == "Change element"
    tab.shoot("modeler-en")


# -- the resident ------------------------------------------------------------------


def _track(page, base: str, number: str, nik: str) -> None:
    page.goto(f"{base}/console/track?number={number}")
    page.fill("#track-nik", nik)
    page.click("form button[type=submit]")


def _timeline(page) -> list[str]:
    return page.eval_on_selector_all(
        "#track-timeline li", "steps => steps.map((step) => step.innerText)"
    )


def test_resident_tracks_the_application(tab, completed):
    page, number, nik = tab.page, completed["tracking_number"], completed["nik"]
    _track(page, tab.base, number, nik)

    assert page.wait_for_selector("#track-status").inner_text() == "Selesai"
    (step,) = _timeline(page)
    assert step.startswith("Verifikasi berkas — Dinas Penanaman Modal dan PTSP")
    assert "· selesai" in step
    assert re.search(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2} → \d{2}-\d{2}-\d{4}", step)
    # The resident sees the agency and the times, never the officer.
    assert "licensing_officer" not in page.inner_text("main")
    tab.shoot("track")

    page.goto(f"{tab.base}/console/track?lang=en")
    _track(page, tab.base, number, nik)
    assert page.wait_for_selector("#track-status").inner_text() == "Completed"
    (step,) = _timeline(page)
    assert step.startswith("Verifikasi berkas — Investment and One-Stop Service")
    assert "· done" in step
    tab.shoot("track-en")


def test_resident_downloads_verifies_and_rates(tabs, site, completed):
    tab = tabs()
    page, number, nik = tab.page, completed["tracking_number"], completed["nik"]
    _track(page, tab.base, number, nik)

    page.fill("#document-nik", nik)
    with page.expect_download() as download:
        page.click("#document-form button[type=submit]")
    assert download.value.suggested_filename == f"{number}.pdf"
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and number.encode() in pdf
    code = re.search(rb"/console/verify/([0-9A-Z-]+)", pdf).group(1).decode()

    page.goto(f"{tab.base}/console/verify")
    page.fill("#code", code.lower().replace("-", " "))
    page.click("#verify-form button[type=submit]")
    assert page.wait_for_selector("#verify-verdict").inner_text() == "Dokumen sah"
    assert page.inner_text("#verify-number") == number
    tab.shoot("verify")

    page.fill("#code", "TPD-0000-0000")
    page.click("#verify-form button[type=submit]")
    verdict = page.wait_for_selector("#verify-verdict").inner_text()
    assert verdict == "Kode tidak dikenal: dokumen tidak dapat diverifikasi."
    tab.shoot("verify-invalid")

    _track(page, tab.base, number, nik)
    for element in ELEMENTS:
        page.check(f"#rating-form input[name={element}][value='4']")
    page.fill("#rating-nik", nik)
    tab.shoot("rating")
    page.click("#rating-form button[type=submit]")
    page.wait_for_selector("#rating-notice:has-text('Terima kasih')")
    assert page.locator("#rating-form").count() == 0
    tab.shoot("rating-thanks")

    # The regent's dashboard counts the rating for the service and its agency.
    regent = tabs()
    regent.sign_in(site.tokens["regent"])
    regent.page.goto(f"{regent.base}/console/dashboard")
    for group, key in (("service", completed["service_code"]), ("agency", "DPMPTSP")):
        (expected,) = [
            row
            for row in _as_regent(site, "/satisfaction", group_by=group).json["items"]
            if row["key"] == key
        ]
        row = f"#ikm-{group} tr[data-key='{key}']"
        shown = regent.page.wait_for_selector(f"{row} td.ikm-index").inner_text()
        assert shown == f"{expected['index']:.2f}"
        assert regent.page.inner_text(f"{row} td.ikm-respondents") == str(
            expected["respondents"]
        )
        assert expected["respondents"] >= 1
    regent.shoot("dashboard-ikm")


def test_english_toggle(tab):
    page = tab.page
    page.goto(f"{tab.base}/console/track?number=MPP-2025-000001")
    page.click("a.lang")

    page.wait_for_selector("h1:has-text('Track an application')")
    assert page.get_attribute("html", "lang") == "en"
    # The toggle keeps the page's other parameters: the number stays filled in.
    assert page.url.endswith("/console/track?number=MPP-2025-000001&lang=en")
    assert page.input_value("#number") == "MPP-2025-000001"
    page.click("a.lang")
    page.wait_for_selector("h1:has-text('Lacak permohonan')")
    assert page.url.endswith("/console/track?number=MPP-2025-000001&lang=id")
