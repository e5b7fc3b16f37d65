"""The public satisfaction index (IKM) for supervisors.

The regent and admins see every agency; an agency head sees the services of
its own agency only.
"""

from __future__ import annotations

from flask import Blueprint

from processes.satisfaction import satisfaction_index

from ..auth import current_user, requires
from ..extensions import db
from ..models import Role
from ..parsing import query_args
from ..schemas import SatisfactionQuery, SatisfactionSchema

blueprint = Blueprint("satisfaction", __name__)


@blueprint.get("/satisfaction")
@requires(Role.SUPERVISOR)
def satisfaction():
    args = query_args(SatisfactionQuery())
    user = current_user()
    agency = None if user.role == Role.ADMIN or user.is_regent else user.agency_code

    items = satisfaction_index(db.session, args["group_by"], agency_code=agency)
    return SatisfactionSchema().dump({"group_by": args["group_by"], "items": items})
