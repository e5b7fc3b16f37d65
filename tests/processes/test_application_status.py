"""An application's status follows its instance through the return loop."""

from __future__ import annotations

from processes.applications import Applicant, instance_service, submit_application
from processes.catalogue import load_catalogue_from_package
from processes.models import Service
from tests.processes.conftest import SUCCESS, document_checks

RESIDENT = Applicant(nik="3510164107900003", name="Siti Aminah", phone="081234567890")
SERVICE = "DUKCAPIL-001"


def _statuses_through_the_return_loop(session) -> list[tuple[str, str]]:
    """Submit, send the file back once, run to the end; (task, status) after each."""
    load_catalogue_from_package(session)
    session.commit()
    checks = document_checks(session.get(Service, SERVICE).process_id)
    application, _ = submit_application(
        session, service_code=SERVICE, applicant=RESIDENT, actor="counter"
    )
    engine = instance_service(session)
    seen = [("submitted", application.status)]
    returned = False
    while tasks := engine.open_tasks(application.instance_id):
        task = tasks[0]
        data = SUCCESS
        if task.element_id in checks and not returned:
            data, returned = {"documents_complete": False}, True
        engine.complete(task.id, data, "officer:7")
        seen.append((task.element_id, application.status))
    return seen


def test_the_status_waits_on_the_applicant_exactly_while_they_hold_the_file(
    db_session,
):
    seen = _statuses_through_the_return_loop(db_session)

    # The check sends the file back; the applicant's answer returns it; the
    # signed document then waits for the applicant to collect it.
    assert seen == [
        ("submitted", "in_progress"),
        ("verify_documents", "waiting_on_applicant"),
        ("await_documents", "in_progress"),
        ("verify_documents", "in_progress"),
        ("decide", "in_progress"),
        ("sign_document", "waiting_on_applicant"),
        ("hand_over_document", "completed"),
    ]
