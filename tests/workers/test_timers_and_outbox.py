"""Timers fired by the periodic tick on RQ, and dispatches surviving a Redis outage."""

from __future__ import annotations

import gc
import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from redis import Redis
from redis.connection import ConnectionPool
from redis.exceptions import RedisError
from sqlalchemy import func, select

from api.extensions import db
from engine.models import Instance, Task
from workers.models import OutboxMessage
from workers.outbox import relay
from workers.periodic import start_ticking, tick
from workers.queues import RedisDispatcher
from workers.wiring import dispatcher, instance_service

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ESCALATING = """
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review the file">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="late" attachedToRef="review" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="late_timer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2S"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="escalate" name="Head of agency: overdue review">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="escalated"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done" />
    <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalate" />
    <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="escalated" />
"""
ESCALATING_NODES = ["start", "review", "late", "escalate", "done", "escalated"]

TWO_STEPS = """
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review the file">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="approve" name="Approve">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="approve" />
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="end" />
"""
TWO_STEPS_NODES = ["start", "review", "approve", "end"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_boundary_timer_escalates_within_five_seconds_of_due(
    app_factory, deployed, redis_url, workers, wait_for, open_tasks
):
    app_factory(redis_url)
    deployed("escalating", ESCALATING, ESCALATING_NODES)
    workers.start(redis_url, "agency.DUKCAPIL", "terpadu.periodic")
    start_ticking(RedisDispatcher.from_url(redis_url))

    instance = instance_service(db.session).start("escalating", {}, "resident-1")
    db.session.commit()
    due_at = instance.due_at
    assert due_at is not None

    escalation = wait_for(
        lambda: [t for t in open_tasks(instance.id) if t.element_id == "escalate"],
        timeout=15,
    )[0]

    lag = escalation.created_at - due_at
    assert lag < timedelta(seconds=5), f"timer fired {lag} after due"
    assert {t.element_id for t in open_tasks(instance.id)} == {"review", "escalate"}
    assert db.session.get(Instance, instance.id).due_at is None


def test_ticks_reuse_one_redis_client(app_factory, redis_url):
    # A client built per tick (one a second) leaves its pool's reference
    # cycles to the garbage collector; those reaching the oldest generation
    # stayed until a full collection, and the rq worker's memory crept.
    app_factory(redis_url)
    gc.collect()
    gc.disable()
    try:
        before = _pools()
        for _ in range(3):
            tick()
        created = _pools() - before
    finally:
        gc.enable()

    assert len(created) == 1
    assert dispatcher() is dispatcher()


def _pools() -> set[int]:
    return {id(o) for o in gc.get_objects() if type(o) is ConnectionPool}


class PrivateRedis:
    """A redis-server of this test's own, which it may stop and start at will."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        connection = Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                connection.ping()
                return
            except (OSError, RedisError):
                time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(_free_port())
    server.start()
    yield server
    server.stop()


def _undelivered() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None))
    )


def test_dispatches_made_while_redis_is_down_are_delivered_after(
    app_factory, deployed, private_redis, workers, wait_for, open_tasks
):
    app_factory(private_redis.url)
    deployed("two_steps", TWO_STEPS, TWO_STEPS_NODES)
    service = instance_service(db.session)
    dispatcher = RedisDispatcher.from_url(private_redis.url)
    worker = workers.start(private_redis.url, "agency.DUKCAPIL")

    first = [service.start("two_steps", {}, f"resident-{n}") for n in range(3)]
    db.session.commit()
    assert relay(db.session, dispatcher) == 3
    wait_for(lambda: _undelivered() == 0, timeout=20)

    private_redis.stop()
    for instance in first:
        (review,) = open_tasks(instance.id)
        service.complete(review.id, {}, "clerk")
    service.start("two_steps", {}, "resident-9")
    db.session.commit()
    assert relay(db.session, dispatcher) == 0
    assert _undelivered() == 4

    private_redis.start()
    if worker.poll() is not None:
        workers.start(private_redis.url, "agency.DUKCAPIL")
    assert relay(db.session, dispatcher) == 4
    wait_for(lambda: _undelivered() == 0, timeout=30)

    sent = db.session.scalars(select(OutboxMessage)).all()
    assert len(sent) == 7 and all(m.sent_at and m.delivered_at for m in sent)
    assert (
        db.session.scalar(
            select(func.count()).select_from(Task).where(Task.element_id == "approve")
        )
        == 3
    )


def test_jobs_lost_with_redis_are_sent_again(
    app_factory, deployed, private_redis, workers, wait_for
):
    app_factory(private_redis.url)
    deployed("two_steps", TWO_STEPS, TWO_STEPS_NODES)
    dispatcher = RedisDispatcher.from_url(private_redis.url)
    instance_service(db.session).start("two_steps", {}, "resident-1")
    db.session.commit()
    # Sent while no worker listens; then Redis restarts empty.
    assert relay(db.session, dispatcher) == 1
    private_redis.stop()
    private_redis.start()

    workers.start(private_redis.url, "agency.DUKCAPIL")
    assert relay(db.session, dispatcher) == 0  # not yet overdue
    assert relay(db.session, dispatcher, redeliver_after=timedelta(0)) == 1
    wait_for(lambda: _undelivered() == 0, timeout=20)


def test_without_redis_a_thread_fires_timers(
    app_factory, deployed, wait_for, open_tasks
):
    from workers.periodic import InProcessTicker

    app = app_factory(None)
    deployed("escalating", ESCALATING, ESCALATING_NODES)
    instance = instance_service(db.session).start("escalating", {}, "resident-1")
    db.session.commit()
    due_at = instance.due_at
    ticker = InProcessTicker(app)
    ticker.start()
    try:
        escalation = wait_for(
            lambda: [t for t in open_tasks(instance.id) if t.element_id == "escalate"],
            timeout=15,
        )[0]
    finally:
        ticker.stop()

    lag = escalation.created_at - due_at
    assert lag < timedelta(seconds=5), f"timer fired {lag} after due"
