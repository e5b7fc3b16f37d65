"""The engine's one-round-trip reads and writes (engine.rows) keep the ORM truthful.

On PostgreSQL a completion's rows bypass the ORM's unit of work; these tests
check that what the session holds afterwards is what the database holds, that
races and bad rows fail the way the ORM's own flush would, and that anything
the fast path does not handle still reaches the database.
"""

from __future__ import annotations

import logging
import time

import psycopg
import pytest
from sqlalchemy import event, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import rows
from engine.diagrams import DiagramFile, deploy
from engine.instances import InstanceService
from engine.models import AuditEvent, Instance, Task, TaskState

APPLICATION = {"applicant": "Siti", "area": 30}


def _columns(row) -> dict:
    return {c.key: getattr(row, c.key) for c in inspect(type(row)).column_attrs}


def _start(session, deploy_permit) -> Instance:
    deploy_permit()
    instance = InstanceService(session).start("permit", APPLICATION, "counter")
    session.commit()
    return instance


def _first_open(session, instance_id) -> Task:
    return InstanceService(session).open_tasks(instance_id)[0]


def _permit_task_on(engine, reference_content) -> str:
    """Deploy the reference permit, start it and commit; return an open task's id."""
    with Session(engine) as session:
        deploy(
            session,
            [DiagramFile("reference-permit.bpmn", reference_content)],
            agencies={"DPMPTSP", "DPUCKPP", "DLH"},
            actor="analyst",
        )
        instance = InstanceService(session).start("permit", APPLICATION, "counter")
        session.commit()
        return _first_open(session, instance.id).id


def test_after_a_completion_the_session_matches_the_database(db_session, deploy_permit):
    instance = _start(db_session, deploy_permit)
    task = _first_open(db_session, instance.id)

    InstanceService(db_session).complete(task.id, {}, "officer")

    assert not db_session.new and not db_session.dirty
    held = InstanceService(db_session).open_tasks(instance.id)
    assert held and all(inspect(t).persistent for t in held)
    with Session(db_session.get_bind()) as other:
        for task in held:
            assert _columns(other.get(Task, task.id)) == _columns(task)
        stored = other.get(Instance, instance.id)
        assert stored.row_version == db_session.get(Instance, instance.id).row_version
        assert stored.audit_hash == db_session.get(Instance, instance.id).audit_hash


def test_unset_json_is_stored_as_sql_null(db_session, deploy_permit):
    instance = _start(db_session, deploy_permit)

    nulls = db_session.scalar(
        select(text("count(*)"))
        .select_from(Task)
        .where(Task.instance_id == instance.id, Task.connector_params.is_(None))
    )

    assert nulls == len(InstanceService(db_session).open_tasks(instance.id))


def test_a_task_already_in_the_session_is_completed(db_session, deploy_permit):
    instance = _start(db_session, deploy_permit)
    task = _first_open(db_session, instance.id)
    already_loaded = db_session.get(Task, task.id)

    InstanceService(db_session).complete(task.id, {}, "officer")

    assert already_loaded.state == TaskState.COMPLETED
    with Session(db_session.get_bind()) as other:
        assert other.get(Task, task.id).state == TaskState.COMPLETED


@pytest.mark.postgres
def test_on_postgresql_the_orm_sends_only_the_commit(pg_engine, reference_content):
    task_id = _permit_task_on(pg_engine, reference_content)

    through_orm = []
    listen = event.listens_for(pg_engine, "before_cursor_execute")
    listener = listen(lambda *args: through_orm.append(args[2]))
    try:
        with Session(pg_engine) as session:
            InstanceService(session).complete(task_id, {}, "officer")
    finally:
        event.remove(pg_engine, "before_cursor_execute", listener)

    assert through_orm == []
    with Session(pg_engine) as session:
        assert session.get(Task, task_id).state == TaskState.COMPLETED


def _commit_queued_late(monkeypatch) -> None:
    """Hold each COMMIT back, so a failed write's answer is in before it is queued.

    Under load this happens by itself: the server answers the write while the
    client is still queuing the COMMIT behind it.
    """
    execute = psycopg.Connection.execute

    def late(connection, query, *args, **kwargs):
        if query == "COMMIT":
            time.sleep(0.2)
        return execute(connection, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", late)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("commit", "late"),
    [(False, False), (True, False), (True, True)],
    ids=["write", "write-and-commit", "write-answered-before-its-commit"],
)
def test_a_stale_instance_fails_the_whole_write(
    pg_engine, reference_content, commit, late, caplog, monkeypatch
):
    task_id = _permit_task_on(pg_engine, reference_content)
    if late:
        _commit_queued_late(monkeypatch)

    with Session(pg_engine) as reader:
        task, instance = rows.task_and_instance(reader, task_id)
        instance_id = instance.id
        with pg_engine.begin() as other:
            other.execute(
                update(Instance.__table__)
                .where(Instance.id == instance.id)
                .values(row_version=Instance.row_version + 1)
            )
        instance.due_at = None
        instance.state = b"changed"
        task.state = TaskState.COMPLETED.value

        with pytest.raises(StaleDataError, match="changed by another transaction"):
            rows.flush(reader, [], commit=commit)
        reader.rollback()

    # A race the caller retries is reported once, not also logged as a warning.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

    # Not a row of the write landed, though the task's UPDATE found its row.
    with Session(pg_engine) as session:
        assert session.get(Instance, instance_id).state != b"changed"
        assert session.get(Task, task_id).state == TaskState.READY


