"""open queue indexes

An agency's open queue (ready and claimed) by deadline and by arrival, so
each inbox page is read in index order whatever the queue's length.

Revision ID: c7e1f0a9d352
Revises: 4e7a9d2b5c81
Create Date: 2026-12-04 19:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c7e1f0a9d352"
down_revision = "4e7a9d2b5c81"
branch_labels = None
depends_on = None

OPEN_TASKS = sa.text("state IN ('ready', 'claimed')")


def upgrade():
    for name, order in (
        ("ix_tasks_open_queue_deadline", "deadline"),
        ("ix_tasks_open_queue_created", "created_at"),
    ):
        op.create_index(
            name,
            "tasks",
            ["agency", order, "id"],
            unique=False,
            postgresql_where=OPEN_TASKS,
            sqlite_where=OPEN_TASKS,
        )


def downgrade():
    op.drop_index("ix_tasks_open_queue_created", table_name="tasks")
    op.drop_index("ix_tasks_open_queue_deadline", table_name="tasks")
