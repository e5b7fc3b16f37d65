"""issue documents of completed applications

Documents used to be issued on first download; they are now issued as the
application completes. Applications completed before that change and never
downloaded get their document here, dated at their completion.

Revision ID: 5ba51fe354ee
Revises: 660d641948fe
Create Date: 2026-12-03 19:58:40.118342

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5ba51fe354ee"
down_revision = "660d641948fe"
branch_labels = None
depends_on = None

# As processes.documents made them when this was written: frozen here so a
# later change of format does not rewrite history.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _code() -> str:
    return "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3)
    )


def upgrade():
    connection = op.get_bind()
    undocumented = connection.execute(
        sa.text(
            "SELECT a.id, a.completed_at FROM applications a "
            "LEFT JOIN issued_documents d ON d.application_id = a.id "
            "WHERE a.status = 'completed' AND d.id IS NULL"
        )
    ).all()
    insert = sa.text(
        "INSERT INTO issued_documents (application_id, code, issued_at) "
        "VALUES (:application_id, :code, :issued_at)"
    )
    for application_id, completed_at in undocumented:
        connection.execute(
            insert,
            {
                "application_id": application_id,
                "code": _code(),
                "issued_at": completed_at,
            },
        )


def downgrade():
    # Issued documents stay: their codes are printed on paper already.
    pass