@pytest.mark.postgres
@pytest.mark.parametrize("commit", [False, True], ids=["write", "write-and-commit"])
def test_a_duplicate_row_fails_like_the_orms_integrity_error(
    pg_engine, reference_content, commit
):
    task_id = _permit_task_on(pg_engine, reference_content)

    with Session(pg_engine) as session:
        existing = session.get(Task, task_id)
        existing.claimed_by = "officer"
        copy = Task(
            id=existing.id,
            instance_id=existing.instance_id,
            element_id="again",
            name="again",
        )
        session.add(copy)

        with pytest.raises(IntegrityError):
            rows.flush(session, [], commit=commit)
        session.rollback()

        # The session is usable again and nothing of the write was kept.
        assert session.get(Task, task_id).claimed_by is None


@pytest.mark.postgres
def test_the_commit_goes_out_with_the_last_write(pg_engine, reference_content):
    task_id = _permit_task_on(pg_engine, reference_content)

    with Session(pg_engine) as session:
        task, _ = rows.task_and_instance(session, task_id)
        task.claimed_by = "officer"
        rows.flush(session, [], commit=True)
        driver = session.connection().connection.driver_connection

        # The transaction is closed before the session commits: others see it.
        assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        with Session(pg_engine) as other:
            assert other.get(Task, task_id).claimed_by == "officer"
        session.commit()


def test_rows_the_fast_path_does_not_handle_still_reach_the_database(
    db_session, deploy_permit
):
    instance = _start(db_session, deploy_permit)
    task = _first_open(db_session, instance.id)
    task.claimed_by = "officer"
    db_session.add(
        AuditEvent(
            chain="elsewhere",
            seq=1,
            at=instance.started_at,
            actor="test",
            action="noted",
            detail={},
            prev_hash="0" * 64,
            hash="1" * 64,
        )
    )

    rows.flush(db_session, [])
    db_session.commit()

    with Session(db_session.get_bind()) as other:
        assert other.get(Task, task.id).claimed_by == "officer"
        assert other.scalar(select(AuditEvent).where(AuditEvent.chain == "elsewhere"))


def test_a_missing_task_reads_as_none(db_session, deploy_permit):
    _start(db_session, deploy_permit)

    assert rows.task_and_instance(db_session, "no-such-task") is None


def test_a_queued_row_goes_out_with_a_commit_no_engine_call_flushed(
    db_session, deploy_permit
):
    from workers.models import OutboxMessage

    instance = _start(db_session, deploy_permit)

    rows.insert_later(
        db_session,
        OutboxMessage.__table__,
        {"instance_id": instance.id, "queue": "agency.DLH", "job": "dispatch_task"},
    )
    db_session.commit()

    with Session(db_session.get_bind()) as other:
        [message] = other.scalars(
            select(OutboxMessage).where(OutboxMessage.instance_id == instance.id)
        )
        # The model's Python-side defaults apply, as through the ORM.
        assert (message.send_attempts, message.args) == (0, [])
        assert message.created_at is not None and message.sent_at is None


def test_rows_queued_by_listeners_are_written_before_the_call_returns(
    db_session, deploy_permit
):
    from workers.models import OutboxMessage
    from workers.outbox import record_dispatches

    deploy_permit()
    service = InstanceService(db_session, listeners=[record_dispatches])

    instance = service.start("permit", APPLICATION, "counter")

    # start() only flushes; the dispatch rows are readable before any commit.
    queued = db_session.scalars(
        select(OutboxMessage.task_id).where(OutboxMessage.instance_id == instance.id)
    ).all()
    assert sorted(queued) == sorted(t.id for t in service.open_tasks(instance.id))


def _terminate(engine, pid: int) -> None:
    """Close one backend from the server side, as a PostgreSQL restart would."""
    with engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()


def _assert_reported_as_lost(lost: pytest.ExceptionInfo, statement: str) -> None:
    # SQLAlchemy's own report of the statement's failure, which the API
    # answers with a 503; the driver's raw error would be a 500, and a report
    # from a later rollback on the dead socket would hide the cause.
    assert isinstance(lost.value, DBAPIError)
    assert lost.value.connection_invalidated
    assert isinstance(lost.value.orig, psycopg.OperationalError)
    assert lost.value.statement.startswith(statement)


@pytest.mark.postgres
def test_a_connection_lost_before_the_read_is_reported_as_sqlalchemy_does(
    pg_engine, reference_content
):
    task_id = _permit_task_on(pg_engine, reference_content)
    with pg_engine.connect() as connection, Session(connection) as session:
        pid = connection.scalar(text("SELECT pg_backend_pid()"))
        connection.commit()  # idle in the session's hands, as between requests
        _terminate(pg_engine, pid)

        # As the API's task views read, outside an engine call.
        with pytest.raises(DBAPIError) as lost:
            rows.task_and_instance(session, task_id)
        _assert_reported_as_lost(lost, "SELECT t.id")
        session.rollback()  # on a dead connection: must not raise

    # The pool was told: the next session connects afresh and completes.
    with Session(pg_engine) as session:
        InstanceService(session).complete(task_id, {}, "officer")
        assert session.get(Task, task_id).state == TaskState.COMPLETED


@pytest.mark.postgres
def test_a_connection_lost_before_the_write_is_reported_and_writes_nothing(
    pg_engine, reference_content
):
    task_id = _permit_task_on(pg_engine, reference_content)

    def lose_the_connection(session, change):
        # Listeners run after the read and before the one write.
        pid = session.scalar(text("SELECT pg_backend_pid()"))
        _terminate(pg_engine, pid)

    with Session(pg_engine) as session:
        service = InstanceService(session, listeners=[lose_the_connection])
        with pytest.raises(DBAPIError) as lost:
            service.complete(task_id, {}, "officer")
        _assert_reported_as_lost(lost, "WITH w0 AS")

    with Session(pg_engine) as session:
        assert session.get(Task, task_id).state == TaskState.READY
