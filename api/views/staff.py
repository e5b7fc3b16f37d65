"""The signed-in staff member, as the console needs to know them."""

from __future__ import annotations

from flask import Blueprint

from ..auth import current_user, signed_in
from ..schemas import MeSchema

blueprint = Blueprint("staff", __name__)


@blueprint.get("/me")
@signed_in
def me():
    """Return who the bearer token belongs to: name, role, agency and village."""
    return MeSchema().dump(current_user())
