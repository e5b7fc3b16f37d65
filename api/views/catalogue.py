"""Agencies, villages, services and deployed diagrams: upload, check, versions."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from werkzeug.exceptions import RequestEntityTooLarge

from engine.diagrams import DiagramFile
from processes.models import Agency, Region, RegionLevel, Service

from ..auth import current_user, requires, signed_in
from ..catalogue import deploy_upload, diagram_version, put_service
from ..diagrams import (
    check_upload,
    processes_query,
    summary_of,
    version_of,
    versions_query,
)
from ..errors import Missing
from ..extensions import db
from ..models import Role
from ..parsing import json_body, page, paged, query_args
from ..schemas import (
    AgencySchema,
    DeploymentSchema,
    DiagramCheckSchema,
    DiagramSchema,
    DiagramSourceSchema,
    DiagramVersionSchema,
    PageQuery,
    ServiceDetailSchema,
    ServiceInputSchema,
    ServiceQuery,
    ServiceSchema,
    VillageSchema,
)

blueprint = Blueprint("catalogue", __name__)
XML_TYPES = ("application/xml", "text/xml")


@blueprint.get("/agencies")
@signed_in
def list_agencies():
    args = query_args(PageQuery())
    rows, total = page(select(Agency).order_by(Agency.code), args)
    return paged(AgencySchema(many=True).dump(r[0] for r in rows), total, args)


@blueprint.get("/villages")
@signed_in
def list_villages():
    """List the regency's desa and kelurahan by code, each with its kecamatan."""
    args = query_args(PageQuery())
    rows, total = page(_village_query(), args)
    return paged(VillageSchema(many=True).dump(_village(*r) for r in rows), total, args)


def _village_query():
    kecamatan = aliased(Region)
    return (
        select(Region, kecamatan.name.label("kecamatan"))
        .join(kecamatan, Region.parent_code == kecamatan.code)
        .where(Region.level.in_([RegionLevel.DESA, RegionLevel.KELURAHAN]))
        .order_by(Region.code)
    )


def _village(village: Region, kecamatan: str) -> dict:
    return {
        "code": village.code,
        "name": village.name,
        "level": village.level.value,
        "kecamatan_code": village.parent_code,
        "kecamatan": kecamatan,
    }


@blueprint.get("/services")
@signed_in
def list_services():
    args = query_args(ServiceQuery())
    rows, total = page(_service_query(args), args)
    return paged(ServiceSchema(many=True).dump(r[0] for r in rows), total, args)


def _service_query(args):
    query = select(Service).order_by(Service.code)
    if args.get("agency"):
        query = query.where(Service.agency_code == args["agency"])
    if args.get("q"):
        like = f"%{args['q']}%"
        query = query.where(
            or_(
                Service.name_id.ilike(like),
                Service.name_en.ilike(like),
                Service.code.ilike(like),
            )
        )
    return query


@blueprint.get("/services/<code>")
@signed_in
def get_service(code: str):
    service = db.session.get(Service, code)
    if service is None:
        raise Missing(f"service {code} does not exist")

    return _service_detail(service)


@blueprint.put("/services/<code>")
@requires(Role.ANALYST)
def save_service(code: str):
    values = json_body(ServiceInputSchema())
    service, created = put_service(db.session, code[:20], values)
    return _service_detail(service), 201 if created else 200


def _service_detail(service: Service):
    detail = ServiceDetailSchema().dump(service)
    detail["diagram_version"] = diagram_version(db.session, service)
    return detail


@blueprint.post("/diagrams")
@requires(Role.ANALYST)
def upload_diagrams():
    versions = deploy_upload(db.session, _uploaded_files(), current_user().name)
    body = {
        "processes": [
            {"process_id": v.process_id, "version": v.version, "roles": v.roles}
            for v in versions
        ]
    }
    return DeploymentSchema().dump(body), 201


@blueprint.post("/diagrams/validate")
@requires(Role.ANALYST)
def validate_diagrams():
    """Run every deployment check and store nothing; the answer lists problems."""
    return DiagramCheckSchema().dump(check_upload(db.session, _uploaded_files()))


@blueprint.get("/diagrams")
@requires(Role.ANALYST)
def list_diagrams():
    args = query_args(PageQuery())
    rows, total = page(processes_query(), args)
    items = DiagramSchema(many=True).dump(row._mapping for row in rows)
    return paged(items, total, args)


@blueprint.get("/diagrams/<process_id>/versions")
@requires(Role.ANALYST)
def list_diagram_versions(process_id: str):
    args = query_args(PageQuery())
    rows, total = page(versions_query(db.session, process_id), args)
    items = DiagramVersionSchema(many=True).dump(summary_of(row) for row in rows)
    return paged(items, total, args)


@blueprint.get("/diagrams/<process_id>/versions/<int:version>")
@requires(Role.ANALYST)
def show_diagram_version(process_id: str, version: int):
    return DiagramSourceSchema().dump(version_of(db.session, process_id, version))


def _uploaded_files() -> list[DiagramFile]:
    if request.mimetype in XML_TYPES:
        return [DiagramFile("upload.bpmn", _xml_body())]

    return [
        DiagramFile(upload.filename or "upload.bpmn", upload.read())
        for upload in request.files.getlist("file")
    ]


def _xml_body() -> bytes:
    """Return the raw body; 413 when a chunked one reaches the size limit.

    A chunked body declares no length, so werkzeug stops reading at
    MAX_CONTENT_LENGTH and hands back what it has: without this check the
    cut-off diagram would be refused as malformed XML instead of too large.
    """
    content = request.get_data()
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit and len(content) >= limit:
        raise RequestEntityTooLarge()

    return content
