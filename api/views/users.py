"""Staff accounts, kept by an admin: who may sign in, in which role and agency.

A token is shown once, when the account is made or given a new token; only
its digest is stored. A new token or a deactivation takes effect at once in
this process and within TOKEN_CACHE_SECONDS in the others (see api.auth).
"""

from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy import select

from processes.models import Agency, Region

from ..auth import current_user, requires
from ..errors import AlreadyExists, Missing, Unprocessable
from ..extensions import db
from ..models import Role, UnfitScope, User, create_user, hash_token, new_token
from ..parsing import json_body, page, paged, query_args
from ..schemas import (
    UserChangeSchema,
    UserCreatedSchema,
    UserInputSchema,
    UserQuery,
    UserSchema,
)

logger = logging.getLogger(__name__)

blueprint = Blueprint("users", __name__)


@blueprint.get("/users")
@requires(Role.ADMIN)
def list_users():
    args = query_args(UserQuery())
    query = select(User).order_by(User.name)
    if "role" in args:
        query = query.where(User.role == args["role"])
    if "agency" in args:
        query = query.where(User.agency_code == args["agency"])
    rows, total = page(query, args)
    return paged(UserSchema(many=True).dump([row for (row,) in rows]), total, args)


@blueprint.post("/users")
@requires(Role.ADMIN)
def add_user():
    """Make an account and answer its token, shown this once."""
    body = json_body(UserInputSchema())
    role = Role(body["role"])
    _check_places(body["agency_code"], body["village_code"])
    if db.session.scalar(select(User.id).where(User.name == body["name"])):
        raise AlreadyExists(f"an account named {body['name']} already exists")

    try:
        user, token = create_user(
            db.session,
            body["name"],
            role,
            agency_code=body["agency_code"],
            village_code=body["village_code"],
        )
    except UnfitScope as unfit:
        raise Unprocessable(str(unfit), [{"field": unfit.field, "message": str(unfit)}])

    db.session.commit()
    _log("account made", user)
    return UserCreatedSchema().dump(user) | {"token": token}, 201


@blueprint.post("/users/<int:user_id>/token")
@requires(Role.ADMIN)
def give_new_token(user_id: int):
    """Replace the account's token (lost, or seen by someone else)."""
    user = _user(user_id)
    token = new_token()
    user.token_hash = hash_token(token)
    db.session.commit()
    _log("account given a new token", user)
    return {"token": token}


@blueprint.patch("/users/<int:user_id>")
@requires(Role.ADMIN)
def change_user(user_id: int):
    """Deactivate an account (someone left or moved) or activate it again."""
    body = json_body(UserChangeSchema())
    user = _user(user_id)
    if user.id == current_user().id and not body["active"]:
        # The last admin locking themselves out would need the server's CLI.
        raise Unprocessable(
            "an admin cannot deactivate their own account",
            [{"field": "active", "message": "not your own account"}],
        )

    user.active = body["active"]
    db.session.commit()
    _log("account activated" if user.active else "account deactivated", user)
    return UserSchema().dump(user)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise Missing(f"user {user_id} does not exist")

    return user


def _check_places(agency_code: str | None, village_code: str | None) -> None:
    if agency_code and db.session.get(Agency, agency_code) is None:
        raise Unprocessable(
            f"agency {agency_code} does not exist",
            [{"field": "agency_code", "message": "no such agency"}],
        )
    if village_code:
        village = db.session.get(Region, village_code)
        if village is None or not village.is_village:
            raise Unprocessable(
                f"{village_code} is not a village (desa or kelurahan)",
                [{"field": "village_code", "message": "no such village"}],
            )


def _log(event: str, user: User) -> None:
    logger.info(
        event,
        extra={"user_id": user.id, "role": user.role, "by": current_user().name},
    )
