"""The console in a real browser, as staff use it: Debian's Chromium via Playwright.

A counter clerk starts an application and prints the receipt, lists what
they filed and cancels one, then calls the next queue number the hall screen
shows; a village office's clerk records a resident's village, which the
dashboard groups by; an officer claims, releases, claims again and completes
a task, and cannot release a colleague's; a supervisor watches the SLA chart
change, groups and counts it, downloads it and acknowledges an escalation;
an agency head cancels an application of the agency's service.
No page may log a console error.

Each test makes its own applications through fixtures (a fresh NIK each), so
the tests run in any order. The whole module runs once on SQLite and once on
PostgreSQL (the site and tabs are tests/console/conftest.py's). Screenshots
of each page go to ``screenshots/`` at the repository root.

Skipped when Chromium (``/usr/bin/chromium``) or the playwright package is
missing; ``make setup`` installs both.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from api.extensions import db
from engine.db import utcnow
from tests.console.conftest import (
    CHROMIUM,
    FORM_SERVICE,
    KEBALENAN,
    LEVY_SERVICE,
    PAKIS,
    as_regent,
    fresh_nik,
)

pytest.importorskip("playwright.sync_api")

SUMMARY_COLUMNS = (
    "on_track",
    "at_risk",
    "breached",
    "completed_within",
    "completed_after",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


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
    row = f"#applications tr[data-application-id='{withdrawn['id']}']"
    page.wait_for_selector(f"{row}[data-status=in_progress]")
    # Newest first: the withdrawn one was filed last.
    ids = page.eval_on_selector_all(
        "#applications tr[data-application-id]",
        "rows => rows.map((row) => Number(row.dataset.applicationId))",
    )
    assert ids.index(withdrawn["id"]) < ids.index(kept["id"])

    page.click(f"{row} button.cancel")
    page.fill(f"{row} input[name=reason]", "ditarik oleh pemohon")
    page.click(f"{row} .cancel-form button[type=submit]")

    page.wait_for_selector(f"{row}[data-status=cancelled]")
    assert page.inner_text(f"{row} td.status") == "Dibatalkan"
    assert page.locator(f"{row} button.cancel").count() == 0
    kept_row = f"#applications tr[data-application-id='{kept['id']}']"
    assert page.get_attribute(kept_row, "data-status") == "in_progress"
    tab.shoot("counter-cancelled")

    page.select_option("#applications-status", "cancelled")
    page.wait_for_selector(
        f"#applications tr[data-application-id='{kept['id']}']", state="detached"
    )
    statuses = page.eval_on_selector_all(
        "#applications tr[data-application-id]",
        "rows => rows.map((row) => row.dataset.status)",
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
        for item in as_regent(site, "/sla/summary", group_by="village").json["items"]
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
    expected = as_regent(site, "/sla/summary", group_by="service").json["items"]
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

    expected = as_regent(
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
    raised = as_regent(site, "/escalations", per_page=100).json["items"]
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
    done = as_regent(site, "/escalations", acknowledged="true", per_page=100).json
    (acknowledged,) = [e for e in done["items"] if e["id"] == chosen["id"]]
    assert acknowledged["acknowledged_by"] == "regent"


def test_agency_head_cancels_an_application_of_the_agencys_service(tab, site):
    withdrawn = site.file()
    tab.sign_in(site.tokens["licensing_head"])
    page = tab.page
    page.goto(f"{tab.base}/console/dashboard")
    row = f"#applications tr[data-application-id='{withdrawn['id']}']"
    page.wait_for_selector(f"{row}[data-status=in_progress]")

    page.click(f"{row} button.cancel")
    page.fill(f"{row} input[name=reason]", "berkas ganda")
    page.click(f"{row} .cancel-form button[type=submit]")

    page.wait_for_selector(f"{row}[data-status=cancelled]")
    assert page.locator(f"{row} button.cancel").count() == 0
    tab.shoot("dashboard-cancelled")


def test_admin_sends_an_agencys_tasks_to_its_system_and_closes_a_day(tab, site):
    admin = {"Authorization": f"Bearer {site.tokens['admin']}"}
    api = site.app.test_client()

    def deadline(working_days: int, agency: str | None = None) -> str:
        query = {"start": f"{start}T09:00:00+07:00", "working_days": working_days}
        if agency:
            query["agency"] = agency
        answer = api.get("/api/v1/calendar/deadline", headers=admin, query_string=query)
        return answer.json["deadline"]

    # A Monday weeks ahead, so the page (which lists today on) shows the day;
    # the day closed is the working day after it, whatever the holidays.
    ahead = date.today() + timedelta(days=21)
    start = (ahead - timedelta(days=ahead.weekday())).isoformat()
    day = deadline(1)[:10]
    before = deadline(3)
    tab.sign_in(site.tokens["admin"])
    page = tab.page
    page.goto(f"{tab.base}/console/admin")
    page.wait_for_selector("#endpoint-agency option[value=DPMPTSP]", state="attached")

    # A URL the API refuses is named in the form's errors.
    page.fill("#endpoint-url", "ftp://sicantik.example/terpadu")
    page.fill("#endpoint-secret", "dpmptsp-shared-secret")
    page.click("#endpoint-form button[type=submit]")
    page.wait_for_selector("#endpoint-errors li:has-text('url')")
    # Chromium logs the refusal this step asked for; nothing else may be there.
    [refused] = tab.errors
    assert "status of 422" in refused
    tab.errors.clear()

    page.fill("#endpoint-url", "https://sicantik.example/terpadu")
    page.fill("#endpoint-secret", "dpmptsp-shared-secret")
    page.click("#endpoint-form button[type=submit]")
    endpoint = "#endpoints tr[data-agency=DPMPTSP]"
    page.wait_for_selector(f"{endpoint}:has-text('https://sicantik.example/terpadu')")
    assert page.input_value("#endpoint-secret") == ""
    assert "dpmptsp-shared-secret" not in page.content()
    saved = api.get("/api/v1/agencies/DPMPTSP/endpoint", headers=admin)
    assert saved.json["url"] == "https://sicantik.example/terpadu"

    page.fill("#calendar-day", day)
    page.select_option("#calendar-agency", "DPMPTSP")
    page.fill("#calendar-reason", "banjir")
    page.click("#calendar-form button[type=submit]")
    closed = f"#calendar-exceptions tr[data-day='{day}'][data-kind=closed]"
    page.wait_for_selector(f"{closed}:has-text('banjir')")
    assert deadline(3, "DPMPTSP") > before
    assert deadline(3) == before  # the other agencies keep the day
    tab.shoot("admin")

    page.click(f"{endpoint} button.remove")
    page.wait_for_selector(endpoint, state="detached")
    page.click(f"{closed} button.remove")
    page.wait_for_selector(closed, state="detached")
    assert api.get("/api/v1/agency-endpoints", headers=admin).json["total"] == 0
    assert api.get("/api/v1/calendar/exceptions", headers=admin).json["total"] == 0


def test_admin_makes_an_officers_account_renews_its_token_and_deactivates_it(tab, site):
    api = site.app.test_client()

    def signs_in(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return api.get("/api/v1/me", headers=headers).status_code

    name = f"officer.{fresh_nik()[-4:]}"
    tab.sign_in(site.tokens["admin"])
    page = tab.page
    page.goto(f"{tab.base}/console/admin")
    page.wait_for_selector("#account-agency option[value=DPMPTSP]", state="attached")

    page.fill("#account-name", name)
    page.select_option("#account-role", "officer")
    page.select_option("#account-agency", "DPMPTSP")
    page.click("#account-form button[type=submit]")
    row = f"#accounts tr[data-user='{name}']"
    page.wait_for_selector(f"{row}[data-active=true]")
    page.wait_for_selector(
        "#accounts tr[data-user=village_clerk]:has-text('Kebalenan')"
    )
    page.select_option("#accounts-agency", "DPMPTSP")
    page.wait_for_selector("#accounts tr[data-user=village_clerk]", state="detached")
    page.wait_for_selector(f"{row}[data-active=true]")
    # The admin's own account offers a new token but no deactivation.
    assert page.locator("#accounts tr[data-user=admin] button.toggle").count() == 0
    first = page.text_content("#new-token-value")
    assert signs_in(first) == 200

    page.click(f"{row} button.renew")
    page.wait_for_function(
        "first => document.getElementById('new-token-value').textContent !== first",
        arg=first,
    )
    second = page.text_content("#new-token-value")
    assert signs_in(first) == 401
    assert signs_in(second) == 200

    page.click(f"{row} button.toggle")
    page.wait_for_selector(f"{row}[data-active=false]")
    assert signs_in(second) == 401
    tab.shoot("admin-accounts")


def test_admin_runs_a_stopped_application_again_with_the_missing_data(tab, site):
    stopped = site.file(LEVY_SERVICE)
    assert stopped["status"] == "error"
    tab.sign_in(site.tokens["admin"])
    page = tab.page
    page.goto(f"{tab.base}/console/admin")
    row = f"#incidents tr[data-application-id='{stopped['id']}']"
    page.wait_for_selector(f"{row}:has-text('compute')")
    assert "quantity" in page.text_content(f"{row} .incident-message")

    # Without the data the step fails again, and says so.
    page.click(f"{row} button.retry")
    page.wait_for_selector("#message[data-kind=error]:has-text('masih terhenti')")
    page.wait_for_selector(row)

    page.fill("#retry-data", '{"quantity": 2}')
    page.click(f"{row} button.retry")
    page.wait_for_selector("#message:has-text('berjalan lagi')")
    page.wait_for_selector(row, state="detached")
    moving = as_regent(site, f"/applications/{stopped['id']}").json
    assert moving["status"] == "in_progress"
    assert [t["name"] for t in moving["tasks"]] == ["Take the payment"]
