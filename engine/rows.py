"""An engine call's reads and writes, one round trip each on PostgreSQL.

Completing a task reads the task with its instance and writes the completed
task, the new tasks, the instance's new state, the audit rows and what the
listeners add (outbox messages, notifications, SLA marks). Through the ORM
that is a BEGIN, a SELECT, then a statement per row, each waiting for its
answer; on a loopback PostgreSQL those round trips and the ORM's bookkeeping
cost more than running the workflow itself.

Here the read is one prepared SELECT of the task, its instance and version,
and the writes go out as one statement whose data-modifying CTEs insert and
update every row, with the COMMIT in the same round trip when it is the
call's last write. The ORM objects are built from the row read, or marked as
saved after the write, so listeners and later queries in the transaction see
them exactly as if the ORM had loaded and flushed them.

Only the engine's own rows take this path (instances, tasks, audit rows and
rows queued with :func:`insert_later`). When the session holds other changes,
or the database is not PostgreSQL through psycopg 3, the ORM does the work;
the result is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import Connection, Table, event, insert, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .models import (
    REQUIRE_VERSIONS_FUNCTION,
    AuditEvent,
    Instance,
    ProcessVersion,
    Task,
)

_ENGINE_ROWS = (Instance, Task)


@dataclass
class _Changed:
    """One persistent row's changed columns, by attribute key."""

    row: Instance | Task
    values: dict[str, Any]


@dataclass
class _Plan:
    new_tasks: list[Task] = field(default_factory=list)
    changed: list[_Changed] = field(default_factory=list)


# Rows queued by :func:`insert_later`, kept in the session's info until the
# next flush sends them.
_QUEUED = "terpadu.rows_to_insert"


def insert_later(session: Session, table: Table, row: dict[str, Any]) -> None:
    """Queue a row to go out with the call's next write, in the same batch.

    For rows nothing in the transaction reads before the call commits (outbox
    messages, notifications, SLA marks): they skip the ORM's unit of work and,
    on PostgreSQL, a round trip of their own.
    """
    session.info.setdefault(_QUEUED, []).append((table, row))


@event.listens_for(Session, "before_flush")
def _engine_rows_first(session: Session, _flush_context, objects) -> None:
    """Send the engine's rows by this path when a query autoflushes them.

    A listener that queries mid-call must find the call's tasks and instance
    written; this writes them in one statement, as :func:`flush` would, and
    leaves the ORM nothing of theirs to do. Audit rows and queued rows wait
    for the call's own last write. With other changes pending, the ORM
    flushes everything itself.
    """
    if objects is not None or not _on_psycopg(session):
        return
    plan = _plan(session)
    if plan is None or not (plan.new_tasks or plan.changed):
        return

    _send(session, plan, [], commit=False)
    _mark_saved(session, plan)


@event.listens_for(Session, "before_commit")
def _send_queued_rows(session: Session) -> None:
    """A queued row is never lost to a commit that no engine call flushed before."""
    if session.info.get(_QUEUED):
        flush(session, [])


def flush(
    session: Session, audit_rows: list[dict[str, Any]], *, commit: bool = False
) -> None:
    """Send the pending audit rows, the queued rows and the session's changes.

    With ``commit``, the COMMIT goes out with the write, in the same round
    trip, when this path does the write; the caller then commits the session,
    which finds the transaction closed and only does the ORM's bookkeeping.

    Raises :class:`StaleDataError` when an instance was changed by another
    transaction since it was read, as the ORM's version check does.
    """
    inserts = _queued_inserts(session, audit_rows)
    plan = _plan(session) if _on_psycopg(session) else None
    if plan is None:
        _flush_with_orm(session, inserts)
        return

    if plan.new_tasks or plan.changed or inserts:
        _send(session, plan, inserts, commit=commit)
    _mark_saved(session, plan)


def _queued_inserts(session: Session, audit_rows: list[dict[str, Any]]):
    """The rows to insert, grouped by table and columns, audit rows first."""
    queued = [(AuditEvent.__table__, row) for row in audit_rows]
    queued += session.info.pop(_QUEUED, [])
    audit_rows.clear()

    groups: dict[tuple, list[dict[str, Any]]] = {}
    for table, row in queued:
        groups.setdefault((table, tuple(row)), []).append(row)
    return [(table, rows) for (table, _), rows in groups.items()]


def _flush_with_orm(session: Session, inserts) -> None:
    # The ORM's rows first: queued rows may refer to them.
    session.flush()
    for table, rows in inserts:
        session.execute(insert(table), rows)


