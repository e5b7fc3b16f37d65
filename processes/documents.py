"""Issued documents: the verification code each completed application carries.

A completed (not rejected) application gets one ``IssuedDocument`` row in the
transaction that completes it (see ``applications.sync_application``); the
row's random code is what the PDF prints and what its QR code's verify address
holds, so a document is verifiable from the moment it exists, downloaded or
not. The code is random rather than derived from the application, so it
proves nothing by itself and cannot be guessed from a tracking number.

This module imports the engine's base and the applications, never the API.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow
from engine.errors import Conflict
from processes.applications import Application, ApplicationStatus

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: the code is read aloud and typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
CODE_LENGTH = CODE_GROUPS * CODE_GROUP_LENGTH + CODE_GROUPS - 1


class NotIssuable(Conflict):
    """The application has not completed, or was rejected: no document exists."""


class IssuedDocument(Base):
    """The document issued for one completed application, and its code."""

    __tablename__ = "issued_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id"), unique=True
    )
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()


def new_code() -> str:
    """Return a fresh code such as ``7KQM-3XRT-P9HD`` (about 59 bits)."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def normalise_code(typed: str) -> str:
    """Read a code as typed: any case, spaces or no dashes."""
    letters = "".join(ch for ch in typed.upper() if ch.isalnum())
    parts = [
        letters[start : start + CODE_GROUP_LENGTH]
        for start in range(0, len(letters), CODE_GROUP_LENGTH)
    ]
    return "-".join(parts)


def issue_document(session: Session, application: Application) -> IssuedDocument:
    """Issue the completed application's document under a fresh code.

    Called as the application completes, inside that transaction: flushes,
    the caller commits. Raises NotIssuable unless the application completed.
    """
    if application.status != ApplicationStatus.COMPLETED.value:
        raise NotIssuable(
            f"application {application.tracking_number} has no issued document"
        )

    issued = IssuedDocument(
        application_id=application.id,
        code=new_code(),
        issued_at=application.completed_at or utcnow(),
    )
    session.add(issued)
    session.flush()
    logger.info(
        "document issued",
        extra={
            "application_id": application.id,
            "tracking_number": application.tracking_number,
        },
    )
    return issued


def document_of(session: Session, application: Application) -> IssuedDocument:
    """Return the application's issued document; NotIssuable when it has none."""
    issued = _document_of(session, application.id)
    if issued is None:
        raise NotIssuable(
            f"application {application.tracking_number} has no issued document"
        )

    return issued


def find_document(session: Session, code: str) -> IssuedDocument | None:
    """Return the document with this code, or None."""
    return session.scalar(
        select(IssuedDocument).where(IssuedDocument.code == normalise_code(code))
    )


def _document_of(session: Session, application_id: int) -> IssuedDocument | None:
    return session.scalar(
        select(IssuedDocument).where(IssuedDocument.application_id == application_id)
    )
