"""SLA deadlines, the applicant pause, the sweep and escalations, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.calendar import JAKARTA, WorkingCalendar
from engine.diagrams import DiagramFile, deploy
from engine.errors import Conflict
from engine.instances import InstanceService
from engine.models import Task
from engine.sla import (
    Escalation,
    SlaClock,
    SlaDeadlines,
    SlaListener,
    SlaPause,
    TaskSla,
    acknowledge,
    agency_holdings,
    sweep,
)

# Review by the agency; incomplete files go back to the applicant and return.
RETURN_LOOP = """
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_dpm" name="DPMPTSP">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>complete</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fix</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review file">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="sla_working_days" value="2" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="complete" default="f3">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="fix" name="Complete the documents">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="waits_on" value="applicant" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="complete" />
    <bpmn:sequenceFlow id="f3" sourceRef="complete" targetRef="end" />
    <bpmn:sequenceFlow id="f4" sourceRef="complete" targetRef="fix">
      <bpmn:conditionExpression>missing</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f5" sourceRef="fix" targetRef="review" />
"""

# Monday 2 March 2026, 09:00 WIB: an ordinary working week follows.
MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=JAKARTA)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_9)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture
def sla_service(db_session, process_xml, calendar, clock) -> InstanceService:
    deploy(
        db_session,
        [DiagramFile("loop.bpmn", process_xml(RETURN_LOOP, "loop"))],
        agencies={"DPMPTSP"},
        actor="analyst",
    )
    db_session.commit()
    listener = SlaListener(
        calendar,
        application_days=lambda instance: 5,
        kecamatan_of=lambda instance: "35.10.01",
        clock=clock,
    )
    return InstanceService(
        db_session, deadlines=SlaDeadlines(calendar), listeners=[listener], clock=clock
    )


def _open(service: InstanceService, instance_id: int) -> Task:
    (task,) = service.open_tasks(instance_id)
    return task


def test_task_deadline_comes_from_its_property_else_the_step_default(calendar):
    task = Task(created_at=MONDAY_9, agency="DUKCAPIL", sla_working_days=2)
    other = Task(created_at=MONDAY_9, agency="DUKCAPIL", sla_working_days=None)
    policy = SlaDeadlines(calendar, step_default=lambda instance, task: 1)

    assert policy.task_deadline(None, task) == datetime(2026, 3, 4, 16, tzinfo=JAKARTA)
    assert policy.task_deadline(None, other) == datetime(2026, 3, 3, 16, tzinfo=JAKARTA)
    assert SlaDeadlines(calendar).task_deadline(None, other) is None


def test_clock_stops_while_the_applicant_fixes_and_resumes_after(
    db_session, sla_service, clock
):
    instance = sla_service.start("loop", {}, "counter")
    sla_clock = db_session.get(SlaClock, instance.id)
    # Five working days from Monday 09:00: the next Monday at 16:00.
    assert sla_clock.deadline == datetime(2026, 3, 9, 16, tzinfo=JAKARTA)
    assert sla_clock.allowed_seconds == 7 * 3600 + 5 * 8 * 3600

    clock.now = MONDAY_9 + timedelta(hours=2)
    sla_service.complete(_open(sla_service, instance.id).id, {"missing": True}, "clerk")
    assert db_session.get(SlaClock, instance.id).paused_at == clock.now

    # The applicant takes until Wednesday 10:00: 5 + 8 + 2 working hours.
    clock.now = datetime(2026, 3, 4, 10, tzinfo=JAKARTA)
    sla_service.complete(_open(sla_service, instance.id).id, {}, "resident")
    sla_clock = db_session.get(SlaClock, instance.id)
    (pause,) = db_session.scalars(select(SlaPause)).all()

    assert sla_clock.paused_at is None
    assert pause.working_seconds == sla_clock.paused_seconds == 15 * 3600
    assert pause.reason == "waiting on applicant: Complete the documents"
    assert sla_clock.deadline == datetime(2026, 3, 11, 15, tzinfo=JAKARTA)

    clock.now += timedelta(hours=1)
    sla_service.complete(
        _open(sla_service, instance.id).id, {"missing": False}, "clerk"
    )
    assert db_session.get(SlaClock, instance.id).closed_at == clock.now


def test_sweep_marks_risk_and_breach_and_escalates_once(db_session, sla_service, clock):
    instance = sla_service.start("loop", {}, "counter")
    review = _open(sla_service, instance.id)
    task_sla = db_session.get(TaskSla, review.id)
    # Two working days from Monday 09:00 end Wednesday 16:00: 23 office hours.
    assert task_sla.allowed_seconds == 23 * 3600
    db_session.commit()

    sweep(db_session, task_sla.at_risk_at - timedelta(seconds=1))
    assert db_session.scalar(select(Task.sla_status)) == "on_track"

    sweep(db_session, task_sla.at_risk_at)
    db_session.commit()
    assert db_session.scalar(select(Task.sla_status)) == "at_risk"
    roles = db_session.execute(
        select(
            Escalation.task_key,
            Escalation.level,
            Escalation.role,
            Escalation.region_code,
        )
    ).all()
    assert sorted(roles) == [
        (review.id, "at_risk", "agency_head", None),
        (review.id, "at_risk", "camat", "35.10.01"),
    ]

    later = datetime(2026, 3, 12, 9, tzinfo=JAKARTA)
    before = db_session.scalar(select(func.count()).select_from(Escalation))
    report = sweep(db_session, later)
    again = sweep(db_session, later)
    db_session.commit()

    after = db_session.scalar(select(func.count()).select_from(Escalation))
    assert report.escalations == after - before > 0
    assert again.escalations == 0

    assert db_session.scalar(select(Task.sla_status)) == "breached"
    assert db_session.get(SlaClock, instance.id).status == "breached"
    assert report.tasks_breached == 1 and report.applications_breached == 1
    levels = db_session.execute(
        select(Escalation.task_key, Escalation.level, Escalation.role)
    ).all()
    # Per subject (the task, the application): 2 at risk, 3 breached.
    assert len(levels) == len(set(levels)) == 2 * (2 + 3)
    assert ("", "breached", "regent") in levels


def test_escalation_is_acknowledged_once(db_session, sla_service):
    instance = sla_service.start("loop", {}, "counter")
    sweep(db_session, datetime(2026, 3, 20, 9, tzinfo=JAKARTA))
    escalation = db_session.scalars(select(Escalation)).first()

    acknowledge(db_session, escalation.id, "kepala.dpmptsp")
    db_session.commit()

    assert escalation.acknowledged_by == "kepala.dpmptsp"
    with pytest.raises(Conflict):
        acknowledge(db_session, escalation.id, "someone.else")
    assert instance.id == escalation.instance_id


def test_agency_holdings_leave_out_the_applicants_time(
    db_session, sla_service, calendar, clock
):
    instance = sla_service.start("loop", {}, "counter")
    clock.now = MONDAY_9 + timedelta(hours=3)
    sla_service.complete(_open(sla_service, instance.id).id, {"missing": True}, "clerk")
    clock.now = datetime(2026, 3, 3, 9, tzinfo=JAKARTA)
    sla_service.complete(_open(sla_service, instance.id).id, {}, "resident")

    (holding,) = agency_holdings(
        db_session, calendar, instance.id, now=clock.now + timedelta(hours=1)
    )

    assert holding.agency == "DPMPTSP"
    assert holding.held_seconds == 4 * 3600
    # Both reviews were allowed two working days, 23 office hours each.
    assert holding.allowed_seconds == 2 * 23 * 3600
