"""Resident notifications and the periodic tick, in process (no Redis)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from api.extensions import db
from workers.models import Notification
from workers.wiring import instance_service

pytestmark = pytest.mark.postgres

RETURN_LOOP = """
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review file">
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
NODES = ["start", "review", "complete", "fix", "end"]


def test_resident_hears_at_submission_return_and_completion(
    app_factory, deployed, open_tasks, caplog
):
    app = app_factory(None)
    deployed("loop", RETURN_LOOP, NODES)
    service = instance_service(db.session)
    instance = service.start("loop", {}, "resident-7")
    db.session.commit()

    for data in ({"missing": True}, {}, {"missing": False}):
        (task,) = open_tasks(instance.id)
        service.complete(task.id, data, "clerk")

    with caplog.at_level(logging.INFO, logger="workers.notifications"):
        result = app.test_cli_runner().invoke(args=["workers", "tick"])
    assert result.exit_code == 0, result.output
    assert "'notifications': 3" in result.output

    sent = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.kind for n in sent] == ["submitted", "returned_to_applicant", "completed"]
    assert all(n.recipient == "resident-7" and n.adapter == "log" for n in sent)
    assert sum(r.message == "resident notified" for r in caplog.records) == 3
