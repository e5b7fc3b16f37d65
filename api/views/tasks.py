"""Agency task queues and the acts on one task."""

from __future__ import annotations

from flask import Blueprint

from engine.models import Instance, Task
from processes.applications import Application, application_of
from processes.forms import form_of, submission_errors
from workers.wiring import instance_service

from ..auth import current_user, requires, signed_in
from ..errors import Unprocessable
from ..extensions import db
from ..inbox import (
    assignee,
    queue_item,
    task_count,
    task_for,
    task_query,
    task_row,
)
from ..models import Role
from ..parsing import json_body, page, paged, query_args
from ..reads import kept_after_commit, outside_transaction
from ..schemas import AssignInputSchema, CompleteInputSchema, TaskQuery, TaskSchema

blueprint = Blueprint("tasks", __name__)

# Built once: a schema holds no request state, and building one per request
# costs more than the busiest views' own work.
TASK = TaskSchema()
TASKS = TaskSchema(many=True)
TASK_QUERY = TaskQuery()
COMPLETE_INPUT = CompleteInputSchema()


@blueprint.get("/tasks")
@outside_transaction
@signed_in
def queue():
    args = query_args(TASK_QUERY)
    user = current_user()
    rows, total = page(task_query(user, args), args, task_count(user, args))
    items = [queue_item(row) for row in rows]
    return paged(TASKS.dump(items), total, args)


@blueprint.post("/tasks/<task_id>/claim")
@requires(Role.OFFICER)
def claim(task_id: str):
    user = current_user()
    task, instance = task_for(db.session, user, task_id)
    application = application_of(db.session, instance.id)
    with kept_after_commit():
        instance_service(db.session).claim(task.id, user.name)
    return _render(task, application)


@blueprint.post("/tasks/<task_id>/release")
@requires(Role.OFFICER)
def release(task_id: str):
    user = current_user()
    task, instance = task_for(db.session, user, task_id)
    application = application_of(db.session, instance.id)
    with kept_after_commit():
        instance_service(db.session).release(task.id, user.name)
    return _render(task, application)


@blueprint.post("/tasks/<task_id>/complete")
@requires(Role.OFFICER)
def complete(task_id: str):
    body = json_body(COMPLETE_INPUT)
    user = current_user()
    task, instance = task_for(db.session, user, task_id)
    _check_form(task, instance, body["data"])
    application = application_of(db.session, instance.id)
    with kept_after_commit():
        instance_service(db.session).complete(task.id, body["data"], user.name)
    return _render(task, application)


@blueprint.post("/tasks/<task_id>/assign")
@requires(Role.SUPERVISOR)
def assign(task_id: str):
    body = json_body(AssignInputSchema())
    user = current_user()
    task, instance = task_for(db.session, user, task_id)
    officer = assignee(db.session, body["user"], task)
    application = application_of(db.session, instance.id)
    with kept_after_commit():
        instance_service(db.session).assign(task.id, officer.name, user.name)
    return _render(task, application)


def _check_form(task: Task, instance: Instance, data: dict) -> None:
    """Refuse data the task's form refuses, before the engine runs anything."""
    form = form_of(db.session, task, instance)
    errors = submission_errors(form, data) if form else []
    if errors:
        raise Unprocessable("the data does not fit the task's form", errors)


def _render(task: Task, application: Application | None):
    return TASK.dump(task_row(task, application))
