"""Service tasks run through connectors: in process, on real RQ workers, killed."""

from __future__ import annotations

import importlib
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.extensions import db
from engine.models import AuditEvent as Event
from engine.models import Instance, Task
from workers.jobs import receive_callback
from workers.models import Notification, OutboxMessage
from workers.outbox import drain, relay
from workers.queues import InlineDispatcher, RedisDispatcher
from workers.wiring import instance_service

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

NODES = ["start", "check", "issue", "end"]


def service_body(connector: str) -> str:
    return f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="check" name="Check with the registry">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="{connector}" resultVariable="answer">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="spool" type="str" value="spool" />
            <spiffworkflow:parameter id="nik" type="str" value="nik" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="issue" name="Issue the document">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="issue" />
    <bpmn:sequenceFlow id="f3" sourceRef="issue" targetRef="end" />
"""


def _start(pid: str, spool: Path) -> tuple[Instance, Task]:
    instance = instance_service(db.session).start(
        pid, {"spool": str(spool), "nik": "3510012304890001"}, "resident-1"
    )
    db.session.commit()
    check = db.session.scalar(
        select(Task).where(Task.instance_id == instance.id, Task.element_id == "check")
    )
    return instance, check


def _completions(task_id: str) -> int:
    db.session.rollback()
    return sum(
        1
        for event in db.session.scalars(
            select(Event).where(Event.action == "task_completed")
        )
        if event.detail.get("task_id") == task_id
    )


def test_without_redis_the_service_task_runs_in_process(
    app_factory, deployed, tmp_path, open_tasks
):
    app_factory(None)
    deployed("nik_inline", service_body("registry.check_nik"), NODES)
    instance, check = _start("nik_inline", tmp_path)

    assert check.kind == "service" and check.connector == "registry.check_nik"
    assert drain(db.session, InlineDispatcher()) == 2  # the check, then the dispatch

    (issue,) = open_tasks(instance.id)
    assert issue.element_id == "issue"
    assert instance_service(db.session).data(instance.id)["nik_found"] is True
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.delivered_at.is_(None))
        )
        == 0
    )
    assert db.session.scalar(select(Notification.kind)) == "submitted"


def test_a_job_killed_mid_call_is_retried_and_completes_once(
    app_factory, deployed, redis_url, workers, tmp_path, wait_for, open_tasks
):
    app_factory(redis_url)
    deployed("nik_killed", service_body("test.slow_first_time"), NODES)
    instance, check = _start("nik_killed", tmp_path)
    workers.start(redis_url, "agency.DUKCAPIL")
    relay(db.session, RedisDispatcher.from_url(redis_url))

    pid = int(wait_for(lambda: _read(tmp_path / "running.pid"), timeout=20))
    os.kill(pid, signal.SIGKILL)  # the work horse running the connector call
    killed_at = time.monotonic()

    wait_for(lambda: _completions(check.id), timeout=30)
    (issue,) = wait_for(lambda: open_tasks(instance.id), timeout=10)
    assert issue.element_id == "issue"
    assert len((tmp_path / "calls").read_text().splitlines()) == 2
    assert time.monotonic() - killed_at < 15

    # A late duplicate (a second callback, a redelivered job) changes nothing.
    assert (
        receive_callback(check.id, {"registry_answer": "again"}, "bank")
        == "already done"
    )
    assert _completions(check.id) == 1
    assert len(open_tasks(instance.id)) == 1


def test_a_whole_worker_killed_mid_call_is_replaced_and_the_task_completes_once(
    app_factory, deployed, redis_url, workers, tmp_path, wait_for, open_tasks
):
    app_factory(redis_url)
    deployed("nik_worker_killed", service_body("test.slow_first_time"), NODES)
    instance, check = _start("nik_worker_killed", tmp_path)
    first = workers.start(redis_url, "agency.DUKCAPIL")
    dispatcher = RedisDispatcher.from_url(redis_url)
    relay(db.session, dispatcher)

    wait_for(lambda: _read(tmp_path / "running.pid"), timeout=20)
    os.killpg(first.pid, signal.SIGKILL)  # the worker, its horse and its scheduler
    first.wait(5)

    # RQ would requeue the abandoned job only after its heartbeat lapses (a
    # minute or more); the outbox resends the undelivered row at once.
    workers.start(redis_url, "agency.DUKCAPIL")
    assert relay(db.session, dispatcher, redeliver_after=timedelta(0)) == 1

    wait_for(lambda: _completions(check.id), timeout=30)
    (issue,) = wait_for(lambda: open_tasks(instance.id), timeout=10)
    assert issue.element_id == "issue"
    assert _completions(check.id) == 1
    assert len((tmp_path / "calls").read_text().splitlines()) == 2


def test_after_the_last_retry_the_instance_gets_an_incident(
    app_factory, deployed, redis_url, workers, tmp_path, wait_for
):
    app_factory(redis_url)
    deployed("nik_down", service_body("test.always_down"), NODES)
    instance, _ = _start("nik_down", tmp_path)
    workers.start(redis_url, "agency.DUKCAPIL")
    relay(db.session, RedisDispatcher.from_url(redis_url))

    def errored():
        db.session.rollback()
        return db.session.get(Instance, instance.id).status == "error"

    wait_for(errored, timeout=30)
    failed = db.session.get(Instance, instance.id)
    assert failed.error_element_id == "check"
    assert "the registry does not answer" in failed.error_message
    # The first attempt and three retries, with 1, 2 and 4 seconds between.
    assert len((tmp_path / "calls").read_text().splitlines()) == 4


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() and path.read_text() else None


def test_without_redis_each_request_drains_the_outbox(
    app_factory, deployed, tmp_path, open_tasks
):
    app = app_factory(None)
    deployed("nik_request", service_body("registry.check_nik"), NODES)
    instance, _ = _start("nik_request", tmp_path)

    app.test_client().get("/healthz")

    (issue,) = open_tasks(instance.id)
    assert issue.element_id == "issue"


def test_an_incident_is_retried_once_the_registry_is_back(
    app_factory, deployed, tmp_path, open_tasks, monkeypatch
):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    importlib.import_module("worker_connectors")  # registers test.always_down here
    app = app_factory(None)
    deployed("nik_back", service_body("test.always_down"), NODES)
    instance, check = _start("nik_back", tmp_path)
    drain(db.session, InlineDispatcher())
    assert db.session.get(Instance, instance.id).status == "error"

    (tmp_path / "healed").touch()
    result = app.test_cli_runner().invoke(args=["workers", "retry", str(instance.id)])
    assert result.exit_code == 0, result.output
    drain(db.session, InlineDispatcher())

    db.session.rollback()
    assert db.session.get(Instance, instance.id).status == "running"
    assert [t.element_id for t in open_tasks(instance.id)] == ["issue"]
    assert _completions(check.id) == 1


def test_the_jobs_run_in_the_worker_process_are_real_jobs():
    from pydoc import locate

    from workers.jobs import REGISTRY
    from workers.rq_worker import IN_PROCESS_JOBS

    registered = {f"{f.__module__}.{f.__name__}" for f, _ in REGISTRY.values()}

    assert all(callable(locate(name)) for name in IN_PROCESS_JOBS)
    assert IN_PROCESS_JOBS <= registered
    # The relay's batches, and single dispatches queued before batching.
    assert {"workers.jobs.dispatch_tasks", "workers.jobs.dispatch_task"} <= (
        IN_PROCESS_JOBS
    )
    # Connector calls reach other systems: they keep their work horse.
    assert "workers.jobs.run_service_task" not in IN_PROCESS_JOBS
