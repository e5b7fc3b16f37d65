"""The per-process token cache: fewer users queries, and no stale access beyond it.

Requests count the statements that read ``users``; the cache's clock is a
hand-moved one, so expiry needs no sleeping.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from api.auth import TOKEN_CACHE, TokenCache, token_cache
from api.extensions import db
from api.models import Identity, Role, User, create_user, hash_token

TTL = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app) -> Clock:
    """Give ``app`` a token cache of ``TTL`` seconds on a clock the test moves."""
    clock = Clock()
    app.extensions[TOKEN_CACHE] = TokenCache(TTL, 100, clock=clock)
    return clock


@contextmanager
def users_queries(app):
    """Count the statements sent to the database that read the users table."""
    statements = []

    def sent(conn, cursor, statement, parameters, context, executemany):
        if "FROM users" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", sent)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", sent)


def me(api, token: str):
    return api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def deactivate_elsewhere(app, name: str) -> None:
    # A bulk UPDATE, as another process or an operator's SQL would change it:
    # this process's session never sees the row change.
    with app.app_context():
        db.session.execute(update(User).where(User.name == name).values(active=False))
        db.session.commit()


def test_a_second_request_with_the_same_token_reads_no_user(app, api, tokens, clock):
    with users_queries(app) as statements:
        first = me(api, tokens["zoning_officer"])
        second = me(api, tokens["zoning_officer"])

    assert first.status_code == second.status_code == 200
    assert (
        second.json
        == first.json
        == {
            "name": "zoning_officer",
            "role": "officer",
            "agency_code": "DPMPTSP",
            "village_code": None,
        }
    )
    assert len(statements) == 1


def test_the_cache_holds_the_token_hash_and_an_immutable_identity(
    app, api, tokens, clock
):
    me(api, tokens["regent"])

    identity = token_cache(app).get(hash_token(tokens["regent"]))
    assert isinstance(identity, Identity) and identity.is_regent
    assert token_cache(app).get(tokens["regent"]) is None
    with pytest.raises(AttributeError):
        identity.role = Role.ADMIN.value


def test_a_user_deactivated_elsewhere_is_refused_once_the_entry_expires(
    app, api, tokens, clock
):
    assert me(api, tokens["counter"]).status_code == 200
    deactivate_elsewhere(app, "counter")

    # The documented trade-off: trusted until the entry expires.
    clock.now += TTL - 1
    assert me(api, tokens["counter"]).status_code == 200
    clock.now += 2
    assert me(api, tokens["counter"]).status_code == 401


def test_a_user_deactivated_in_this_process_is_refused_at_once(app, api, tokens, clock):
    assert me(api, tokens["counter"]).status_code == 200

    with app.app_context():
        user = db.session.scalar(select(User).where(User.name == "counter"))
        user.active = False
        db.session.commit()

    assert me(api, tokens["counter"]).status_code == 401


def test_a_token_replaced_in_this_process_stops_working_at_once(
    app, api, tokens, clock
):
    assert me(api, tokens["analyst"]).status_code == 200

    with app.app_context():
        user = db.session.scalar(select(User).where(User.name == "analyst"))
        user.token_hash = hash_token("a-fresh-token-for-the-analyst")
        db.session.commit()

    assert me(api, tokens["analyst"]).status_code == 401
    assert me(api, "a-fresh-token-for-the-analyst").status_code == 200


def test_with_the_cache_off_every_request_reads_the_user(app, api, tokens):
    app.config["TOKEN_CACHE_SECONDS"] = 0

    with users_queries(app) as statements:
        for _ in range(3):
            assert me(api, tokens["counter"]).status_code == 200

    assert len(statements) == 3
    assert len(token_cache(app)) == 0


def test_unknown_and_inactive_tokens_never_enter_the_cache(app, api, tokens, clock):
    with app.app_context():
        retired, retired_token = create_user(db.session, "retired", Role.COUNTER)
        retired.active = False
        db.session.commit()

    with users_queries(app) as statements:
        for token in ("never-issued", retired_token) * 2:
            assert me(api, token).status_code == 401

    assert len(statements) == 4
    assert len(token_cache(app)) == 0


def test_the_least_recently_used_token_goes_first_when_full():
    cache = TokenCache(TTL, 2)
    identities = [Identity(n, f"user{n}", "counter", None, None) for n in range(3)]

    cache.put("a", identities[0])
    cache.put("b", identities[1])
    cache.get("a")
    cache.put("c", identities[2])

    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") == identities[0] and cache.get("c") == identities[2]
