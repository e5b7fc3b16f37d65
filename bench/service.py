"""Terpadu's service layer driven the way the API drives it: a session per call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.diagrams import DiagramFile, deploy
from engine.instances import InstanceService
from engine.models import OPEN_TASK_STATES, Task

from .raw import DataFor

AGENCIES = {"DPMPTSP", "DPUCKPP", "DLH"}
ACTOR = "bench"


def deploy_diagram(db: Engine, name: str, bpmn: bytes) -> None:
    with Session(db) as session:
        deploy(session, [DiagramFile(name, bpmn)], agencies=AGENCIES, actor=ACTOR)
        session.commit()


class Terpadu:
    """One deployed process, started and completed through :class:`InstanceService`.

    Only the service calls are timed by callers; finding the open task to
    complete next is an inbox read, done between calls.
    """

    def __init__(
        self, db: Engine, process_id: str, start_data: dict[str, Any], data_for: DataFor
    ):
        self.db = db
        self.process_id = process_id
        self.start_data = start_data
        self.data_for = data_for

    def start(self) -> int:
        with Session(self.db) as session:
            instance = InstanceService(session).start(
                self.process_id, dict(self.start_data), ACTOR
            )
            # Read before the commit expires it, as a caller would.
            instance_id = instance.id
            session.commit()
            return instance_id

    def complete(self, task_id: str, element_id: str) -> None:
        with Session(self.db) as session:
            InstanceService(session).complete(task_id, self.data_for(element_id), ACTOR)

    def open_tasks(self, instance_id: int) -> list[tuple[str, str]]:
        with Session(self.db) as session:
            # Outside a transaction, as the API's reads run. Ending a read
            # transaction with ROLLBACK would also make psycopg drop the
            # connection's prepared statements, the engine's among them.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            return list(
                session.execute(
                    select(Task.id, Task.element_id)
                    .where(
                        Task.instance_id == instance_id,
                        Task.state.in_(OPEN_TASK_STATES),
                    )
                    .order_by(Task.created_at, Task.id)
                ).tuples()
            )

    def application(
        self,
        clock: Callable[[], float] | None = None,
        on_call: Callable[[int], None] | None = None,
    ) -> tuple[int, float]:
        """Run one instance to its end; return its calls and their summed time."""
        tick = clock or (lambda: 0.0)
        began = tick()
        instance_id = self.start()
        spent = tick() - began
        calls = 1
        if on_call:
            on_call(instance_id)

        while ready := self.open_tasks(instance_id):
            began = tick()
            self.complete(*ready[0])
            spent += tick() - began
            calls += 1
            if on_call:
                on_call(instance_id)
        return calls, spent
