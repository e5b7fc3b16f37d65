"""The audit chain: every change appends, and any tampering is found."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from engine import audit
from engine.instances import InstanceService
from engine.models import AuditEvent

APPLICATION = {"applicant": "Siti", "area": 30}


def _run_permit(session) -> int:
    service = InstanceService(session)
    instance = service.start("permit", APPLICATION, "counter")
    session.commit()
    for data in ({}, {"approved_a": True}, {"approved_b": True}):
        for task in service.open_tasks(instance.id):
            service.claim(task.id, "officer")
            service.complete(task.id, data, "officer")
            break
    return instance.id


def _chain(session, instance_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.chain == audit.instance_chain(instance_id))
            .order_by(AuditEvent.seq)
        )
    )


def test_every_change_appends_and_a_clean_run_verifies(db_session, deploy_permit):
    deploy_permit()
    instance_id = _run_permit(db_session)

    actions = [event.action for event in _chain(db_session, instance_id)]
    assert actions[:3] == ["instance_started", "task_created", "task_claimed"]
    assert actions.count("task_completed") == 3
    assert actions.count("task_claimed") == 3
    assert actions.count("task_created") == 4
    deployments = db_session.scalar(
        select(func.count()).where(AuditEvent.chain == "process:permit")
    )
    assert deployments == 1
    assert audit.verify(db_session) == []


def test_edited_detail_is_detected(db_session, deploy_permit):
    deploy_permit()
    instance_id = _run_permit(db_session)
    target = _chain(db_session, instance_id)[3]

    db_session.execute(
        update(AuditEvent)
        .where(AuditEvent.id == target.id)
        .values(detail={"task_id": "forged"})
    )
    db_session.commit()

    breaks = audit.verify(db_session)
    assert [(b.chain, b.seq, b.reason) for b in breaks] == [
        (audit.instance_chain(instance_id), target.seq, "row was altered")
    ]


def test_deleted_middle_row_is_detected(db_session, deploy_permit):
    deploy_permit()
    instance_id = _run_permit(db_session)
    middle = _chain(db_session, instance_id)[4]

    db_session.execute(delete(AuditEvent).where(AuditEvent.id == middle.id))
    db_session.commit()

    breaks = audit.verify(db_session)
    assert [(b.seq, b.reason) for b in breaks] == [(middle.seq, "row missing")]


def test_deleted_last_row_is_detected(db_session, deploy_permit):
    deploy_permit()
    instance_id = _run_permit(db_session)
    last = _chain(db_session, instance_id)[-1]

    db_session.execute(delete(AuditEvent).where(AuditEvent.id == last.id))
    db_session.commit()

    breaks = audit.verify(db_session, audit.instance_chain(instance_id))
    assert [b.reason for b in breaks] == ["latest rows missing"]
    assert audit.verify(db_session) != []
