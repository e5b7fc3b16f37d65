"""Bearer-token authentication and role checks for the views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request

from .errors import Forbidden, Unauthorized
from .extensions import db
from .models import Role, User, user_for_token


def current_user() -> User:
    """Return the user of the request's bearer token; raise Unauthorized."""
    user = g.get("user")
    if user is not None:
        return user

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send a bearer token: 'Authorization: Bearer <token>'")

    user = user_for_token(db.session, token.strip())
    if user is None:
        raise Unauthorized("the token is unknown or its user is inactive")

    g.user = user
    return user


def requires(*roles: Role) -> Callable:
    """Let a view run only for a signed-in user of one of ``roles`` (admin always)."""
    allowed = {role.value for role in roles} | {Role.ADMIN.value}

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user.role not in allowed:
                raise Forbidden(f"a {user.role} may not do this")
            return view(*args, **kwargs)

        return guarded

    return decorate


def signed_in(view: Callable) -> Callable:
    @wraps(view)
    def guarded(*args, **kwargs):
        current_user()
        return view(*args, **kwargs)

    return guarded
