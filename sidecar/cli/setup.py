"""``quorum db upgrade`` and ``quorum config export|import``."""

from __future__ import annotations

from pathlib import Path

import click

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _, ngettext
from sidecar.context import resolve_association
from sidecar.services.settings_io import ImportReport, export_settings, import_settings


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
    for line in report_lines(report, file):
        click.echo(line)


def report_lines(report: ImportReport, file: Path) -> list[str]:
    """What an import changed, in the command line's language."""

    def join(items: list[str]) -> str:
        return ", ".join(items) if items else _("none")

    members = len(report.members_added) + len(report.members_updated)
    bodies = len(report.bodies_added) + len(report.bodies_updated)
    found = [
        _(
            "Imported %(members)s, %(bodies)s, %(roles)s from %(file)s:",
            members=ngettext("%(num)d member", "%(num)d members", members),
            bodies=ngettext("%(num)d body", "%(num)d bodies", bodies),
            roles=ngettext(
                "%(num)d collection role", "%(num)d collection roles", len(report.collections)
            ),
            file=file,
        ),
        _("Association: %(keys)s.", keys=join(report.association)),
        _(
            "Members: %(added)s (%(names)s), %(updated)s.",
            added=ngettext("%(num)d added", "%(num)d added", len(report.members_added)),
            names=join(report.members_added),
            updated=ngettext("%(num)d updated", "%(num)d updated", len(report.members_updated)),
        ),
        _(
            "Bodies: added %(added)s; updated %(updated)s.",
            added=join(report.bodies_added),
            updated=join(report.bodies_updated),
        ),
        _(
            "Collection roles: %(roles)s (%(names)s).",
            roles=ngettext("%(num)d set", "%(num)d set", len(report.collections)),
            names=join(report.collections),
        ),
    ]
    if report.collections_absent:
        found.append(
            _(
                "Not applied, no such collection here (add or discover the source first): "
                "%(names)s.",
                names=join(report.collections_absent),
            )
        )
    return [found[0], *(f"  {line}" for line in found[1:])]
