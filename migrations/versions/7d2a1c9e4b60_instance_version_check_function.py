"""instance version check function

The write path checks instance versions inside its one statement, so that the
COMMIT can travel with it; the check is this PostgreSQL function.

Revision ID: 7d2a1c9e4b60
Revises: 5ba51fe354ee
Create Date: 2026-12-03 22:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7d2a1c9e4b60"
down_revision = "5ba51fe354ee"
branch_labels = None
depends_on = None

# Frozen as engine.models defined it when this was written.
FUNCTION = """
CREATE OR REPLACE FUNCTION terpadu_require_versions(versions_found bigint, versions_expected integer)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    IF versions_found <> versions_expected THEN
        RAISE EXCEPTION 'an instance was changed by another transaction'
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN versions_expected;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS terpadu_require_versions(bigint, integer)")
