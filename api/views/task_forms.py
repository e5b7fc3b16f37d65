"""The form of one task: the JSON schema its diagram gives the inbox to draw."""

from __future__ import annotations

from flask import Blueprint

from processes.forms import form_of

from ..auth import current_user, signed_in
from ..extensions import db
from ..inbox import task_for
from ..schemas import TaskFormSchema

blueprint = Blueprint("task_forms", __name__)


@blueprint.get("/tasks/<task_id>/form")
@signed_in
def task_form(task_id: str):
    """Return the task's form schema; whoever may act on the task may read it."""
    task, instance = task_for(db.session, current_user(), task_id)
    form = form_of(db.session, task, instance)
    order = list(form["properties"]) if form else []
    return TaskFormSchema().dump({"task_id": task.id, "form": form, "order": order})
