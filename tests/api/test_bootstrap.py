"""``flask --app wsgi bootstrap``: migrations and catalogue, idempotent.

On SQLite and on PostgreSQL.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from api import create_app
from api.extensions import db
from engine.db import Base
from engine.models import ProcessVersion
from processes.models import Service


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Service)),
            db.session.scalar(select(func.count()).select_from(ProcessVersion)),
        )


def test_bootstrap_twice_changes_nothing_and_matches_the_models(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    runner = app.test_cli_runner()

    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0, first.output
    after_first = _counts(app)
    second = runner.invoke(args=["bootstrap"])
    assert second.exit_code == 0, second.output

    assert after_first == _counts(app)
    assert after_first[0] >= 199
    assert "new_versions=[]" in second.output
    with app.app_context():
        with db.engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection), Base.metadata
            )
        db.engine.dispose()
    assert differences == [], "models changed without a migration: flask db migrate"
