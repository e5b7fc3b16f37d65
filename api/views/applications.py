"""Applications: submitted at a counter, read by those who handle them.

An admin also sees those a failed step stopped (incidents) and runs the step
again once the cause is mended.
"""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engine.models import Instance
from processes.applications import (
    ACTIVE_STATUSES,
    Applicant,
    Application,
    ApplicationStatus,
    cancel_application,
    submit_application,
)
from workers.outbox import retry_instance
from workers.wiring import instance_service

from ..auth import current_user, requires, signed_in
from ..errors import Forbidden
from ..extensions import db
from ..inbox import application_for, application_view, applications_in_scope
from ..models import Identity, Role
from ..parsing import json_body, page, paged, query_args
from ..reads import kept_after_commit, outside_transaction
from ..schemas import (
    ApplicationBriefSchema,
    ApplicationInputSchema,
    ApplicationQuery,
    ApplicationSchema,
    CancelInputSchema,
    IncidentSchema,
    PageQuery,
    RetryInputSchema,
)

blueprint = Blueprint("applications", __name__)
MAX_KEY_LENGTH = 200
# Built once; schemas hold no request state.
APPLICATION = ApplicationSchema()
APPLICATION_INPUT = ApplicationInputSchema()
CANCEL_INPUT = CancelInputSchema()
RETRY_INPUT = RetryInputSchema()
INCIDENTS = IncidentSchema(many=True)
APPLICATION_BRIEFS = ApplicationBriefSchema(many=True)


@blueprint.post("/applications")
@requires(Role.COUNTER)
def submit():
    body = json_body(APPLICATION_INPUT)
    user = current_user()
    key = request.headers.get("Idempotency-Key", "").strip()[:MAX_KEY_LENGTH]
    with kept_after_commit():
        application, _ = submit_application(
            db.session,
            service_code=body["service_code"],
            applicant=Applicant(**body["applicant"]),
            actor=user.name,
            village_code=body.get("village_code") or user.village_code,
            data=body["data"],
            idempotency_key=key or None,
            services=instance_service,
        )
    view = application_view(db.session, application, timeline=False)
    return APPLICATION.dump(view), 201


@blueprint.get("/applications")
@outside_transaction
@requires(Role.COUNTER, Role.OFFICER, Role.SUPERVISOR)
def list_applications():
    args = query_args(ApplicationQuery())
    user = current_user()
    query = applications_in_scope(user)
    if "status" in args:
        query = query.where(Application.status == args["status"])
    if "service" in args:
        query = query.where(Application.service_code == args["service"])
    if "tracking_number" in args:
        query = query.where(Application.tracking_number == args["tracking_number"])

    newest_first = query.order_by(
        Application.submitted_at.desc(), Application.id.desc()
    ).options(
        # may_cancel reads each one's service: one query for the page, not
        # one for each application.
        selectinload(Application.service)
    )
    rows, total = page(newest_first, args)
    applications = [row[0] for row in rows]
    items = APPLICATION_BRIEFS.dump(applications)
    for item, application in zip(items, applications):
        item["may_cancel"] = _may_cancel_now(user, application)
    return paged(items, total, args)


@blueprint.get("/applications/<int:application_id>")
@outside_transaction
@signed_in
def show(application_id: int):
    application = application_for(db.session, current_user(), application_id)
    return APPLICATION.dump(application_view(db.session, application))


@blueprint.post("/applications/<int:application_id>/cancel")
@requires(Role.COUNTER, Role.SUPERVISOR)
def cancel(application_id: int):
    body = json_body(CANCEL_INPUT)
    user = current_user()
    application = application_for(db.session, user, application_id)
    if not _may_cancel(user, application):
        raise Forbidden("only the service's agency head or the regent may cancel it")

    with kept_after_commit():
        cancel_application(
            db.session,
            application,
            actor=user.name,
            reason=body["reason"],
            services=instance_service,
        )
    return APPLICATION.dump(application_view(db.session, application))


@blueprint.get("/incidents")
@outside_transaction
@requires(Role.ADMIN)
def incidents():
    """Applications stopped by a step that failed, oldest first, with where and why."""
    args = query_args(PageQuery())
    stopped = (
        select(Application, Instance)
        .join(Instance, Instance.id == Application.instance_id)
        .where(Application.status == ApplicationStatus.ERROR.value)
        .order_by(Application.submitted_at, Application.id)
    )
    rows, total = page(stopped, args)
    items = [_incident(application, instance) for application, instance in rows]
    return paged(INCIDENTS.dump(items), total, args)


def _incident(application: Application, instance: Instance) -> dict:
    return {
        "application_id": application.id,
        "tracking_number": application.tracking_number,
        "service_code": application.service_code,
        "element_id": instance.error_element_id,
        "line": instance.error_line,
        "message": instance.error_message,
        "submitted_at": application.submitted_at,
    }


@blueprint.post("/applications/<int:application_id>/retry")
@requires(Role.ADMIN)
def retry(application_id: int):
    """Run the failed step again, with ``data`` merged into it first."""
    body = json_body(RETRY_INPUT)
    user = current_user()
    application = application_for(db.session, user, application_id)
    with kept_after_commit():
        retry_instance(db.session, application.instance_id, user.name, body["data"])
    return APPLICATION.dump(application_view(db.session, application))


def _may_cancel(user: Identity, application: Application) -> bool:
    """Whether ``user``, who may read ``application``, may also cancel it."""
    # A clerk reads only what they submitted (application_for); an agency head
    # reads every application their agency works on, but cancels only those
    # of the services it answers for; officers work on tasks, never cancel.
    if user.role == Role.OFFICER:
        return False
    if user.role == Role.SUPERVISOR and not user.is_regent:
        return application.service.agency_code == user.agency_code

    return True


def _may_cancel_now(user: Identity, application: Application) -> bool:
    """What a list shows: cancelling is offered only while it is under way."""
    return application.status in ACTIVE_STATUSES and _may_cancel(user, application)
