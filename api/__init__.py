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
from .extensions import db, limiter, migrate

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(Settings.from_environment().flask_config(app.instance_path))
    app.config.update(overrides or {})

    _import_models()
    _init_database(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    _init_limiter(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _import_models() -> None:
    import engine.calendar
    import engine.models  # noqa: F401
    import processes.applications
    import processes.documents
    import processes.models
    import processes.queue_tickets
    import processes.satisfaction  # noqa: F401
    import workers.models  # noqa: F401  (with engine.sla's tables)

    from . import models  # noqa: F401


def _init_database(app: Flask) -> None:
    from .connections import ping_after_idle

    db.init_app(app)
    with app.app_context():
        ping_after_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])


def _init_limiter(app: Flask) -> None:
    # In-memory counters are per process; set REDIS_URL to share them.
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    app.config.setdefault("TRACK_RATE_LIMIT", "30 per minute")
    limiter.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from .errors import register_error_handler
    from .health import blueprint as health
    from .views import (
        API_PREFIX,
        applications,
        catalogue,
        docs,
        integration,
        residents,
        satisfaction,
        staff,
        supervision,
        task_forms,
        tasks,
        users,
    )

    app.register_blueprint(health)
    modules = (
        catalogue,
        applications,
        tasks,
        task_forms,
        residents,
        supervision,
        satisfaction,
        staff,
        users,
        integration,
        docs,
    )
    for module in modules:
        app.register_blueprint(module.blueprint, url_prefix=API_PREFIX)
    register_error_handler(app)

    from console import blueprint as console

    app.register_blueprint(console)


def _register_cli(app: Flask) -> None:
    from processes.cli import catalogue_cli

    from .cli import bootstrap, user_cli

    app.cli.add_command(bootstrap)
    app.cli.add_command(user_cli)
    app.cli.add_command(catalogue_cli)
    _init_workers(app)


def _init_workers(app: Flask) -> None:
    from workers.wiring import WorkerSettings, init_app

    # No application_days: an application's clock cannot start with its
    # instance, whose application row is written after the start; submission
    # starts it (processes.applications.submit_application).
    init_app(app, WorkerSettings())
