"""Pooled database connections are checked before use only after sitting idle.

SQLAlchemy's ``pool_pre_ping`` pings at every checkout: under load, a round
trip per request on a connection that served another a millisecond before.
Here a connection back from a request less than ``idle_seconds`` ago is used
as it is. If the server went away meanwhile, the statement fails, SQLAlchemy
invalidates the whole pool, and the request gets the 503 that every request
gets while the database is down; the next requests connect afresh. A
connection idle for longer (a server or firewall timeout may have closed it
quietly) is pinged first, and replaced if it is dead.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

logger = logging.getLogger(__name__)

DEFAULT_IDLE_SECONDS = 5.0
# When the connection last went back to the pool (or was opened).
_RETURNED_AT = "terpadu.returned_at"


def ping_after_idle(engine: Engine, idle_seconds: float = DEFAULT_IDLE_SECONDS):
    """Ping ``engine``'s connections at checkout once idle for ``idle_seconds``."""

    @event.listens_for(engine, "connect")
    def opened(dbapi_connection, record) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record) -> None:
        if dbapi_connection is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection, record, proxy) -> None:
        idle = time.monotonic() - record.info.get(_RETURNED_AT, 0.0)
        if idle < idle_seconds:
            return

        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as failure:
            if not engine.dialect.is_disconnect(failure, dbapi_connection, None):
                raise
            # The pool discards this connection and hands out a new one.
            logger.info("idle database connection was closed; reconnecting")
            raise DisconnectionError() from failure
