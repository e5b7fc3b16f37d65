"""No overlapping aid: a beneficiary of one programme cannot apply for another."""

from __future__ import annotations

import pytest

from engine.errors import Conflict
from processes.aid import aid_programmes
from processes.applications import Applicant, instance_service, submit_application
from processes.catalogue import load_catalogue_from_package

RESIDENT = Applicant(nik="3510164107900003", name="Siti Aminah", phone="081234567890")
NEIGHBOUR = Applicant(nik="3510160101850002", name="Budi Santoso", phone="081234567891")


@pytest.fixture
def catalogue(db_session):
    load_catalogue_from_package(db_session)
    db_session.commit()
    return db_session


def _apply(session, service_code, applicant=RESIDENT):
    application, _ = submit_application(
        session, service_code=service_code, applicant=applicant, actor="counter"
    )
    return application


def test_every_aid_service_is_in_the_catalogue(catalogue):
    from processes.models import Service

    for code in aid_programmes():
        assert catalogue.get(Service, code) is not None, code


def test_an_applicant_for_one_programme_is_refused_another_naming_it(catalogue):
    housing = _apply(catalogue, "DPUCKPP-005")

    with pytest.raises(Conflict) as refused:
        _apply(catalogue, "DINSOS-003")

    assert "Rumah Tidak Layak Huni" in str(refused.value)
    assert housing.tracking_number in str(refused.value)
    assert _apply(catalogue, "DINSOS-003", NEIGHBOUR).status == "in_progress"


def test_a_cancelled_aid_application_no_longer_blocks_another(catalogue):
    housing = _apply(catalogue, "DPUCKPP-005")
    instance_service(catalogue).cancel(housing.instance_id, "supervisor", "withdrawn")

    assert _apply(catalogue, "DINSOS-003").status == "in_progress"


def test_services_outside_the_programmes_are_not_affected(catalogue):
    _apply(catalogue, "DPUCKPP-005")

    assert _apply(catalogue, "DUKCAPIL-001").status == "in_progress"
