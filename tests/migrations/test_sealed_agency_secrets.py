"""The migration that seals agency secrets already stored, and its way back."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from api import create_app
from api.extensions import db
from workers import sealing

BEFORE = "c7e1f0a9d352"
SEALING = "e3b8d5f1a274"
SECRET = "bpjs-kesehatan-shared-secret"


@pytest.fixture
def app(empty_database_url):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "AGENCY_SECRET_KEYS": (Fernet.generate_key().decode(),),
            "TESTING": True,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def _stored(app) -> dict:
    with app.app_context(), db.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM agency_endpoints")).mappings()
        return dict(row.one())


def test_secrets_stored_in_clear_are_sealed_and_can_be_opened_back(app):
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO agencies (code, name_id, name_en, kind, head_title,"
                    " notes) VALUES ('BPJSKES', 'BPJS Kesehatan', 'BPJS Health',"
                    " 'bumn', 'Kepala Cabang', '')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO agency_endpoints VALUES ('BPJSKES',"
                    " 'https://bpjs.example/terpadu', :secret, :now, 'admin')"
                ),
                {"secret": SECRET, "now": "2026-12-01 08:00:00+00:00"},
            )

        upgrade(directory=directory, revision=SEALING)
    sealed = _stored(app)

    assert "secret" not in sealed
    assert SECRET not in sealed["sealed_secret"]
    assert sealing.box(app).open(sealed["sealed_secret"]) == SECRET
    assert sealed["url"] == "https://bpjs.example/terpadu"

    with app.app_context():
        downgrade(directory=directory, revision=BEFORE)
    assert _stored(app)["secret"] == SECRET


def test_with_nothing_stored_no_key_is_needed(empty_database_url):
    # A key that is no key: building the box would fail, and must not happen.
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "AGENCY_SECRET_KEYS": ("not-a-key",),
            "TESTING": True,
        }
    )
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision=SEALING)
        downgrade(directory=directory, revision=BEFORE)
        db.engine.dispose()

    assert sealing.EXTENSION not in app.extensions
