"""Operator commands: ``flask --app wsgi bootstrap`` and friends."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .extensions import db


@click.command("bootstrap")
@with_appcontext
def bootstrap() -> None:
    """Create or migrate the database, then load the service catalogue.

    Safe to run again: migrations already applied and catalogue rows already
    loaded are left as they are.
    """
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("database is at the latest migration")

    from processes.catalogue import load_catalogue_from_package

    report = load_catalogue_from_package(db.session, progress=True)
    db.session.commit()
    click.echo(f"catalogue loaded: {report}")
