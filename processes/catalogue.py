"""Load the service catalogue into the database, and start its services.

:func:`load_catalogue` reads the data files, deploys the diagrams through the
engine and writes agencies, regions and services in the caller's transaction:
it flushes, the caller commits, so a refused file leaves nothing behind.
Loading again updates rows in place and deploys nothing new unless a diagram
changed.

:func:`start_arguments` turns a service and an application's choices into
what ``InstanceService.start`` takes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.diagrams import DiagramFile, deploy
from engine.errors import DiagramInvalid, Problem
from engine.models import ProcessVersion
from processes.catalogue_data import (
    BPMN_DIR,
    DATA_DIR,
    CatalogueData,
    CatalogueError,
    CatalogueProblem,
    read_catalogue,
)
from processes.forms import check_forms
from processes.models import Agency, FeeKind, Region, Service
from processes.patterns import ROLES

if TYPE_CHECKING:
    from tqdm import tqdm

logger = logging.getLogger(__name__)

ACTOR = "catalogue"


@dataclass
class TableCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class LoadReport:
    agencies: TableCounts = field(default_factory=TableCounts)
    regions: TableCounts = field(default_factory=TableCounts)
    services: TableCounts = field(default_factory=TableCounts)
    # Services in the database but no longer in services.csv.
    withdrawn: list[str] = field(default_factory=list)
    diagrams: int = 0
    new_versions: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        tables = (self.agencies, self.regions, self.services)
        return bool(
            self.new_versions
            or self.withdrawn
            or any(table.created or table.updated for table in tables)
        )


class ServiceStartError(ValueError):
    """An application asked for a choice or an agency its service does not allow."""


@dataclass(frozen=True)
class StartArguments:
    process_id: str
    data: dict[str, Any]
    lane_bindings: dict[str, str]


def load_catalogue(
    session: Session,
    data_dir: Path = DATA_DIR,
    bpmn_dir: Path = BPMN_DIR,
    *,
    progress: bool = False,
    actor: str = ACTOR,
) -> LoadReport:
    """Check, deploy and write the whole catalogue; flush without committing.

    Raises CatalogueError before writing anything when a data file or diagram
    is refused; the caller should then roll back, as a diagram refused by the
    engine comes after earlier ones were deployed in the session.
    """
    # Only the command line loads the catalogue; API processes never need tqdm.
    from tqdm import tqdm

    data = read_catalogue(data_dir, bpmn_dir)
    report = LoadReport()
    total = len(data.diagram_files) + 3
    with tqdm(total=total, desc="catalogue", unit="step", disable=not progress) as bar:
        report.new_versions = _deploy(session, data, bpmn_dir, actor, bar)
        report.diagrams = len(data.diagram_files)
        report.agencies = _upsert(session, Agency, data.agencies)
        bar.update()
        report.regions = _upsert(session, Region, data.regions)
        bar.update()
        report.services = _upsert(session, Service, _service_rows(data))
        report.withdrawn = _withdraw_unlisted(session, data)
        bar.update()

    session.flush()
    logger.info(
        "catalogue loaded",
        extra={
            "services": len(data.services),
            "new_versions": len(report.new_versions),
        },
    )
    return report


def load_catalogue_from_package(
    session: Session, *, progress: bool = False
) -> LoadReport:
    """Load the data files and diagrams that ship with this code."""
    return load_catalogue(session, DATA_DIR, BPMN_DIR, progress=progress)


def _deploy(
    session: Session, data: CatalogueData, bpmn_dir: Path, actor: str, bar: tqdm
) -> list[str]:
    """Deploy each diagram file on its own, shared ones first.

    One file per deployment keeps versions apart: a changed flow gets a new
    version without every other process getting one too.
    """
    known = set(session.scalars(select(ProcessVersion.id)))
    deployed: list[ProcessVersion] = []
    checks = {"agencies": data.agency_codes, "roles": ROLES}
    for path in data.diagram_files:
        diagram = DiagramFile(path.as_posix(), (bpmn_dir / path).read_bytes())
        try:
            check_forms(session, [diagram], **checks)
            deployed += deploy(session, [diagram], actor=actor, **checks)
        except DiagramInvalid as refused:
            raise CatalogueError([_located(p) for p in refused.problems]) from None
        bar.update()

    return [f"{v.process_id} v{v.version}" for v in deployed if v.id not in known]


def _located(problem: Problem) -> CatalogueProblem:
    return CatalogueProblem(
        problem.file, problem.line, problem.element_id or "diagram", problem.message
    )


def _service_rows(data: CatalogueData) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in service.items() if key != "row"}
        | {"active": True}
        for service in data.services
    ]


def _upsert(session: Session, model: type, rows: list[dict[str, Any]]) -> TableCounts:
    counts = TableCounts()
    existing = {row.code: row for row in session.scalars(select(model))}
    for values in rows:
        current = existing.get(values["code"])
        if current is None:
            session.add(model(**values))
            counts.created += 1
            continue

        changed = {k: v for k, v in values.items() if getattr(current, k) != v}
        if not changed:
            counts.unchanged += 1
            continue

        for key, value in changed.items():
            setattr(current, key, value)
        if hasattr(current, "updated_at"):
            current.updated_at = utcnow()
        counts.updated += 1

    return counts


def _withdraw_unlisted(session: Session, data: CatalogueData) -> list[str]:
    """Mark services gone from the file inactive; applications may still name them."""
    listed = {service["code"] for service in data.services}
    unlisted = session.scalars(
        select(Service).where(Service.code.not_in(listed), Service.active.is_(True))
    ).all()
    for service in unlisted:
        service.active = False
        service.updated_at = utcnow()

    return sorted(service.code for service in unlisted)


def start_arguments(
    service: Service,
    *,
    choices: Mapping[str, Any] | None = None,
    agencies: Mapping[str, str] | None = None,
) -> StartArguments:
    """Return the process, start data and lane bindings for one application.

    ``choices`` may set the start parameters the service leaves open;
    ``agencies`` binds the roles it leaves to each application (the agency a
    complaint is about). The start data carries the catalogue's fee so that
    the diagram can charge it, and an empty ``payments`` ledger.
    """
    choices, agencies = dict(choices or {}), dict(agencies or {})
    if not service.active:
        raise ServiceStartError(f"{service.code} is no longer offered")

    unknown = sorted(set(choices) - set(service.choices))
    if unknown:
        raise ServiceStartError(f"{service.code} offers no choice {', '.join(unknown)}")

    return StartArguments(
        process_id=service.process_id,
        data={
            **service.choices,
            **choices,
            **service.presets,
            "service_code": service.code,
            "fee_kind": service.fee_kind.value,
            "fee_idr": service.fee_idr
            if service.fee_kind is not FeeKind.ASSESSED
            else 0,
            "sla_working_days": service.sla_working_days,
            "payments": [],
        },
        lane_bindings=_bindings(service, agencies),
    )


def _bindings(service: Service, agencies: dict[str, str]) -> dict[str, str]:
    chosen = service.chosen_roles
    if sorted(agencies) != chosen:
        wanted = ", ".join(chosen) or "none"
        raise ServiceStartError(f"{service.code} needs agencies for roles: {wanted}")

    return {
        role: code if code is not None else agencies[role]
        for role, code in service.lane_bindings.items()
    }
