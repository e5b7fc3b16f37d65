"""Agencies' own systems: where each hears of tasks reaching its queue (admin).

See workers.agency_push for what is sent and how it is signed.
"""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import select

from engine.db import utcnow
from processes.models import Agency
from workers import sealing
from workers.destinations import allowed_networks, literal_refusal
from workers.models import AgencyEndpoint

from ..auth import current_user, requires
from ..errors import Missing, Unprocessable
from ..extensions import db
from ..models import Role
from ..parsing import json_body, page, paged, query_args
from ..schemas import AgencyEndpointInputSchema, AgencyEndpointSchema, PageQuery

blueprint = Blueprint("integration", __name__)
ENDPOINT = AgencyEndpointSchema()
ENDPOINT_INPUT = AgencyEndpointInputSchema()


@blueprint.get("/agency-endpoints")
@requires(Role.ADMIN)
def list_endpoints():
    """Every agency that is pushed its tasks, by agency code."""
    args = query_args(PageQuery())
    rows, total = page(
        select(AgencyEndpoint).order_by(AgencyEndpoint.agency_code), args
    )
    return paged(ENDPOINT.dump([row for (row,) in rows], many=True), total, args)


@blueprint.get("/agencies/<code>/endpoint")
@requires(Role.ADMIN)
def show_endpoint(code: str):
    return ENDPOINT.dump(_endpoint_of(_agency(code)))


@blueprint.put("/agencies/<code>/endpoint")
@requires(Role.ADMIN)
def save_endpoint(code: str):
    """Set where the agency's system is pushed its tasks, and the signing secret."""
    body = json_body(ENDPOINT_INPUT)
    agency = _agency(code)
    _refuse_unreachable(body["url"])

    endpoint = db.session.get(AgencyEndpoint, agency.code)
    created = endpoint is None
    if created:
        endpoint = AgencyEndpoint(agency_code=agency.code)
        db.session.add(endpoint)

    endpoint.url = body["url"]
    endpoint.sealed_secret = sealing.box(current_app).seal(body["secret"])
    endpoint.updated_at, endpoint.updated_by = utcnow(), current_user().name
    db.session.commit()
    return ENDPOINT.dump(endpoint), 201 if created else 200


@blueprint.delete("/agencies/<code>/endpoint")
@requires(Role.ADMIN)
def remove_endpoint(code: str):
    """Stop pushing to the agency's system; its staff keep the inbox."""
    db.session.delete(_endpoint_of(_agency(code)))
    db.session.commit()
    return "", 204


def _refuse_unreachable(url: str) -> None:
    """Refuse a URL naming an address no agency's system has (see destinations).

    A host name is resolved and judged before each push instead: the workers'
    network may resolve it differently from this process.
    """
    refusal = literal_refusal(url, allowed_networks(current_app.config))
    if refusal is not None:
        raise Unprocessable(
            f"{refusal}: no agency's system can be there",
            [{"field": "url", "message": refusal}],
        )


def _agency(code: str) -> Agency:
    agency = db.session.get(Agency, code)
    if agency is None:
        raise Missing(f"agency {code} does not exist")

    return agency


def _endpoint_of(agency: Agency) -> AgencyEndpoint:
    endpoint = db.session.get(AgencyEndpoint, agency.code)
    if endpoint is None:
        raise Missing(f"agency {agency.code} has no endpoint")

    return endpoint