def _on_psycopg(session: Session) -> bool:
    dialect = session.get_bind().dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


# -- reading ---------------------------------------------------------------------

# What a call needs of the process version when its spec is cached; the rest,
# the diagram text above all, loads only if it is not.
_VERSION_COLUMNS = ("id", "process_id", "version", "content_hash", "file_name")


def task_and_instance(session: Session, task_id: str) -> tuple[Task, Instance] | None:
    """The task, its instance and the instance's process version, or None.

    When this transaction already read all three (a view that checked the
    task before acting on it), they are returned as they are: a change made
    since by another transaction fails the write's version check, and the
    call is retried on a fresh read.
    """
    held = _held_in_session(session, str(task_id))
    if held is not None:
        return held
    if not _on_psycopg(session):
        return _task_and_instance_with_orm(session, task_id)

    row = _fetch_one(session, _task_query(), (task_id,))
    if row is None:
        return None

    dialect = session.get_bind().dialect
    task_columns = len(Task.__table__.c)
    instance_columns = len(Instance.__table__.c)
    task_values = row[:task_columns]
    instance_values = row[task_columns : task_columns + instance_columns]
    version_values = row[task_columns + instance_columns :]

    version = _attached(
        session, ProcessVersion, _VERSION_COLUMNS, version_values, dialect
    )
    instance = _attached(
        session,
        Instance,
        _names(Instance),
        instance_values,
        dialect,
        process_version=version,
    )
    task = _attached(session, Task, _names(Task), task_values, dialect)
    return task, instance


def _held_in_session(session: Session, task_id: str) -> tuple[Task, Instance] | None:
    task = _loaded(session, Task, task_id)
    instance = task and _loaded(session, Instance, task.instance_id)
    if instance is None or "process_version" not in inspect(instance).dict:
        return None
    return task, instance


def _loaded(session: Session, model, primary_key):
    """The object of ``model`` in the session with every column loaded, or None."""
    key = inspect(model).identity_key_from_primary_key([primary_key])
    row = session.identity_map.get(key)
    if row is None:
        return None

    columns, _ = _attribute_keys(model)
    return row if columns <= inspect(row).dict.keys() else None


