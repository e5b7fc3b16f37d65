"""What a resident may see of an application's progress.

The tracking page and ``/track`` show each step's name, agency, state and
times, and nothing more: who claimed or completed a task, its deadline and
the process data stay with staff (``api.inbox.application_view``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Task
from processes.applications import Application

# Only these columns are read, so a staff-only one cannot slip into the answer.
PUBLIC_COLUMNS = (
    Task.name,
    Task.agency,
    Task.state,
    Task.created_at,
    Task.completed_at,
)


def public_timeline(session: Session, application: Application) -> list[dict[str, Any]]:
    """Return the application's steps, oldest first, as a resident may see them."""
    rows = session.execute(
        select(*PUBLIC_COLUMNS)
        .where(Task.instance_id == application.instance_id)
        .order_by(Task.created_at, Task.id)
    )
    return [
        {
            "task": name,
            "agency": agency,
            "state": state,
            "started": started,
            "finished": finished,
        }
        for name, agency, state, started, finished in rows
    ]
