"""sealed agency secrets

Agency endpoints keep their signing secret sealed (see workers.sealing): the
column is renamed and widened for the Fernet token, and secrets already stored
are sealed with the app's keys, so no copy of the database holds one in clear.

Revision ID: e3b8d5f1a274
Revises: c7e1f0a9d352
Create Date: 2026-12-04 22:10:00.000000

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from workers import sealing

# revision identifiers, used by Alembic.
revision = "e3b8d5f1a274"
down_revision = "c7e1f0a9d352"
branch_labels = None
depends_on = None

ENDPOINTS = sa.table(
    "agency_endpoints",
    sa.column("agency_code", sa.String),
    sa.column("secret", sa.String),
    sa.column("sealed_secret", sa.String),
)


def upgrade():
    _rename("secret", 200, "sealed_secret", 500)
    _rewrite("sealed_secret", lambda box: box.seal)


def downgrade():
    _rewrite("sealed_secret", lambda box: box.open)
    _rename("sealed_secret", 500, "secret", 200)


def _rename(column: str, length: int, new_name: str, new_length: int) -> None:
    with op.batch_alter_table("agency_endpoints") as endpoints:
        endpoints.alter_column(
            column,
            new_column_name=new_name,
            type_=sa.String(length=new_length),
            existing_type=sa.String(length=length),
            existing_nullable=False,
        )


def _rewrite(column: str, change_with) -> None:
    """Rewrite each stored secret with ``change_with(the app's box)``.

    With no endpoint stored, no key is needed, and none is made.
    """
    connection = op.get_bind()
    stored = connection.execute(
        sa.select(ENDPOINTS.c.agency_code, ENDPOINTS.c[column])
    ).all()
    if not stored:
        return

    change = change_with(sealing.box(current_app))
    for agency_code, value in stored:
        connection.execute(
            ENDPOINTS.update()
            .where(ENDPOINTS.c.agency_code == agency_code)
            .values({column: change(value)})
        )
