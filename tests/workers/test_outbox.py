"""The outbox relay on real Redis: one dispatch job per agency queue and pass."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from flask import current_app
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from sqlalchemy import select

from api.extensions import db
from engine.db import utcnow
from engine.diagrams import DiagramFile, deploy
from engine.models import Task
from tests.conftest import agency_row
from workers import sealing
from workers.agency_push import signature
from workers.models import AgencyEndpoint, OutboxMessage
from workers.outbox import REDELIVER_AFTER, relay
from workers.queues import RedisDispatcher
from workers.wiring import instance_service

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

NIK = "3510012304890001"

ONE_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_{pid}" targetNamespace="http://terpadu.test">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane" name="{agency}">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>step</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {step}
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step" />
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
REVIEW = """<bpmn:userTask id="step" name="Review the file">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>"""
CHECK = """<bpmn:serviceTask id="step" name="Check with the registry">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="registry.check_nik" resultVariable="a">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="nik" type="str" value="nik" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>"""
# process id -> (agency, step)
PROCESSES = {
    "review_at_dukcapil": ("DUKCAPIL", REVIEW),
    "review_at_dlh": ("DLH", REVIEW),
    "check_at_dlh": ("DLH", CHECK),
}


@pytest.fixture
def agencies(app_factory, redis_url):
    """Deploy one-task processes in DUKCAPIL's and DLH's lanes, with Redis."""
    app_factory(redis_url)
    files = [
        DiagramFile(
            f"{pid}.bpmn",
            ONE_TASK.format(pid=pid, agency=agency, step=step).encode(),
        )
        for pid, (agency, step) in PROCESSES.items()
    ]
    deploy(db.session, files, agencies={"DUKCAPIL", "DLH"}, actor="analyst")
    db.session.commit()
    return RedisDispatcher.from_url(redis_url)


def _start(*process_ids: str) -> list[str]:
    """Start one application per process id; return their tasks' ids, in order."""
    service = instance_service(db.session)
    instances = [service.start(pid, {"nik": NIK}, "resident-1") for pid in process_ids]
    db.session.commit()
    return [
        db.session.scalar(select(Task.id).where(Task.instance_id == instance.id))
        for instance in instances
    ]


def _queued(dispatcher: RedisDispatcher, queue: str) -> list[tuple[str, tuple]]:
    jobs = Queue(queue, connection=dispatcher.connection).get_jobs()
    return [(job.func_name, job.args) for job in jobs]


def _rows() -> dict[str, tuple]:
    """Each outbox row's delivery state by task id."""
    db.session.rollback()
    return {
        m.task_id: (m.sent_at, m.send_attempts, m.delivered_at)
        for m in db.session.scalars(select(OutboxMessage))
    }


def test_a_relay_sends_one_dispatch_job_per_agency_queue(agencies):
    interleaved = _start(*["review_at_dukcapil", "review_at_dlh"] * 2)
    dukcapil, dlh = interleaved[0::2], interleaved[1::2]
    checks = _start("check_at_dlh", "check_at_dlh")

    assert relay(db.session, agencies) == 6

    assert _queued(agencies, "agency.DUKCAPIL") == [
        ("workers.jobs.dispatch_tasks", (dukcapil,))
    ]
    # Connector calls keep a job each, for their own retries and timeouts.
    assert sorted(_queued(agencies, "agency.DLH")) == sorted(
        [
            ("workers.jobs.dispatch_tasks", (dlh,)),
            *(("workers.jobs.run_service_task", (task_id,)) for task_id in checks),
        ]
    )
    assert all(sent and attempts == 1 for sent, attempts, _ in _rows().values())

    assert relay(db.session, agencies) == 0
    assert len(_queued(agencies, "agency.DUKCAPIL")) == 1


def test_rows_sent_but_never_delivered_go_again_in_one_job(agencies):
    task_ids = _start("review_at_dukcapil", "review_at_dukcapil")
    sent_at = utcnow()
    relay(db.session, agencies, now=sent_at)

    assert relay(db.session, agencies, now=sent_at + REDELIVER_AFTER / 2) == 0
    assert relay(db.session, agencies, now=sent_at + REDELIVER_AFTER) == 2

    jobs = Queue("agency.DUKCAPIL", connection=agencies.connection).get_jobs()
    assert [sorted(job.args[0]) for job in jobs] == [sorted(task_ids)] * 2
    assert len({job.id for job in jobs}) == 2
    assert {attempts for _, attempts, _ in _rows().values()} == {2}


