"""People who use the API, their roles and their bearer tokens.

Only a token's SHA-256 digest is stored: a leaked table cannot be replayed,
and a lost token is replaced, never recovered.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, UTCDateTime, utcnow

TOKEN_BYTES = 32


class Role(StrEnum):
    COUNTER = "counter"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"


class AgencyScope:
    """Which agencies' work a user may see, from their ``role`` and ``agency_code``.

    A supervisor without an agency is the regent and sees every agency.
    """

    @property
    def is_regent(self) -> bool:
        return self.role == Role.SUPERVISOR and self.agency_code is None

    def sees_agency(self, agency: str | None) -> bool:
        """Tell whether this user may read and act on ``agency``'s work."""
        if self.role == Role.ADMIN or self.is_regent:
            return True

        return self.agency_code is not None and self.agency_code == agency


class User(AgencyScope, Base):
    """A counter clerk, an agency officer or head, the regent, an analyst or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    agency_code: Mapped[str | None] = mapped_column(String(16))
    village_code: Mapped[str | None] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Identity(AgencyScope):
    """The signed-in user as requests see them: a snapshot of an active user's row.

    Frozen, so one snapshot can serve many requests on many threads; it is not
    in any session. Code that changes a user loads the ``User`` row by ``id``.
    """

    id: int
    name: str
    role: str
    agency_code: str | None
    village_code: str | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    name: str,
    role: Role,
    *,
    agency_code: str | None = None,
    village_code: str | None = None,
) -> tuple[User, str]:
    """Add a user and return it with its token, which is shown only this once.

    Raises UnfitScope when the role, agency and village do not fit together.
    """
    _check_scope(role, agency_code, village_code)
    token = new_token()
    user = User(
        name=name,
        role=role.value,
        agency_code=agency_code,
        village_code=village_code,
        token_hash=hash_token(token),
    )
    session.add(user)
    session.flush()
    return user, token


class UnfitScope(ValueError):
    """A role given an agency or village it has no use for, or without one it needs."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _check_scope(role: Role, agency_code: str | None, village_code: str | None):
    """Raise UnfitScope, naming the field, unless the role fits its places.

    Officers work for an agency; a supervisor heads one, or without one is the
    regent; a counter clerk may sit in a village office. Nobody else has either.
    """
    if role == Role.OFFICER and not agency_code:
        raise UnfitScope("agency_code", "an officer needs an agency")
    if agency_code and role not in (Role.OFFICER, Role.SUPERVISOR):
        raise UnfitScope("agency_code", f"a {role.value} works for no agency")
    if village_code and role != Role.COUNTER:
        raise UnfitScope(
            "village_code",
            f"only a counter clerk sits in a village office, not a {role.value}",
        )


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def identity_for_token_hash(session: Session, token_hash: str) -> Identity | None:
    """Return the identity of the active user holding ``token_hash``, if any."""
    # Columns, not the ORM row: this runs on every request the cache misses.
    row = session.execute(
        select(
            User.id, User.name, User.role, User.agency_code, User.village_code
        ).where(User.token_hash == token_hash, User.active)
    ).one_or_none()
    return None if row is None else Identity(*row)
