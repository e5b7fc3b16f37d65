"""Operator commands under ``flask --app wsgi workers``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from engine.db import utcnow
from engine.sla import sweep


@click.group("workers")
def workers_cli() -> None:
    """Background work: timers, SLA sweep, outbox relay."""


@workers_cli.command("tick")
@with_appcontext
def tick_command() -> None:
    """Run one round of periodic work now (timers, sweep, relay, notifications)."""
    from api.extensions import db

    from .periodic import run_tick
    from .wiring import dispatcher, notification_adapter

    click.echo(run_tick(db.session, dispatcher(), notification_adapter()))


@workers_cli.command("start")
@with_appcontext
def start_command() -> None:
    """Start the self-scheduling tick (needs ``rq worker --with-scheduler``)."""
    from .periodic import start_ticking
    from .queues import RedisDispatcher
    from .wiring import dispatcher

    chosen = dispatcher()
    if not isinstance(chosen, RedisDispatcher):
        raise click.ClickException("REDIS_URL is not set; run `workers tick` from cron")
    start_ticking(chosen)
    click.echo("tick scheduled")


@workers_cli.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Update SLA statuses and record escalations now."""
    from api.extensions import db

    report = sweep(db.session, utcnow())
    db.session.commit()
    click.echo(report)


@workers_cli.command("retry")
@click.argument("instance_id", type=int)
@click.option("--actor", default="operator", show_default=True)
@with_appcontext
def retry_command(instance_id: int, actor: str) -> None:
    """Clear an instance's incident and run its service tasks again."""
    from api.extensions import db

    from .outbox import retry_instance

    retry_instance(db.session, instance_id, actor)
    click.echo(f"instance {instance_id} retried")


@workers_cli.command("reseal-secrets")
@with_appcontext
def reseal_secrets_command() -> None:
    """Seal every agency's push secret under the first key of AGENCY_SECRET_KEYS.

    Run after putting a new key first; the old key can go once this is done.
    """
    from flask import current_app
    from sqlalchemy import select

    from api.extensions import db

    from . import sealing
    from .models import AgencyEndpoint

    box = sealing.box(current_app)
    endpoints = db.session.scalars(select(AgencyEndpoint)).all()
    try:
        for endpoint in endpoints:
            endpoint.sealed_secret = box.reseal(endpoint.sealed_secret)
    except sealing.SecretUnreadable as unreadable:
        db.session.rollback()
        raise click.ClickException(
            f"nothing resealed: agency {endpoint.agency_code}: {unreadable}"
        ) from None

    db.session.commit()
    click.echo(f"{len(endpoints)} agency secrets resealed under {box.source}")