def test_a_dispatch_job_run_twice_changes_nothing_the_second_time(
    agencies, open_tasks, caplog
):
    closed, waiting = _start("review_at_dukcapil", "review_at_dukcapil")
    relay(db.session, agencies)
    [job] = Queue("agency.DUKCAPIL", connection=agencies.connection).get_jobs()
    instance_service(db.session).complete(closed, {}, "clerk")
    db.session.commit()
    instance_id = db.session.get(Task, waiting).instance_id

    with caplog.at_level(logging.INFO, logger="workers.jobs"):
        assert job.perform() == 1  # the closed task is skipped
    delivered = _rows()
    assert all(delivered_at for _, _, delivered_at in delivered.values())
    [line] = [r for r in caplog.records if r.message == "task dispatched to agency"]
    assert (line.task_id, line.instance_id) == (waiting, instance_id)
    assert (line.agency, line.job_id) == ("DUKCAPIL", job.id)
    assert not any(NIK in str(vars(record)) for record in caplog.records)

    assert job.perform() == 1
    assert _rows() == delivered
    assert [task.id for task in open_tasks(instance_id)] == [waiting]
    later = utcnow() + REDELIVER_AFTER + timedelta(minutes=1)
    assert relay(db.session, agencies, now=later) == 0


def test_redis_down_leaves_every_row_pending(agencies):
    _start("review_at_dukcapil", "review_at_dlh")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nobody = RedisDispatcher.from_url(f"redis://127.0.0.1:{probe.getsockname()[1]}")

        assert relay(db.session, nobody) == 0

    assert set(_rows().values()) == {(None, 0, None)}
    assert relay(db.session, agencies) == 2


class DlhAway(RedisDispatcher):
    """Redis for every queue but DLH's, which fails as a lost connection does."""

    def send(self, queue, job, args, *, job_id):
        if queue == "agency.DLH":
            raise RedisConnectionError("connection reset")
        super().send(queue, job, args, job_id=job_id)


def test_a_failed_batch_leaves_its_rows_pending(agencies):
    first, *dlh, last = _start(
        "review_at_dukcapil", "review_at_dlh", "review_at_dlh", "review_at_dukcapil"
    )

    # DUKCAPIL's job holds the oldest row, so it goes before DLH's fails.
    assert relay(db.session, DlhAway(agencies.connection)) == 2

    rows = _rows()
    assert all(rows[task_id][:2] != (None, 0) for task_id in (first, last))
    assert all(rows[task_id] == (None, 0, None) for task_id in dlh)
    assert _queued(agencies, "agency.DLH") == []

    assert relay(db.session, agencies) == 2
    assert _queued(agencies, "agency.DLH") == [("workers.jobs.dispatch_tasks", (dlh,))]
    assert len(_queued(agencies, "agency.DUKCAPIL")) == 1


def test_a_worker_runs_the_batches_and_single_dispatches_queued_before_them(
    agencies, redis_url, workers, wait_for
):
    old, *batched = _start(*["review_at_dukcapil"] * 3)
    # As the relay did before it batched: one dispatch_task job per task.
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.task_id == old)
    )
    message.sent_at, message.send_attempts = utcnow(), 1
    db.session.commit()
    queue = Queue("agency.DUKCAPIL", connection=agencies.connection)
    single = queue.enqueue("workers.jobs.dispatch_task", old)
    relay(db.session, agencies)
    [_, batch] = queue.get_jobs()

    workers.start(redis_url, "agency.DUKCAPIL")

    wait_for(lambda: all(row[2] for row in _rows().values()), timeout=20)
    assert single.latest_result(timeout=5).return_value == "dispatched"
    assert batch.args == (batched,)
    assert batch.latest_result(timeout=5).return_value == 2


def test_a_worker_pushes_an_agencys_tasks_to_its_own_system(
    agencies, redis_url, workers, wait_for, agency_system
):
    db.session.add(agency_row("DUKCAPIL"))
    secret = "dukcapil-shared-secret"
    db.session.add(
        AgencyEndpoint(
            agency_code="DUKCAPIL",
            url=agency_system.url,
            # Sealed in this process, opened by the worker's: the key file
            # of the instance folder is what they share.
            sealed_secret=sealing.box(current_app).seal(secret),
            updated_by="admin",
        )
    )
    db.session.commit()
    first, second = _start("review_at_dukcapil", "review_at_dukcapil")
    relay(db.session, agencies)

    workers.start(redis_url, "agency.DUKCAPIL")

    wait_for(lambda: all(row[2] for row in _rows().values()), timeout=20)
    [(headers, body)] = agency_system.received
    assert headers["X-Terpadu-Signature"] == signature(secret, body)
    assert [t["task_id"] for t in agency_system.pushes()[0]["tasks"]] == [
        first,
        second,
    ]
