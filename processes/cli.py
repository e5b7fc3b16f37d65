"""``flask catalogue load``: the catalogue's command, registered by the app factory."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from processes.catalogue import load_catalogue
from processes.catalogue_data import BPMN_DIR, DATA_DIR, CatalogueError

catalogue_cli = AppGroup("catalogue", help="Manage the service catalogue.")


@catalogue_cli.command("load")
@click.option(
    "--data-dir", type=click.Path(path_type=Path, file_okay=False), default=DATA_DIR
)
@click.option(
    "--bpmn-dir", type=click.Path(path_type=Path, file_okay=False), default=BPMN_DIR
)
def load_command(data_dir: Path, bpmn_dir: Path) -> None:
    """Load agencies, regions, services and diagrams in one transaction."""
    # Imported here: the API package imports this module to register it.
    from api.extensions import db

    started = time.perf_counter()
    try:
        report = load_catalogue(db.session, data_dir, bpmn_dir, progress=True)
    except CatalogueError as refused:
        db.session.rollback()
        for problem in refused.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(refused.problems)} problem(s); nothing loaded"
        )

    db.session.commit()
    elapsed = time.perf_counter() - started
    for table in ("agencies", "regions", "services"):
        counts = getattr(report, table)
        click.echo(
            f"{table}: {counts.created} new, {counts.updated} updated, "
            f"{counts.unchanged} unchanged"
        )
    click.echo(
        f"diagrams: {report.diagrams} files, {len(report.new_versions)} new versions"
    )
    if report.withdrawn:
        click.echo(f"withdrawn: {', '.join(report.withdrawn)}")
    click.echo(f"loaded in {elapsed:.1f} s")
