"""``quorum backup`` and ``quorum restore``."""

from __future__ import annotations

from pathlib import Path

import click

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _
from sidecar.services import backup as backups


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--portable", is_flag=True, help="Write the JSON dump (any database, no pg_dump needed)."
)
@pass_ctx
def backup_command(ctx: Ctx, file: Path, portable: bool) -> None:
    """Copy the whole database into FILE (consistent while Quorum runs)."""
    kind = backups.backup(ctx.services.db, file, portable=portable)
    click.echo(
        _("Backup written to %(file)s (%(kind)s). Keep the key file with it.", file=file, kind=kind)
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def restore_command(ctx: Ctx, file: Path, yes: bool) -> None:
    """Replace the database's content with FILE (stop the web and the scheduler first)."""
    if not yes:
        click.confirm("This replaces everything in the database. Continue?", abort=True)
    kind = backups.restore(ctx.services.db, file)
    click.echo(
        _("Restored from %(file)s (%(kind)s); the schema is up to date.", file=file, kind=kind)
    )
