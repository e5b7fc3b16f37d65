"""Catalogue changes made through the API: diagram uploads and service entries.

These wrap :mod:`engine.diagrams` and the catalogue tables so that the views
only parse and render. Services entered here live alongside the ones loaded
from ``processes/data``; a later catalogue load leaves codes it does not list
inactive, so services meant to last belong in ``services.csv`` too.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.diagrams import DiagramFile, deploy, latest_version
from engine.models import ProcessVersion
from processes.forms import check_forms
from processes.models import Agency, Service
from processes.patterns import ROLES

from .errors import Unprocessable

logger = logging.getLogger(__name__)


def deploy_upload(session: Session, files: list[DiagramFile], actor: str):
    """Deploy uploaded diagrams against the known agencies; commit."""
    agencies = set(session.scalars(select(Agency.code)))
    check_forms(session, files, agencies=agencies, roles=ROLES)
    versions = deploy(session, files, agencies=agencies, roles=ROLES, actor=actor)
    session.commit()
    logger.info("diagrams uploaded", extra={"actor": actor, "versions": len(versions)})
    return versions


def put_service(
    session: Session, code: str, values: dict[str, Any]
) -> tuple[Service, bool]:
    """Create or update the service ``code``; return it and whether it is new.

    Raises Unprocessable when the agency is unknown or the process, or a
    lane binding's agency, is not deployed. Commits.
    """
    version = _checked(session, values)
    service = session.get(Service, code)
    created = service is None
    if created:
        service = Service(code=code, steps=[], source="api", choices={}, presets={})
        session.add(service)

    for key, value in _columns(values, version).items():
        setattr(service, key, value)
    service.active, service.updated_at = True, utcnow()
    session.commit()
    logger.info("service saved", extra={"service_code": code, "new_service": created})
    return service, created


def diagram_version(session: Session, service: Service) -> int | None:
    version = latest_version(session, service.process_id)
    return version.version if version else None


def _checked(session: Session, values: dict[str, Any]) -> ProcessVersion:
    errors = []
    if session.get(Agency, values["agency_code"]) is None:
        errors.append(_error("agency_code", "no such agency"))
    version = latest_version(session, values["process_id"])
    if version is None:
        errors.append(_error("process_id", "no process with this id is deployed"))
    for lane, agency in values["lane_bindings"].items():
        if agency is not None and session.get(Agency, agency) is None:
            errors.append(_error(f"lane_bindings.{lane}", "no such agency"))
    if errors:
        raise Unprocessable("the service entry has invalid fields", errors)

    return version


def _columns(values: dict[str, Any], version: ProcessVersion) -> dict[str, Any]:
    # Role lanes the caller left out are bound to the owning agency.
    bindings = {role: values["agency_code"] for role in version.roles}
    bindings.update(values["lane_bindings"])
    return {
        "name_id": values["name_id"],
        "name_en": values.get("name_en") or values["name_id"],
        "agency_code": values["agency_code"],
        "process_id": values["process_id"],
        "sla_working_days": values["sla_working_days"],
        "fee_kind": values["fee_kind"],
        "fee_idr": values["fee_idr"],
        "required_documents": values["required_documents"],
        "lane_bindings": bindings,
    }


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}
