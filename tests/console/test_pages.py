"""Each console page renders, in Indonesian by default and in English on request."""

from __future__ import annotations

import pytest

from tests.console.conftest import bearer

PAGES = {
    "/console/login": "Masuk petugas",
    "/console/counter": "Loket pelayanan",
    "/console/inbox": "Kotak masuk instansi",
    "/console/track": "Lacak permohonan",
    "/console/dashboard": "Dasbor pengawas SLA",
    "/console/modeler": "Pemodel proses",
    "/console/admin": "Administrasi",
}


@pytest.mark.parametrize("path, heading", PAGES.items())
def test_page_renders_in_indonesian(client, path, heading):
    response = client.get(path)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="id">' in page
    assert heading in page
    assert "English" in page


def test_english_is_chosen_and_remembered(client):
    chosen = client.get("/console/counter?lang=en")
    remembered = client.get("/console/inbox")

    assert "Service counter" in chosen.get_data(as_text=True)
    assert '<html lang="en">' in remembered.get_data(as_text=True)
    assert "Agency inbox" in remembered.get_data(as_text=True)


def test_the_language_toggle_keeps_the_other_parameters(client):
    page = client.get("/console/track?number=MPP-1&lang=id").get_data(as_text=True)

    assert 'href="?number=MPP-1&amp;lang=en" class="lang"' in page


def test_unknown_language_falls_back_to_indonesian(client):
    page = client.get("/console/counter?lang=xx").get_data(as_text=True)

    assert '<html lang="id">' in page


def test_root_leads_to_the_counter(client):
    response = client.get("/console/")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/counter")


def test_strings_reach_the_browser_modules(client):
    page = client.get("/console/counter").get_data(as_text=True)

    assert '<script type="application/json" id="strings">' in page
    assert "counter.js" in page


def test_static_modules_are_served(client):
    for name in (
        "api.js",
        "nik.js",
        "counter.js",
        "inbox.js",
        "dashboard.js",
        "modeler.js",
        "modeler_id.js",
        "login.js",
        "clerk_queue.js",
        "applications.js",
        "admin.js",
    ):
        response = client.get(f"/console/static/js/{name}")
        assert response.status_code == 200, name
        response.close()


def test_modeler_loads_bpmn_js_from_the_console_when_installed(client):
    from console.views import VENDOR_DIR

    if not VENDOR_DIR.is_dir():
        pytest.skip("bpmn-js is not installed (npm ci --prefix console)")

    page = client.get("/console/modeler").get_data(as_text=True)
    script = client.get("/console/vendor/bpmn-modeler.production.min.js")

    assert "/console/vendor/bpmn-modeler.production.min.js" in page
    assert script.status_code == 200
    script.close()


def test_vendor_paths_stay_inside_bpmn_js(client):
    response = client.get("/console/vendor/..%2F..%2Fpackage.json")

    assert response.status_code == 404


def test_the_console_serves_no_diagrams_of_its_own(client, filed, staff):
    """The modeler reads deployed diagrams from the API, like every staff page."""
    for path in ("/console/diagrams", "/console/diagrams/counter_permit"):
        response = client.get(path, headers=bearer(staff["analyst"]))
        assert response.status_code == 404, path


def test_the_modeler_page_has_check_deploy_and_versions(client):
    page = client.get("/console/modeler").get_data(as_text=True)
    if 'id="modeler-missing"' in page:
        pytest.skip("bpmn-js is not installed (npm ci --prefix console)")

    for part in ('id="validate"', 'id="deploy"', 'id="versions"', 'id="element-form"'):
        assert part in page
