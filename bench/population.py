"""Fill the database with stored instances, set-based, by copying a real one.

One instance is run through the service to a mid-way wait; its row, its task
rows and its audit rows are then copied with ``generate_series`` in a few large
``INSERT ... SELECT`` statements, so a million instances take minutes, not
hours. The copies share the template's state and audit hashes: good enough
for the planner and the indexes, not for :func:`engine.audit.verify`.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from engine.models import AuditEvent, Instance, Task

BATCH = 100_000


def _columns(table, skip: set[str]) -> list[str]:
    return [c.name for c in table.columns if c.name not in skip]


def stored_instances(db: Engine) -> int:
    with db.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Instance))


def grow(db: Engine, template_id: int, target: int) -> None:
    """Copy the template instance until ``target`` instances are stored."""
    instance_cols = _columns(Instance.__table__, {"id"})
    task_cols = _columns(Task.__table__, {"id", "instance_id"})
    audit_cols = _columns(AuditEvent.__table__, {"id", "chain"})

    while (missing := target - stored_instances(db)) > 0:
        with db.begin() as connection:
            floor = connection.scalar(select(func.max(Instance.id)))
            connection.execute(
                text(
                    f"INSERT INTO instances ({', '.join(instance_cols)}) "
                    f"SELECT {', '.join(instance_cols)} FROM instances, "
                    "generate_series(1, :n) WHERE id = :template"
                ),
                {"n": min(missing, BATCH), "template": template_id},
            )
            connection.execute(
                text(
                    f"INSERT INTO tasks (id, instance_id, {', '.join(task_cols)}) "
                    f"SELECT gen_random_uuid()::text, i.id, "
                    f"{', '.join('t.' + c for c in task_cols)} "
                    "FROM instances i CROSS JOIN tasks t "
                    "WHERE i.id > :floor AND t.instance_id = :template"
                ),
                {"floor": floor, "template": template_id},
            )
            connection.execute(
                text(
                    f"INSERT INTO audit_events (chain, {', '.join(audit_cols)}) "
                    f"SELECT 'instance:' || i.id, {', '.join('a.' + c for c in audit_cols)} "
                    "FROM instances i CROSS JOIN audit_events a "
                    "WHERE i.id > :floor AND a.chain = :chain"
                ),
                {"floor": floor, "chain": f"instance:{template_id}"},
            )

    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
        # Write the bulk load's dirty pages out now, not during the timed reads.
        connection.execute(text("CHECKPOINT"))
