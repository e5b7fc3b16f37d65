"""Flask extensions, created unbound and attached in the app factory."""

from __future__ import annotations

from functools import cached_property

import click
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy

from engine.db import Base


class LazyMigrate:
    """Flask-Migrate, imported when a migration runs rather than at start-up.

    Flask-Migrate brings in alembic, mako and pygments, about 10 MiB in each
    API process, and serving never migrates. ``init_app`` registers what
    Flask-Migrate's own would, without importing it: the ``flask db`` command
    group and ``app.extensions["migrate"]``, which ``flask_migrate.upgrade``
    and ``migrations/env.py`` read.
    """

    def __init__(self, **options) -> None:
        self.options = {"compare_type": True, **options}

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str) -> None:
        app.extensions["migrate"] = _MigrateConfig(db, directory, self.options)
        app.cli.add_command(_DatabaseCommands("db"))


class _MigrateConfig:
    """What Flask-Migrate keeps in ``app.extensions["migrate"]``."""

    def __init__(self, db: SQLAlchemy, directory: str, options: dict) -> None:
        self.db = db
        self.directory = directory
        self.configure_args = options

    @cached_property
    def migrate(self):
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **self.configure_args)


class _DatabaseCommands(click.Group):
    """``flask db``: Flask-Migrate's command group, imported when invoked."""

    def __init__(self, name: str) -> None:
        super().__init__(name, short_help="Perform database migrations.")

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


db = SQLAlchemy(model_class=Base)
# Batch mode lets SQLite alter tables the way PostgreSQL does.
migrate = LazyMigrate(render_as_batch=True)

# Storage comes from RATELIMIT_STORAGE_URI, set in the app factory.
limiter = Limiter(key_func=get_remote_address)