def _task_and_instance_with_orm(session: Session, task_id: str):
    row = session.execute(
        select(Task, Instance)
        .join(Instance, Instance.id == Task.instance_id)
        .where(Task.id == str(task_id))
        .options(
            joinedload(Instance.process_version).load_only(
                *(getattr(ProcessVersion, name) for name in _VERSION_COLUMNS)
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


@cache
def _task_query() -> str:
    columns = [
        *(f"t.{name}" for name in _names(Task)),
        *(f"i.{name}" for name in _names(Instance)),
        *(f"v.{name}" for name in _VERSION_COLUMNS),
    ]
    return (
        f"SELECT {', '.join(columns)} FROM tasks t"
        " JOIN instances i ON i.id = t.instance_id"
        " JOIN process_versions v ON v.id = i.process_version_id"
        " WHERE t.id = %s"
    )


@cache
def _names(model) -> tuple[str, ...]:
    return tuple(column.name for column in model.__table__.c)


def _fetch_one(session: Session, sql: str, parameters: tuple) -> tuple | None:
    connection = session.connection()
    # The same text every time, so psycopg prepares it after a few calls and
    # PostgreSQL stops planning it. (Pipeline mode would save the BEGIN's
    # round trip but, measured here, costs more than that in the driver.)
    driver = connection.connection.driver_connection
    with (
        _errors_as_sqlalchemy_reports(connection, sql, parameters),
        driver.cursor() as cursor,
    ):
        cursor.execute(sql, parameters)
        return cursor.fetchone()


@contextmanager
def _errors_as_sqlalchemy_reports(connection: Connection, sql: str, parameters):
    """Raise the driver's errors as SQLAlchemy does for statements it sends.

    Callers then meet the same exceptions whichever path ran a statement, and
    a connection lost under a statement is dealt with as SQLAlchemy deals with
    it: the connection and the pool are invalidated, so the rollback that
    follows does not touch the dead socket, the API answers 503, and later
    requests connect afresh (see api.connections).
    """
    try:
        yield
    except psycopg.Error as failure:
        # SQLAlchemy's own handler: private, but nothing public wraps an
        # error, detects a disconnect and invalidates the pool as it does.
        connection._handle_dbapi_exception(failure, sql, parameters, None, None)


def _attached(session: Session, model, names, values, dialect, **related):
    """The row as a persistent ORM object of ``session``, as a query would give it.

    An object already in the session keeps the attributes it has loaded (and
    any unsaved change), as with a query; only what it lacks is filled in.
    """
    mapper = inspect(model)
    primary_key = [values[names.index(c.name)] for c in mapper.primary_key]
    existing = session.identity_map.get(
        mapper.identity_key_from_primary_key(primary_key)
    )
    row = existing if existing is not None else mapper.class_manager.new_instance()

    # Filling the state's dict directly is what the ORM's own loader does:
    # the values count as loaded, with no history to flush.
    loaded = inspect(row).dict
    for name, value in zip(names, values):
        key = _attribute_key(model, name)
        if key not in loaded:
            loaded[key] = _result(model.__table__.c[name], dialect)(value)
    for key, value in related.items():
        loaded.setdefault(key, value)

    if existing is None:
        make_transient_to_detached(row)
        session.add(row)
    return row


@cache
def _attribute_keys(model) -> tuple[frozenset[str], frozenset[str]]:
    mapper = inspect(model)
    return (
        frozenset(attribute.key for attribute in mapper.column_attrs),
        frozenset(relationship.key for relationship in mapper.relationships),
    )


@cache
def _attribute_key(model, column_name: str) -> str:
    return inspect(model).get_property_by_column(model.__table__.c[column_name]).key


@cache
def _result(column, dialect) -> Callable[[Any], Any]:
    """The column type's conversion of a value from the driver."""
    processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
    return processor or _unchanged


# -- what the session would flush ------------------------------------------------


def _plan(session: Session) -> _Plan | None:
    """The engine rows to write, or None when the ORM must flush them itself."""
    if session.deleted:
        return None

    plan = _Plan()
    for row in session.new:
        if not isinstance(row, Task):
            return None
        plan.new_tasks.append(row)

    for row in session.dirty:
        if not isinstance(row, _ENGINE_ROWS):
            return None
        values = _changed_columns(row)
        if values is None:
            return None
        if values:
            plan.changed.append(_Changed(row, values))
    return plan


def _changed_columns(row) -> dict[str, Any] | None:
    """New values of the row's changed columns; None if a relationship changed.

    A changed relationship (an instance moved to another process version)
    sets its foreign key only inside the ORM's flush, so it is left to it.
    """
    state = inspect(row)
    columns, relationships = _attribute_keys(type(row))
    values = {}
    for key in (columns | relationships) - state.unmodified:
        history = state.attrs[key].history
        if key in relationships and history.has_changes():
            return None
        if key in columns and history.added:
            values[key] = history.added[0]
    return values


# -- the statements --------------------------------------------------------------


def _send(session: Session, plan: _Plan, inserts, *, commit: bool) -> None:
    """Write every row with one statement; check the instances' versions.

    Each row's INSERT or UPDATE is a data-modifying CTE of a single SELECT,
    which PostgreSQL runs to completion whether or not the SELECT reads it.
    The SELECT counts the instance rows found at the version they were read
    at and fails the statement, all of it, if one is missing: another
    transaction changed that instance first.
    """
    dialect = session.get_bind().dialect
    parts: list[str] = []
    parameters: list[Any] = []
    version_checks: list[str] = []

    if plan.new_tasks:
        values = [_insert_values(task) for task in plan.new_tasks]
        parts.append(_insert(Task.__table__, values, dialect, parameters))
    for changed in plan.changed:
        parts.append(_update(changed, dialect, parameters))
        if isinstance(changed.row, Instance):
            version_checks.append(f"w{len(parts) - 1}")
    for table, rows in inserts:
        complete = [_with_defaults(table, row) for row in rows]
        parts.append(_insert(table, complete, dialect, parameters))

    ctes = ", ".join(f"w{number} AS ({part})" for number, part in enumerate(parts))
    counted = " + ".join(f"(SELECT count(*) FROM {name})" for name in version_checks)
    checked = (
        f"{REQUIRE_VERSIONS_FUNCTION}({counted}, {len(version_checks)})"
        if version_checks
        else "0"
    )
    sql = f"WITH {ctes} SELECT {checked}"

    connection = session.connection()
    try:
        with _errors_as_sqlalchemy_reports(connection, sql, parameters):
            _execute(connection.connection.driver_connection, sql, parameters, commit)
    except DBAPIError as refused:
        # The ORM's own errors (IntegrityError is one already), so callers
        # retry a race the same way whichever path wrote.
        if isinstance(refused.orig, psycopg.errors.SerializationFailure):
            raise StaleDataError(str(refused.orig).strip()) from refused.orig
        raise


def _execute(connection, sql: str, parameters: list, commit: bool) -> None:
    if not commit:
        connection.execute(sql, parameters)
        return

    # Pipelined, so the COMMIT goes in the write's round trip; if the write
    # fails, PostgreSQL skips the COMMIT and the transaction stays open for
    # the rollback. The write keeps the extended protocol: psycopg prepares
    # its text once it has come back a few times (there is one text per shape
    # of change), so the server stops parsing and planning it, and the state
    # travels as binary. Measured against one simple query of both statements
    # with the values inlined, this takes 0.4 ms off a 1.6 ms write.
    #
    # Nothing may be raised inside the block: the pipeline's exit would then
    # log its own error (the skipped COMMIT) as a warning beside the real one.
    # So the COMMIT is queued rather than sent by commit(), which syncs, and a
    # write's failure that comes back while the COMMIT is being queued (the
    # server can answer that fast) is held until the exit has read the rest.
    answered_early = None
    try:
        with connection.pipeline():
            connection.execute(sql, parameters)
            try:
                connection.execute("COMMIT")
            except psycopg.Error as failure:
                answered_early = failure
    except psycopg.errors.PipelineAborted:
        if answered_early is None:
            raise
    if answered_early is not None:
        raise answered_early


def _insert(table, rows: list[dict[str, Any]], dialect, parameters: list) -> str:
    columns = list(rows[0])
    convert = [_bind(table.c[name], dialect) for name in columns]
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for row in rows:
        parameters.extend(to_db(row[name]) for name, to_db in zip(columns, convert))
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES {', '.join([one_row] * len(rows))}"
    )


def _update(changed: _Changed, dialect, parameters: list) -> str:
    row = changed.row
    table = type(row).__table__
    values = _by_column(type(row), changed.values)
    where, keys = "id = %s", [row.id]
    if isinstance(row, Instance):
        # The optimistic lock: the UPDATE finds the row only at the version read.
        version = row.row_version
        values["row_version"] = changed.values["row_version"] = version + 1
        where, keys = "id = %s AND row_version = %s RETURNING 1", [row.id, version]

    parameters.extend(_bind(table.c[name], dialect)(values[name]) for name in values)
    parameters.extend(keys)
    assignments = ", ".join(f"{name} = %s" for name in values)
    return f"UPDATE {table.name} SET {assignments} WHERE {where}"


@cache
def _bind(column, dialect) -> Callable[[Any], Any]:
    """The column type's conversion of a Python value for the driver."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return _unchanged
    return lambda value: None if value is None else processor(value)


def _unchanged(value: Any) -> Any:
    return value


def _insert_values(task: Task) -> dict[str, Any]:
    """Every column of a new task, defaults applied on the object as a flush would."""
    values = {}
    for attribute in inspect(Task).column_attrs:
        if attribute.key not in task.__dict__:
            setattr(task, attribute.key, _default(attribute.columns[0]))
        values[attribute.columns[0].key] = getattr(task, attribute.key)
    return values


def _with_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The row with the Python-side defaults a Core INSERT would add."""
    complete = dict(row)
    for column in table.c:
        if column.key in complete or column is table.autoincrement_column:
            continue
        if column.default is None and column.server_default is not None:
            continue
        complete[column.key] = _default(column)
    return complete


def _default(column) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)
    return default.arg


def _by_column(model, values: dict[str, Any]) -> dict[str, Any]:
    attributes = inspect(model).column_attrs
    return {attributes[key].columns[0].key: value for key, value in values.items()}


# -- after the write -------------------------------------------------------------


def _mark_saved(session: Session, plan: _Plan) -> None:
    """Make the ORM see the written rows as loaded, with nothing left to flush."""
    for task in plan.new_tasks:
        session.expunge(task)
        make_transient_to_detached(task)
        session.add(task)

    for changed in plan.changed:
        if isinstance(changed.row, Instance):
            set_committed_value(
                changed.row, "row_version", changed.values["row_version"]
            )
        # Commit every attribute as loaded, which also drops the row from the
        # session's modified set: otherwise each later flush (and the commit's)
        # would walk it again only to find nothing to write. SQLAlchemy has no
        # public call for this; set_committed_value leaves the row modified.
        state = inspect(changed.row)
        state._commit_all(state.dict, session.identity_map)
