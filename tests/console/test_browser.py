"""The console in a real browser: Debian's Chromium driven by Playwright.

A counter clerk starts an application and prints the receipt, an officer
claims and completes the task, a resident tracks the application, downloads
its PDF, verifies the code and rates the service, a kiosk hands out a queue
ticket the hall screen then shows, and the supervisor and analyst pages
open. No page may log a console error.
Screenshots of each page go to ``screenshots/`` at the repository root.

Skipped when Chromium (``/usr/bin/chromium``) or the playwright package is
missing; ``make setup`` installs both.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from processes.satisfaction import ELEMENTS
from tests.console.conftest import NIK, add_staff, build_app, offer_service

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
WAIT_MS = 15_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    """Serve a console with one service offered; yield its address and tokens."""
    path = tmp_path_factory.mktemp("browser") / "console.sqlite"
    app = build_app(f"sqlite:///{path}")
    tokens = add_staff(app)
    offer_service(app.test_client(), tokens)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", tokens

    server.shutdown()
    thread.join()
    server.server_close()


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
def tab(browser, site) -> Iterator[Tab]:
    tab = Tab(browser, site[0])
    yield tab
    tab.close()
    assert tab.errors == []


@pytest.fixture(scope="module")
def journey() -> dict:
    """What one test hands the next: the tracking number of the application."""
    return {}


def test_counter_starts_an_application_and_prints_the_receipt(tab, site, journey):
    _, tokens = site
    tab.sign_in(tokens["counter"])
    page = tab.page
    page.goto(f"{tab.base}/console/counter")

    page.fill("#q", "usaha")
    page.click("#service-search button[type=submit]")
    page.click("#services button[data-code='DPMPTSP-901']")
    page.wait_for_selector("#service-documents li:has-text('KTP-el')")
    assert page.inner_text("#service-fee") == "Gratis"

    page.fill("#nik", NIK[:10])
    assert page.inner_text("#nik-check") == "NIK harus 16 digit."
    page.fill("#nik", NIK)
    assert page.get_attribute("#nik-check", "data-ok") == "true"
    page.fill("#name", "Siti Aminah")
    page.fill("#phone", "081234567890")
    page.click("#submit-application")

    number = page.wait_for_selector("#receipt-number").inner_text()
    assert number.startswith("MPP")
    assert page.locator("#receipt figure.qr svg").count() == 1
    journey["tracking_number"] = number
    tab.shoot("counter")
    page.emulate_media(media="print")
    tab.shoot("receipt-print")


def test_supervisor_sees_the_summary(tab, site):
    _, tokens = site
    tab.sign_in(tokens["regent"])
    page = tab.page
    page.goto(f"{tab.base}/console/dashboard")

    page.wait_for_selector("#summary th:has-text('DPMPTSP')")
    assert page.locator("#chart rect.sla-on_track").count() == 1
    page.wait_for_selector("#attention li")
    tab.shoot("dashboard")


def test_officer_claims_and_completes_the_task(tab, site, journey):
    _, tokens = site
    tab.sign_in(tokens["licensing_officer"])
    page = tab.page
    page.goto(f"{tab.base}/console/inbox")

    row = page.wait_for_selector(f"#tasks tr:has-text('{journey['tracking_number']}')")
    row.wait_for_selector("button[data-action=claim]").click()
    row = page.wait_for_selector("#tasks tr:has(button[data-action=release])")
    assert "licensing_officer" in row.inner_text()
    row.wait_for_selector("button.link").click()
    page.wait_for_selector("#timeline li:has-text('Verifikasi berkas')")
    tab.shoot("inbox")

    page.fill("#fields input[name=field]", "approved")
    page.fill("#fields input[name=value]", "true")
    page.click("#complete")
    page.wait_for_selector("#message:has-text('Tugas selesai.')")
    page.wait_for_selector("#no-tasks:visible")


def test_resident_tracks_the_application(tab, journey):
    page = tab.page
    page.goto(f"{tab.base}/console/track?number={journey['tracking_number']}")

    page.fill("#track-nik", NIK)
    page.click("form button[type=submit]")

    assert page.wait_for_selector("#track-status").inner_text() == "Selesai"
    tab.shoot("track")


def test_resident_downloads_verifies_and_rates(tab, journey):
    page = tab.page
    number = journey["tracking_number"]
    page.goto(f"{tab.base}/console/track?number={number}")
    page.fill("#track-nik", NIK)
    page.click("form button[type=submit]")

    page.fill("#document-nik", NIK)
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

    page.goto(f"{tab.base}/console/track?number={number}")
    page.fill("#track-nik", NIK)
    page.click("form button[type=submit]")
    for element in ELEMENTS:
        page.check(f"#rating-form input[name={element}][value='4']")
    page.fill("#rating-nik", NIK)
    tab.shoot("rating")
    page.click("#rating-form button[type=submit]")
    page.wait_for_selector("#rating-notice:has-text('Terima kasih')")
    assert page.locator("#rating-form").count() == 0


def test_kiosk_ticket_and_hall_screen(tab, site):
    _, tokens = site
    page = tab.page
    page.goto(f"{tab.base}/console/queue/A1")
    page.click("#take-ticket")
    assert page.wait_for_selector("#ticket-number").inner_text() == "A1-001"
    tab.shoot("queue-ticket")

    page.goto(f"{tab.base}/console/queue/A1/screen")
    assert page.inner_text("#now-serving") == "Belum ada"
    called = page.request.post(f"{tab.base}/console/queue/A1/next",
                               headers={"Authorization": f"Bearer {tokens['counter']}"})
    assert called.json()["number"] == 1
    page.wait_for_selector("#now-serving:has-text('A1-001')")
    tab.shoot("queue-screen")


def test_analyst_opens_a_deployed_diagram(tab, site):
    _, tokens = site
    tab.sign_in(tokens["analyst"])
    page = tab.page
    page.goto(f"{tab.base}/console/modeler")
    if page.locator("#modeler-missing").count():
        pytest.skip("bpmn-js is not installed (npm ci --prefix console)")

    page.wait_for_selector(
        "#diagram-picker option[value=counter_permit]", state="attached"
    )
    page.select_option("#diagram-picker", "counter_permit")
    page.wait_for_selector("#canvas [data-element-id=verify_documents]")
    tab.shoot("modeler")

    page.click("#deploy")
    page.wait_for_selector("#message:has-text('Diagram terpasang: counter_permit')")


def test_english_toggle(tab):
    page = tab.page
    page.goto(f"{tab.base}/console/track")
    page.click("a.lang")

    page.wait_for_selector("h1:has-text('Track an application')")
    assert page.get_attribute("html", "lang") == "en"
