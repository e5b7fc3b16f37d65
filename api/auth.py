"""Bearer-token authentication and role checks for the views.

Checked tokens are cached per app in ``TokenCache``; importing this module
registers the SQLAlchemy events that empty it when a user changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps

from cachetools import TTLCache
from flask import Flask, current_app, g, has_app_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from .errors import Forbidden, Unauthorized
from .extensions import db
from .models import Identity, Role, User, hash_token, identity_for_token_hash

# Where an app keeps its TokenCache, in ``app.extensions``.
TOKEN_CACHE = "terpadu.token_cache"
# Set in ``session.info`` when a flush changed or deleted a user.
_USERS_CHANGED = "terpadu.users_changed"


class TokenCache:
    """Identities of recently checked tokens, so most requests skip the users query.

    Keyed by the token's SHA-256 digest, never by the token. At most ``size``
    entries, the least recently used dropped first, each trusted for
    ``seconds``; 0 seconds turns the cache off. Only active users' identities
    go in: unknown and inactive tokens are looked up on every request, so
    guessed tokens cannot fill the cache.

    The cache is per process. When a commit in this process changes or deletes
    a user (say, deactivates them or gives them a new token), the whole cache of
    the current app is dropped at once. Other processes, and changes made
    straight in the database or by bulk UPDATE statements, are seen only when
    the entry expires: until then, for up to ``seconds``, the old token still
    works there and the old role and agency still apply.
    """

    def __init__(
        self, seconds: float, size: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries = None
        if seconds > 0:
            self._entries = TTLCache(maxsize=size, ttl=seconds, timer=clock)
        # Gunicorn serves requests on threads; TTLCache has no lock of its own.
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> Identity | None:
        if self._entries is None:
            return None

        with self._lock:
            return self._entries.get(token_hash)

    def put(self, token_hash: str, identity: Identity) -> None:
        if self._entries is None:
            return

        with self._lock:
            self._entries[token_hash] = identity

    def clear(self) -> None:
        if self._entries is None:
            return

        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return 0 if self._entries is None else len(self._entries)


def token_cache(app: Flask) -> TokenCache:
    """Return ``app``'s token cache, made from its configuration on first use."""
    cache = app.extensions.get(TOKEN_CACHE)
    if cache is not None:
        return cache

    made = TokenCache(app.config["TOKEN_CACHE_SECONDS"], app.config["TOKEN_CACHE_SIZE"])
    # Threads racing through here all keep the first cache stored.
    return app.extensions.setdefault(TOKEN_CACHE, made)


def current_user() -> Identity:
    """Return the user of the request's bearer token; raise Unauthorized."""
    user = g.get("user")
    if user is not None:
        return user

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send a bearer token: 'Authorization: Bearer <token>'")

    user = _identity_for(hash_token(token.strip()))
    g.user = user
    return user


def _identity_for(token_hash: str) -> Identity:
    cache = token_cache(current_app)
    identity = cache.get(token_hash)
    if identity is not None:
        return identity

    identity = identity_for_token_hash(db.session, token_hash)
    if identity is None:
        raise Unauthorized("the token is unknown or its user is inactive")

    cache.put(token_hash, identity)
    return identity


@event.listens_for(User, "after_update")
@event.listens_for(User, "after_delete")
def _note_changed_user(mapper, connection, user: User) -> None:
    Session.object_session(user).info[_USERS_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_changed_users(session: Session) -> None:
    # After the commit, not the flush: a request re-reading the user between
    # the two would put the old row back in the cache. All entries go, not
    # the user's alone: users change seldom, and an entry's key is the token
    # hash that the change may just have replaced.
    if not (session.info.pop(_USERS_CHANGED, False) and has_app_context()):
        return

    cache = current_app.extensions.get(TOKEN_CACHE)
    if cache is not None:
        cache.clear()


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
