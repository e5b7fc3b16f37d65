"""Operator commands: ``flask --app wsgi bootstrap`` and friends."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import Role, create_user


@click.command("bootstrap")
@with_appcontext
def bootstrap() -> None:
    """Create or migrate the database, then load the service catalogue.

    Safe to run again: migrations already applied and catalogue rows already
    loaded are left as they are.
    """
    from flask_migrate import upgrade  # not at import: servers never migrate

    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("database is at the latest migration")

    from processes.catalogue import load_catalogue_from_package

    report = load_catalogue_from_package(db.session, progress=True)
    db.session.commit()
    click.echo(f"catalogue loaded: {report}")


@click.group("user")
def user_cli() -> None:
    """Manage API users."""


@user_cli.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--agency", default=None, help="Agency code (officers, agency heads).")
@click.option("--village", default=None, help="Village code (village counters).")
@with_appcontext
def create_user_command(
    name: str, role: str, agency: str | None, village: str | None
) -> None:
    """Create a user and print its token on the last line; it is shown only once."""
    try:
        user, token = create_user(
            db.session, name, Role(role), agency_code=agency, village_code=village
        )
        db.session.commit()
    except (ValueError, IntegrityError) as refused:
        db.session.rollback()
        raise click.ClickException(f"user not created: {refused}") from None

    click.echo(f"created {user.role} {user.name} (id {user.id})")
    click.echo(token)
