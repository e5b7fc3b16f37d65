"""Parallel reviews of many instances at once on PostgreSQL: no update is lost."""

from __future__ import annotations

import queue
import random
import threading

import pytest
from sqlalchemy.orm import Session

from engine import audit
from engine.diagrams import DiagramFile, deploy
from engine.instances import InstanceService
from engine.models import InstanceStatus

THREADS = 16
INSTANCES = 200
AGENCIES = {"DPMPTSP", "DPUCKPP", "DLH"}
APPROVALS = {"review_a": {"approved_a": True}, "review_b": {"approved_b": True}}


def _run_in_threads(engine, jobs: list, work) -> list[BaseException]:
    """Run ``work(service, job)`` for every job on THREADS threads, each with its session."""
    pending: queue.Queue = queue.Queue()
    for job in jobs:
        pending.put(job)
    failures: list[BaseException] = []

    def worker():
        with Session(engine) as session:
            service = InstanceService(session)
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    work(service, job)
                except BaseException as failure:  # noqa: BLE001 (reported below)
                    failures.append(failure)
                    session.rollback()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def _open_task(service: InstanceService, instance_id: int, element_id: str) -> str:
    service.session.expire_all()
    [task] = [t for t in service.open_tasks(instance_id) if t.element_id == element_id]
    return task.id


@pytest.mark.postgres
@pytest.mark.slow
def test_parallel_reviews_of_many_instances_all_take_effect(
    pg_engine, reference_content
):
    with Session(pg_engine) as session:
        deploy(
            session,
            [DiagramFile("reference-permit.bpmn", reference_content)],
            agencies=AGENCIES,
            actor="analyst",
        )
        session.commit()

    ids: list[int] = []

    def start_and_take_in(service, _):
        instance = service.start("permit", {"applicant": "x", "area": 10}, "counter")
        service.session.commit()
        service.complete(_open_task(service, instance.id, "intake"), {}, "counter")
        ids.append(instance.id)

    assert _run_in_threads(pg_engine, list(range(INSTANCES)), start_and_take_in) == []
    assert len(ids) == INSTANCES

    # Both reviews of one instance race each other on different threads.
    reviews = [(i, element) for i in ids for element in APPROVALS]
    random.Random(7).shuffle(reviews)

    def review(service, job):
        instance_id, element_id = job
        task_id = _open_task(service, instance_id, element_id)
        service.complete(task_id, APPROVALS[element_id], f"officer-{element_id}")

    assert _run_in_threads(pg_engine, reviews, review) == []

    with Session(pg_engine) as session:
        service = InstanceService(session)
        for instance_id in ids:
            data = service.data(instance_id)
            assert data["approved_a"] is True and data["approved_b"] is True, (
                instance_id
            )
            assert [t.element_id for t in service.open_tasks(instance_id)] == ["issue"]

    def issue(service, instance_id):
        service.complete(_open_task(service, instance_id, "issue"), {}, "head")

    assert _run_in_threads(pg_engine, ids, issue) == []

    with Session(pg_engine) as session:
        service = InstanceService(session)
        statuses = {service.get(i).status for i in ids}
        assert statuses == {InstanceStatus.COMPLETED}
        assert {service.get(i).end_event_id for i in ids} == {"end_issued"}
        assert audit.verify(session) == []
