"""Deployed diagrams as the modeler reads them: processes, versions, checks.

Each deployed process has immutable versions; each version counts the
instances started on it, so an analyst sees what a new version leaves running
on the old ones. :func:`check_upload` runs every deployment check and stores
nothing, which is how the modeler validates before deploying. A refused
diagram is its answer, not an error: the check itself succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from engine.diagrams import DiagramFile, check_diagrams
from engine.errors import DiagramInvalid, Problem
from engine.models import Instance, InstanceStatus, ProcessVersion
from processes.forms import check_forms
from processes.models import Agency
from processes.patterns import ROLES

from .errors import Missing


@dataclass(frozen=True)
class VersionSummary:
    """One version of a process with its instances, running and in all."""

    process_id: str
    version: int
    name: str | None
    content_hash: str
    deployed_at: datetime
    deployed_by: str
    roles: list[str]
    running_instances: int
    instances: int


@dataclass(frozen=True)
class DiagramCheck:
    """What a check found: the executable processes, or every problem."""

    processes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def processes_query() -> Select:
    """Each deployed process once: its latest version and how many it has."""
    latest = (
        select(
            ProcessVersion.process_id,
            func.max(ProcessVersion.version).label("latest_version"),
            func.count(ProcessVersion.id).label("versions"),
        )
        .group_by(ProcessVersion.process_id)
        .subquery()
    )
    return (
        select(latest, ProcessVersion.name, ProcessVersion.deployed_at)
        .join(
            ProcessVersion,
            (ProcessVersion.process_id == latest.c.process_id)
            & (ProcessVersion.version == latest.c.latest_version),
        )
        .order_by(latest.c.process_id)
    )


def versions_query(session: Session, process_id: str) -> Select:
    """The versions of ``process_id``, newest first, with instance counts.

    Raises Missing when no version of the process is deployed.
    """
    if _version_row(session, process_id) is None:
        raise Missing(f"process {process_id} is not deployed")

    running = func.sum(
        case((Instance.status == InstanceStatus.RUNNING.value, 1), else_=0)
    )
    return (
        select(
            ProcessVersion,
            func.coalesce(running, 0).label("running_instances"),
            func.count(Instance.id).label("instances"),
        )
        .outerjoin(Instance, Instance.process_version_id == ProcessVersion.id)
        .where(ProcessVersion.process_id == process_id)
        .group_by(ProcessVersion.id)
        .order_by(ProcessVersion.version.desc())
    )


def summary_of(row) -> VersionSummary:
    version, running, instances = row
    return VersionSummary(
        process_id=version.process_id,
        version=version.version,
        name=version.name,
        content_hash=version.content_hash,
        deployed_at=version.deployed_at,
        deployed_by=version.deployed_by,
        roles=version.roles,
        running_instances=running,
        instances=instances,
    )


def version_of(session: Session, process_id: str, number: int) -> ProcessVersion:
    # The URL converter takes any size; the column holds 32-bit numbers.
    version = _version_row(session, process_id, number) if number < 2**31 else None
    if version is None:
        raise Missing(f"process {process_id} has no version {number}")

    return version


def check_upload(session: Session, files: list[DiagramFile]) -> DiagramCheck:
    """Check ``files`` as a deployment would, and store nothing."""
    agencies = set(session.scalars(select(Agency.code)))
    try:
        check_forms(session, files, agencies=agencies, roles=ROLES)
        bundle = check_diagrams(session, files, agencies=agencies, roles=ROLES)
    except DiagramInvalid as refused:
        return DiagramCheck(problems=refused.problems)

    return DiagramCheck(processes=bundle.executable_ids())


def _version_row(
    session: Session, process_id: str, number: int | None = None
) -> ProcessVersion | None:
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
    if number is not None:
        query = query.where(ProcessVersion.version == number)
    return session.scalar(query.limit(1))
