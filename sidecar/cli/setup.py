"""``quorum db upgrade`` and ``quorum config export|import``."""

from __future__ import annotations

from pathlib import Path

import click

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _
from sidecar.context import resolve_association
from sidecar.services.settings_io import export_settings, import_settings


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Ctx) -> None:
    """Apply the database migrations."""
    ctx.services.db.upgrade()
    click.echo(_("Database is up to date."))


@click.group()
def config() -> None:
    """The association's settings (bodies, roster, collection roles) as TOML."""


@config.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def config_export(ctx: Ctx, file: Path | None) -> None:
    """Write the settings to FILE (or standard output)."""
    with ctx.services.db.session() as session:
        text = export_settings(session, resolve_association(session, ctx.association, create=True))
    if file is None:
        click.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(_("Settings written to %(file)s.", file=file))


@config.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def config_import(ctx: Ctx, file: Path) -> None:
    """Apply the settings of FILE (all or nothing)."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association, create=True)
        report = import_settings(session, association, file.read_text(encoding="utf-8"))
    members = len(report.members_added) + len(report.members_updated)
    bodies = len(report.bodies_added) + len(report.bodies_updated)
    click.echo(
        f"Imported {members} members, {bodies} bodies, {len(report.collections)} collection "
        f"roles from {file}:"
    )
    for line in report.lines():
        click.echo(f"  {line}")
