"""Every catalogue service, run through the engine from start to end."""

from __future__ import annotations

import csv

import pytest

from processes.catalogue_data import DATA_DIR
from processes.models import Service

with (DATA_DIR / "services.csv").open(encoding="utf-8", newline="") as _file:
    SERVICE_CODES = [row["code"] for row in csv.DictReader(_file)]


def test_the_catalogue_holds_the_199_services_and_the_complaint_desk():
    assert len(SERVICE_CODES) == 200
    assert "DPMPTSP-031" in SERVICE_CODES


@pytest.mark.parametrize("code", SERVICE_CODES)
def test_service_completes_with_its_agencies_in_catalogue_order(driver, code):
    service = driver.session.get(Service, code)
    expected = driver.expected_agencies(service)

    run = driver.run(driver.start_service(service), prefer=expected)

    assert run.instance.status == "completed"
    assert not run.instance.end_event_id.startswith("rejected")
    assert run.agencies == expected


@pytest.mark.parametrize("code", SERVICE_CODES)
def test_service_goes_once_round_the_return_to_applicant_loop(driver, code):
    service = driver.session.get(Service, code)
    instance = driver.start_service(service)
    check = driver.advance_to_first_check(instance, service.process_id)

    run = driver.run(
        instance,
        answers={check: [{"documents_complete": False}]},
        prefer=driver.expected_agencies(service),
    )

    assert run.instance.status == "completed"
    assert not run.instance.end_event_id.startswith("rejected")
    assert run.elements.count(check) == 2
    returned = [task for task in run.completed if task.element_id == "await_documents"]
    assert [task.waits_on for task in returned] == ["applicant"]
    checked_by = {task.agency for task in run.completed if task.element_id == check}
    assert {returned[0].agency} == checked_by
