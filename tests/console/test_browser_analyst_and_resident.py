"""The console in a real browser for analysts and residents: Chromium via Playwright.

An analyst adds a task to a diagram in bpmn-js, sees the server's objection
on the offending flow, fixes it, deploys a new version and opens the old one,
in a modeler that speaks the page's language; a resident tracks a completed
application and its timeline, downloads its PDF, verifies the code and rates
the service, and the index shows on the dashboard; the console switches to
English. No page may log a console error.

Like test_browser.py, it runs once on SQLite and once on PostgreSQL on a site
of its own (tests/console/conftest.py), and skips without Chromium or
playwright.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from processes.satisfaction import ELEMENTS
from tests.console.conftest import (
    CHROMIUM,
    SURVEY_SERVICE,
    as_regent,
)

pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


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
            for row in as_regent(site, "/satisfaction", group_by=group).json["items"]
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
