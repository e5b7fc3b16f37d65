"""A loaded catalogue, and a driver that walks applications through the engine.

The driver answers every task the way an officer approving the application
would (``SUCCESS``), except where a test says otherwise for a given element.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from engine.db import Base
from engine.instances import InstanceService
from engine.models import Instance, Task
from processes.catalogue import load_catalogue, start_arguments
from processes.drafting import RETURN_TO_APPLICANT
from processes.models import Service

# What officers record on the way to a successful outcome.
SUCCESS: dict[str, Any] = {
    "documents_complete": True,
    "approved": True,
    "review_passed": True,
    "referral_issued": True,
    "admissible": True,
    "assessed_fee_idr": 75_000,
    "payment_reference": "BILL-0001",
    "vehicle_matches": True,
    "pkb_idr": 1_250_000,
    "bbnkb_idr": 0,
    "swdkllj_idr": 143_000,
    "feasible": True,
    "design_approved": True,
    "fit_for_use": True,
    "spatial_conforms": True,
    "land_suitable": True,
    "eligible": True,
    "in_dtks": False,
    "granted": True,
    "reconciled": False,
    "theory_passed": True,
    "practical_passed": True,
    "site_passed": True,
    "istithaah": True,
    "title_clear": True,
    "document_number": "DOC/0001",
}
MAX_STEPS = 80
# A role left to each application is bound to this agency in these runs.
CHOSEN_AGENCY = "DUKCAPIL"


@pytest.fixture(scope="module")
def catalogue_engine() -> Iterator[Any]:
    """One in-memory SQLite database per test module, with the catalogue loaded."""
    engine = create_engine(
        "sqlite://",
        poolclass=StaticPool,
        connect_args={"check_same_thread": False},
    )
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        load_catalogue(session)
        session.commit()

    yield engine
    engine.dispose()


@pytest.fixture
def catalogue(catalogue_engine) -> Iterator[Session]:
    with Session(catalogue_engine) as session:
        yield session


@pytest.fixture
def driver(catalogue) -> Driver:
    return Driver(catalogue)


@dataclass
class Run:
    instance: Instance
    completed: list[Task] = field(default_factory=list)

    @property
    def agencies(self) -> list[str]:
        return collapse([task.agency for task in self.completed])

    @property
    def elements(self) -> list[str]:
        return [task.element_id for task in self.completed]


def collapse(actors: list[str | None]) -> list[str | None]:
    """Return the actors in order with repeats in a row counted once."""
    order: list[str | None] = []
    for actor in actors:
        if not order or order[-1] != actor:
            order.append(actor)

    return order


def document_checks(process_id: str) -> set[str]:
    """Return the ids of a process's tasks that can send the file back."""
    from processes.diagram_builder import FOLDERS

    for drafts in FOLDERS.values():
        for draft in drafts():
            if draft.id == process_id:
                return {
                    node.id.removesuffix("_return")
                    for node in draft.nodes.values()
                    if node.called == RETURN_TO_APPLICANT
                }

    raise LookupError(process_id)


class Driver:
    """Start services and complete their tasks until the instance ends."""

    def __init__(self, session: Session):
        self.session = session
        self.instances = InstanceService(session)

    def start(
        self,
        code: str,
        *,
        choices: dict[str, Any] | None = None,
        agencies: dict[str, str] | None = None,
    ) -> Instance:
        service = self.session.get(Service, code)
        arguments = start_arguments(service, choices=choices, agencies=agencies)
        instance = self.instances.start(
            arguments.process_id,
            arguments.data,
            actor="counter:1",
            lane_bindings=arguments.lane_bindings,
        )
        self.session.commit()
        return instance

    def start_service(self, service: Service) -> Instance:
        """Start ``service`` with any role left to the application bound."""
        agencies = {role: CHOSEN_AGENCY for role in service.chosen_roles}
        return self.start(service.code, agencies=agencies)

    def expected_agencies(self, service: Service) -> list[str | None]:
        """Return the catalogue's agency order, with chosen roles bound."""
        actors = service.agency_order
        return collapse([CHOSEN_AGENCY if a.islower() else a for a in actors])

    def advance_to_first_check(self, instance: Instance, process_id: str) -> str:
        """Complete tasks until a document check is open; return its element id."""
        checks = document_checks(process_id)
        tasks = self.instances.open_tasks(instance.id)
        while tasks and tasks[0].element_id not in checks:
            self.instances.complete(tasks[0].id, self.answer(tasks[0]), "officer:7")
            tasks = self.instances.open_tasks(instance.id)

        assert tasks, f"no document check reached among {sorted(checks)}"
        return tasks[0].element_id

    def run(
        self,
        instance: Instance,
        *,
        answers: dict[str, list[dict[str, Any]]] | None = None,
        prefer: list[str | None] | None = None,
        unpaid: bool = False,
    ) -> Run:
        """Complete open tasks until the instance ends.

        ``answers`` gives, per element id, the data for its next completions
        in turn, instead of SUCCESS. Of several open tasks (parallel branches, which
        may finish in any order) the driver takes one of the agency already at
        work, else one of the agency ``prefer`` names next.
        """
        pending = {key: list(values) for key, values in (answers or {}).items()}
        run = Run(instance)
        for _step in range(MAX_STEPS):
            tasks = self.instances.open_tasks(instance.id)
            if not tasks:
                break

            task = _next_task(tasks, run, prefer or [])
            data = self.answer(task, pending, unpaid)
            instance = self.instances.complete(task.id, data, actor="officer:7")
            run.completed.append(task)
        else:
            pytest.fail(f"{instance.id} still running after {MAX_STEPS} tasks")

        run.instance = instance
        return run

    def answer(
        self,
        task: Task,
        pending: dict[str, list[dict[str, Any]]] | None = None,
        unpaid: bool = False,
    ) -> dict[str, Any]:
        """Return an approving officer's (or a paying bank's) data for ``task``."""
        if task.connector == "bank.confirm_payment":
            return _bank_result(task, unpaid)

        given = (pending or {}).get(task.element_id)
        return given.pop(0) if given else SUCCESS


def _bank_result(task: Task, unpaid: bool) -> dict[str, Any]:
    """Answer as the bank connector does (workers/connectors.py)."""
    return {
        "payment_confirmed": not unpaid,
        "bank_receipt": f"BANK/{task.connector_params['reference']}",
    }


def _next_task(tasks: list[Task], run: Run, prefer: list[str | None]) -> Task:
    done = run.agencies
    wanted = [done[-1]] if done else []
    if len(done) < len(prefer):
        wanted.append(prefer[len(done)])

    for agency in wanted:
        for task in tasks:
            if task.agency == agency:
                return task

    return min(tasks, key=lambda task: task.element_id)
