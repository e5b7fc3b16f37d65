"""Running instances: each scenario saves and reloads the instance between steps.

The service loads the workflow from its row and saves it back on every call;
several tests also open a second session mid-run to prove that what was saved
is all another request needs.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.diagrams import deploy
from engine.errors import Conflict, InvalidLaneBinding, MigrationRefused
from engine.instances import InstanceService
from engine.models import AuditEvent, InstanceStatus, Task, TaskKind, TaskState

AGENCIES = {"DPMPTSP", "DPUCKPP", "DLH", "DUKCAPIL"}
APPLICATION = {"applicant": "Siti", "area": 30}


@pytest.fixture
def fresh(db_session):
    """Open sessions and services of their own: other requests, in effect."""
    opened: list[Session] = []

    def open_one() -> tuple[Session, InstanceService]:
        session = Session(db_session.get_bind())
        opened.append(session)
        return session, InstanceService(session)

    yield open_one
    for session in opened:
        session.rollback()
        session.close()


def _only_open(service, instance_id, element_id) -> Task:
    [task] = [t for t in service.open_tasks(instance_id) if t.element_id == element_id]
    return task


def _deploy(session, *files, roles=frozenset()):
    versions = deploy(
        session, list(files), agencies=AGENCIES, roles=roles, actor="analyst"
    )
    session.commit()
    return versions


# -- the reference diagram ---------------------------------------------------------


def test_reference_diagram_runs_to_completion_across_sessions(
    db_session, fresh, deploy_permit
):
    deploy_permit()
    instance_id = InstanceService(db_session).start("permit", APPLICATION, "counter").id
    db_session.commit()

    steps = [
        ("intake", {}),
        ("review_a", {"approved_a": True}),
        ("review_b", {"approved_b": True}),
        ("issue", {}),
    ]
    for element_id, data in steps:
        session, service = fresh()
        task = _only_open(service, instance_id, element_id)
        service.complete(task.id, data, f"officer-{task.agency}")
        session.close()

    session, service = fresh()
    instance = service.get(instance_id)
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.end_event_id == "end_issued"
    assert instance.ended_at is not None
    assert service.data(instance_id)["fee"] == 100
    assert service.open_tasks(instance_id) == []
    session.close()


def test_a_second_session_sees_the_same_state_mid_run(db_session, fresh, deploy_permit):
    deploy_permit()
    service = InstanceService(db_session)
    instance = service.start("permit", APPLICATION, "counter")
    service.complete(
        _only_open(service, instance.id, "intake").id, {"checked": True}, "o"
    )
    service.complete(
        _only_open(service, instance.id, "review_a").id, {"approved_a": True}, "o"
    )

    other_session, other = fresh()
    assert [t.element_id for t in other.open_tasks(instance.id)] == ["review_b"]
    assert other.data(instance.id)["checked"] is True
    assert other.get(instance.id).state == service.get(instance.id).state

    other.complete(
        _only_open(other, instance.id, "review_b").id, {"approved_b": True}, "o"
    )
    other_session.close()

    db_session.expire_all()
    assert [t.element_id for t in service.open_tasks(instance.id)] == ["issue"]
    assert service.data(instance.id)["approved_a"] is True


def test_tasks_are_projected_with_agency_state_and_no_deadline(
    db_session, deploy_permit
):
    deploy_permit()
    service = InstanceService(db_session)
    instance = service.start("permit", APPLICATION, "counter")

    [intake] = service.open_tasks(instance.id)
    assert (intake.agency, intake.state, intake.kind) == ("DPMPTSP", "ready", "user")
    assert intake.sla_working_days == 1
    assert intake.deadline is None
    assert intake.name == "Intake at counter"

    service.claim(intake.id, "ayu")
    assert service.task(intake.id).state == TaskState.CLAIMED
    service.complete(intake.id, {}, "ayu")
    assert service.task(intake.id).state == TaskState.COMPLETED
    assert service.task(intake.id).completed_by == "ayu"

    agencies = {t.element_id: t.agency for t in service.open_tasks(instance.id)}
    assert agencies == {"review_a": "DPUCKPP", "review_b": "DLH"}


def test_completing_a_closed_or_someone_elses_task_is_a_conflict(
    db_session, deploy_permit
):
    deploy_permit()
    service = InstanceService(db_session)
    instance = service.start("permit", APPLICATION, "counter")
    intake = _only_open(service, instance.id, "intake")
    service.complete(intake.id, {}, "ayu")

    with pytest.raises(Conflict):
        service.complete(intake.id, {}, "ayu")

    review_a = _only_open(service, instance.id, "review_a")
    service.claim(review_a.id, "budi")
    with pytest.raises(Conflict):
        service.complete(review_a.id, {"approved_a": True}, "citra")
    with pytest.raises(Conflict):
        service.claim(review_a.id, "citra")
    with pytest.raises(Conflict):
        service.release(review_a.id, "citra")

    service.cancel(instance.id, "supervisor", "withdrawn by the applicant")
    with pytest.raises(Conflict):
        service.complete(review_a.id, {"approved_a": True}, "budi")


def test_claim_release_and_assign(db_session, deploy_permit):
    deploy_permit()
    service = InstanceService(db_session)
    instance = service.start("permit", APPLICATION, "counter")
    intake = _only_open(service, instance.id, "intake")

    service.claim(intake.id, "ayu")
    service.claim(intake.id, "ayu")  # claiming again is harmless
    service.release(intake.id, "ayu")
    released = service.task(intake.id)
    assert (released.state, released.claimed_by) == ("ready", None)

    service.claim(intake.id, "budi")
    service.assign(intake.id, "citra", "supervisor")
    assigned = service.task(intake.id)
    assert (assigned.state, assigned.claimed_by) == ("claimed", "citra")

    actions = db_session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.chain == f"instance:{instance.id}")
        .order_by(AuditEvent.seq)
    ).all()
    assert actions[-5:] == [
        "task_claimed",
        "task_claimed",
        "task_released",
        "task_claimed",
        "task_assigned",
    ]


def test_cancel_closes_open_tasks(db_session, deploy_permit):
    deploy_permit()
    service = InstanceService(db_session)
    instance = service.start("permit", APPLICATION, "counter")
    service.complete(_only_open(service, instance.id, "intake").id, {}, "ayu")

    service.cancel(instance.id, "supervisor", "duplicate application")

    instance = service.get(instance.id)
    assert instance.status == InstanceStatus.CANCELLED
    assert instance.ended_at is not None
    states = {
        t.element_id: t.state
        for t in db_session.scalars(select(Task).where(Task.instance_id == instance.id))
    }
    assert states == {
        "intake": "completed",
        "review_a": "cancelled",
        "review_b": "cancelled",
    }
    with pytest.raises(Conflict):
        service.cancel(instance.id, "supervisor")


# -- incidents ------------------------------------------------------------------


def test_incident_then_retry_with_the_missing_data(db_session, fresh, diagram_file):
    _deploy(db_session, diagram_file("fee-needs-data.bpmn"))
    service = InstanceService(db_session)

    instance = service.start("fee_calc", {"price": 10}, "counter")
    db_session.commit()
    assert instance.status == InstanceStatus.ERROR
    assert instance.error_element_id == "compute"
    assert instance.error_line is not None
    assert "quantity" in instance.error_message
    assert service.open_tasks(instance.id) == []

    other_session, other = fresh()
    retried = other.retry(instance.id, "operator", data={"quantity": 3})

    assert retried.status == InstanceStatus.RUNNING
    assert retried.error_message is None and retried.error_element_id is None
    assert other.data(instance.id)["total"] == 30
    assert [t.element_id for t in other.open_tasks(instance.id)] == ["pay"]
    with pytest.raises(Conflict):
        other.retry(instance.id, "operator")
    other_session.close()


def test_retry_without_a_fix_fails_again(db_session, diagram_file):
    _deploy(db_session, diagram_file("fee-needs-data.bpmn"))
    service = InstanceService(db_session)
    instance = service.start("fee_calc", {"price": 10}, "counter")

    again = service.retry(instance.id, "operator")

    assert again.status == InstanceStatus.ERROR
    incidents = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.chain == f"instance:{instance.id}",
            AuditEvent.action == "incident",
        )
    ).all()
    assert len(incidents) == 2


# -- versions -------------------------------------------------------------------


def test_migration_to_a_version_that_has_the_waiting_task(
    db_session, fresh, deploy_permit, reference_content
):
    deploy_permit()
    service = InstanceService(db_session)
    instance = service.start("permit", APPLICATION, "counter")
    deploy_permit(reference_content.replace(b"Issue permit", b"Issue the permit"))

    migrated = service.migrate(instance.id, 2, "analyst")

    assert migrated.process_version.version == 2
    db_session.commit()
    _session, other = fresh()
    for element_id, data in [
        ("intake", {}),
        ("review_a", {"approved_a": True}),
        ("review_b", {"approved_b": True}),
    ]:
        other.complete(_only_open(other, instance.id, element_id).id, data, "o")
    assert _only_open(other, instance.id, "issue").name == "Issue the permit"
    _session.close()


def test_migration_is_refused_when_the_waiting_task_is_gone(
    db_session, deploy_permit, reference_content
):
    deploy_permit()
    service = InstanceService(db_session)
    instance = service.start("permit", APPLICATION, "counter")
    deploy_permit(reference_content.replace(b"intake", b"counter_check"))

    with pytest.raises(MigrationRefused, match="intake"):
        service.migrate(instance.id, 2, "analyst")

    assert service.get(instance.id).process_version.version == 1


# -- calls, roles, services, timers -----------------------------------------------


def test_call_activity_runs_a_process_deployed_from_another_file(
    db_session, fresh, diagram_file
):
    [called] = _deploy(db_session, diagram_file("fee-lookup.bpmn"))
    [caller] = _deploy(db_session, diagram_file("permit-with-call.bpmn"))
    assert caller.dependencies == {"fee_lookup": called.id}

    service = InstanceService(db_session)
    instance = service.start("permit_call", {"area": 21}, "counter")
    db_session.commit()

    _session, other = fresh()
    confirm = _only_open(other, instance.id, "confirm_fee")
    assert confirm.agency == "DPMPTSP"
    assert other.data(instance.id)["fee"] == 42
    other.complete(confirm.id, {}, "ayu")
    assert other.get(instance.id).status == InstanceStatus.COMPLETED
    _session.close()


def test_calling_a_process_that_is_not_deployed_is_refused(db_session, diagram_file):
    from engine.errors import DiagramInvalid

    with pytest.raises(DiagramInvalid) as refused:
        _deploy(db_session, diagram_file("permit-with-call.bpmn"))

    [problem] = refused.value.problems
    assert problem.element_id == "lookup" and "fee_lookup" in problem.message


def test_role_lane_is_bound_to_an_agency_at_start(db_session, fresh, diagram_file):
    [version] = _deploy(db_session, diagram_file("role-lanes.bpmn"), roles={"issuer"})
    assert version.roles == ["issuer"]
    service = InstanceService(db_session)

    with pytest.raises(InvalidLaneBinding, match="issuer"):
        service.start("role_permit", {}, "counter")
    with pytest.raises(InvalidLaneBinding, match="NOWHERE"):
        service.start(
            "role_permit",
            {},
            "counter",
            lane_bindings={"issuer": "NOWHERE"},
            agencies=AGENCIES,
        )

    instance = service.start(
        "role_permit",
        {},
        "counter",
        lane_bindings={"issuer": "DUKCAPIL"},
        agencies=AGENCIES,
    )
    service.complete(_only_open(service, instance.id, "intake").id, {}, "ayu")

    _session, other = fresh()
    assert _only_open(other, instance.id, "issue").agency == "DUKCAPIL"
    _session.close()


def test_role_lane_needs_the_role_at_deploy(db_session, diagram_file):
    from engine.errors import DiagramInvalid

    with pytest.raises(DiagramInvalid, match="issuer"):
        _deploy(db_session, diagram_file("role-lanes.bpmn"))


def test_service_task_waits_for_a_worker(db_session, fresh, diagram_file):
    _deploy(db_session, diagram_file("service-task.bpmn"))
    service = InstanceService(db_session)
    instance = service.start(
        "nib_check", {"applicant_nib": "9120001234567", "attempts": 0}, "counter"
    )
    db_session.commit()

    [waiting] = service.open_tasks(instance.id)
    assert waiting.kind == TaskKind.SERVICE
    assert waiting.connector == "oss.lookup_nib"
    assert waiting.connector_params == {
        "nib": "9120001234567",
        "region": "Banyuwangi",
        "attempt": 1,
    }

    _session, worker = fresh()
    worker.complete(waiting.id, {"nib_result": {"status": "active"}}, "worker")
    _session.close()

    db_session.expire_all()
    assert service.data(instance.id)["nib_result"] == {"status": "active"}
    assert [t.element_id for t in service.open_tasks(instance.id)] == ["review"]


def _fire_when_due(fresh, instance_id: int, due: datetime) -> datetime | None:
    """Fire the instance's timers once ``due``; return its next due time.

    From a session of its own, as the periodic tick would.
    """
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.1)
    session, sweeper = fresh()
    try:
        return sweeper.fire_timers(instance_id).due_at
    finally:
        session.close()


def test_boundary_timer_fires_after_its_due_time(db_session, fresh, diagram_file):
    _deploy(db_session, diagram_file("boundary-timer.bpmn"))
    service = InstanceService(db_session)
    instance = service.start("timed_review", {}, "counter")
    assert instance.due_at is not None
    assert instance.due_at - instance.started_at <= timedelta(seconds=2)

    service.fire_timers(instance.id)
    assert [t.element_id for t in service.open_tasks(instance.id)] == ["review"]

    assert _fire_when_due(fresh, instance.id, instance.due_at) is None

    db_session.expire_all()
    assert [t.element_id for t in service.open_tasks(instance.id)] == ["escalate"]
    review = db_session.scalar(
        select(Task).where(Task.instance_id == instance.id, Task.element_id == "review")
    )
    assert review.state == TaskState.CANCELLED


def test_timer_start_and_intermediate_timers_wait_then_run_on(
    db_session, fresh, diagram_file
):
    _deploy(db_session, diagram_file("timer-start.bpmn"))
    service = InstanceService(db_session)
    instance = service.start("cooling_off", {}, "counter")
    db_session.commit()

    # Nothing to do before the start event's timer: no task, a due time set.
    assert service.open_tasks(instance.id) == []
    first_due = instance.due_at
    assert first_due is not None
    assert first_due - instance.started_at <= timedelta(seconds=2)
    assert service.fire_timers(instance.id).due_at == first_due  # not yet due

    second_due = _fire_when_due(fresh, instance.id, first_due)
    # The start fired; the intermediate timer now waits, still without a task.
    assert second_due is not None and second_due > first_due
    db_session.expire_all()
    assert service.open_tasks(instance.id) == []

    assert _fire_when_due(fresh, instance.id, second_due) is None

    db_session.expire_all()
    assert [t.element_id for t in service.open_tasks(instance.id)] == ["review"]
