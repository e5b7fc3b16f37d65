"""How views use the database session around reads and engine calls.

Views that only read run without a transaction on PostgreSQL; views that
change something answer from what they wrote rather than reading it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from sqlalchemy.orm import Session

from .extensions import db


def outside_transaction(view: Callable) -> Callable:
    """Run ``view``'s queries each on its own, with no BEGIN and no ROLLBACK.

    Under PostgreSQL's READ COMMITTED every statement takes its own snapshot
    anyway, so for a view that only reads, a transaction adds two round trips
    and nothing else: on the busiest reads, the agency inboxes, about a
    quarter of their time. Put it outermost, so the token lookup runs
    without one as well. Other databases keep their transaction.
    """

    @wraps(view)
    def reading(*args, **kwargs):
        if db.engine.dialect.name == "postgresql":
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)

    return reading


@contextmanager
def kept_after_commit() -> Iterator[Session]:
    """Keep what the request's session holds as it is when the block commits.

    A call that commits wrote the rows as they stand in memory, so a view can
    answer from them; expiring them at the commit would only read the same
    values back. A call that rolls back still expires everything, and the
    answer then reads afresh.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        yield session
    finally:
        session.expire_on_commit = True
