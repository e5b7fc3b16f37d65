"""Terpadu's Flask application: the HTTP API, its CLI commands and the console.

``create_app`` is the one factory; ``wsgi.py`` and the workers build the app
through it. Views are thin: they validate input with marshmallow schemas and
call the same services the workers use (``engine``, ``processes``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

from .config import Settings
from .extensions import db, migrate

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(Settings.from_environment().flask_config(app.instance_path))
    app.config.update(overrides or {})

    _import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _import_models() -> None:
    import engine.calendar  # noqa: F401
    import engine.models  # noqa: F401
    import processes.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from .health import blueprint as health

    app.register_blueprint(health)


def _register_cli(app: Flask) -> None:
    from processes.cli import catalogue_cli

    from .cli import bootstrap

    app.cli.add_command(bootstrap)
    app.cli.add_command(catalogue_cli)
