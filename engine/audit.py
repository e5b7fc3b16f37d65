"""An append-only, hash-chained audit trail.

Every change to an instance (and every deployment of a process) appends a row
whose hash covers the previous row's hash, so editing or deleting any row
breaks the chain. Instance chains keep their head (sequence and hash) on the
instance row itself: appending then needs no extra query, and the instance's
optimistic lock keeps two writers from forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import AuditEvent, Instance

GENESIS = "0" * 64


def instance_chain(instance_id: int) -> str:
    return f"instance:{instance_id}"


def _digest(
    prev_hash: str,
    chain: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    detail: dict[str, Any],
) -> str:
    payload = json.dumps(
        [prev_hash, chain, seq, at.isoformat(), actor, action, detail],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _row(chain, seq, prev_hash, actor, action, detail, at) -> dict[str, Any]:
    # Microseconds are dropped so the hash survives databases that keep fewer.
    at = (at or utcnow()).astimezone(UTC).replace(microsecond=0)
    return {
        "chain": chain,
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "detail": detail,
        "prev_hash": prev_hash,
        "hash": _digest(prev_hash, chain, seq, at, actor, action, detail),
    }


def _append(session, chain, seq, prev_hash, actor, action, detail, at) -> AuditEvent:
    event = AuditEvent(**_row(chain, seq, prev_hash, actor, action, detail, at))
    session.add(event)
    return event


def record_for_instance(
    session: Session,
    instance: Instance,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append to the instance's chain and move its head on the instance row."""
    event = _append(
        session,
        instance_chain(instance.id),
        instance.audit_seq + 1,
        instance.audit_hash or GENESIS,
        actor,
        action,
        detail or {},
        at,
    )
    instance.audit_seq = event.seq
    instance.audit_hash = event.hash
    return event


def pending_for_instance(
    pending: list[dict[str, Any]],
    instance: Instance,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Like :func:`record_for_instance`, but collect the row for :func:`write`.

    The instance's head moves at once, as there; the row reaches the database
    only when the caller writes the batch, in the same transaction.
    """
    row = _row(
        instance_chain(instance.id),
        instance.audit_seq + 1,
        instance.audit_hash or GENESIS,
        actor,
        action,
        detail or {},
        at,
    )
    instance.audit_seq = row["seq"]
    instance.audit_hash = row["hash"]
    pending.append(row)


def write(session: Session, pending: list[dict[str, Any]]) -> None:
    """Insert collected rows in one statement, without reading anything back."""
    if not pending:
        return

    session.execute(insert(AuditEvent.__table__), pending)
    pending.clear()


def record(
    session: Session,
    chain: str,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append to a chain that has no owning row (a process's deployments)."""
    last = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS)
    return _append(session, chain, seq, prev_hash, actor, action, detail or {}, at)


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int
    reason: str


def verify(session: Session, chain: str | None = None) -> list[Break]:
    """Recompute every chain (or one); return where each one breaks, if anywhere."""
    query = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
    if chain is not None:
        query = query.where(AuditEvent.chain == chain)
    breaks: list[Break] = []
    heads: dict[str, AuditEvent] = {}
    for event in session.scalars(query):
        breaks += _check_link(event, heads.get(event.chain))
        heads[event.chain] = event
    breaks += _check_instance_heads(session, heads, chain)
    return breaks


def _check_link(event: AuditEvent, previous: AuditEvent | None) -> list[Break]:
    expected_seq = previous.seq + 1 if previous else 1
    expected_prev = previous.hash if previous else GENESIS
    if event.seq != expected_seq:
        return [Break(event.chain, expected_seq, "row missing")]
    if event.prev_hash != expected_prev:
        return [Break(event.chain, event.seq, "does not follow the previous row")]
    recomputed = _digest(
        event.prev_hash,
        event.chain,
        event.seq,
        event.at,
        event.actor,
        event.action,
        event.detail,
    )
    if recomputed != event.hash:
        return [Break(event.chain, event.seq, "row was altered")]
    return []


def _check_instance_heads(session, heads, chain) -> list[Break]:
    # The last rows of a chain can be deleted without breaking any link; the
    # head kept on the instance row catches that.
    query = select(Instance.id, Instance.audit_seq, Instance.audit_hash)
    if chain is not None:
        if not chain.startswith("instance:"):
            return []
        query = query.where(Instance.id == int(chain.split(":", 1)[1]))
    breaks = []
    for instance_id, seq, head_hash in session.execute(query):
        name = instance_chain(instance_id)
        head = heads.get(name)
        if seq and (head is None or head.seq != seq or head.hash != head_hash):
            breaks.append(Break(name, seq, "latest rows missing"))
    return breaks
