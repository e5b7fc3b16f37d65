"""applications by clerk

Revision ID: 8f3b2c6d1a47
Revises: 7d2a1c9e4b60
Create Date: 2026-12-04 16:55:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "8f3b2c6d1a47"
down_revision = "7d2a1c9e4b60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applications_submitted_by",
            ["submitted_by", "submitted_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_submitted_by")
