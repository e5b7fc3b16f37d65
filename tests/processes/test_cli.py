"""``flask catalogue load`` through the app factory."""

from __future__ import annotations

import shutil

import pytest

from api import create_app
from api.extensions import db
from processes.catalogue_data import DATA_DIR
from processes.models import Service


@pytest.fixture
def app(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/cli.sqlite"})
    with app.app_context():
        db.create_all()
    return app


def test_load_commits_the_catalogue_and_reports_it(app):
    result = app.test_cli_runner().invoke(args=["catalogue", "load"])

    assert result.exit_code == 0, result.output
    assert "services: 200 new, 0 updated, 0 unchanged" in result.output
    assert "diagrams: 25 files, 25 new versions" in result.output
    with app.app_context():
        assert db.session.get(Service, "DPMPTSP-031").process_id == "complaint"


def test_load_lists_every_problem_and_loads_nothing(app, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    services = data / "services.csv"
    services.write_text(
        services.read_text().replace(",skpd,1,0,free,", ",skpd,x,0,free,")
    )

    result = app.test_cli_runner().invoke(
        args=["catalogue", "load", "--data-dir", str(data)]
    )

    assert result.exit_code == 1
    assert (
        "services.csv:2 [sla_working_days]: 'x' is not a whole number" in result.output
    )
    assert "nothing loaded" in result.output
    with app.app_context():
        assert db.session.get(Service, "DUKCAPIL-001") is None
