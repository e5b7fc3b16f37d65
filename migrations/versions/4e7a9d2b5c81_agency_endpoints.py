"""agency endpoints

Revision ID: 4e7a9d2b5c81
Revises: 8f3b2c6d1a47
Create Date: 2026-12-04 17:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

import engine.db

# revision identifiers, used by Alembic.
revision = "4e7a9d2b5c81"
down_revision = "8f3b2c6d1a47"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agency_endpoints",
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("updated_at", engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agencies.code"],
            name=op.f("fk_agency_endpoints_agency_code_agencies"),
        ),
        sa.PrimaryKeyConstraint("agency_code", name=op.f("pk_agency_endpoints")),
    )


def downgrade():
    op.drop_table("agency_endpoints")
