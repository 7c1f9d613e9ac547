"""The ``quorum`` command line: thin commands over the services."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from integrations.errors import IntegrationError
from sidecar import sources as sources_service
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.errors import QuorumError
from sidecar.scheduler import Scheduler
from sidecar.settings_io import export_settings, import_settings
from sidecar.storage.models import Source
from sidecar.sync.runner import RunOptions, RunReport, run_source


class Ctx:
    """Lazily built services, so `quorum --help` needs no database."""

    def __init__(self, association: str | None) -> None:
        self.association = association
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = Services.from_settings(load_settings())
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.db.dispose()


pass_ctx = click.make_pass_decorator(Ctx)


class QuorumGroup(click.Group):
    """Turns Quorum's errors into one line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (QuorumError, IntegrationError) as err:
            raise click.ClickException(err.message) from err


@click.group(cls=QuorumGroup)
@click.option("--association", "-a", help="Slug of the association (when there are several).")
@click.pass_context
def cli(ctx: click.Context, association: str | None) -> None:
    """Quorum: board meetings, grant dossiers and alerts from your Nextcloud."""
    ctx.obj = Ctx(association)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    cli()


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Ctx) -> None:
    """Apply the database migrations."""
    ctx.services.db.upgrade()
    click.echo("Database is up to date.")


@cli.group()
def source() -> None:
    """Nextcloud (or CalDAV/WebDAV) accounts to read."""


@source.command("add")
@click.argument("name")
@click.option("--url", help="Base address of the Nextcloud, e.g. https://cloud.example.org")
@click.option("--login")
@click.option("--password-stdin", is_flag=True, help="Read the app password from standard input.")
@click.option("--no-discover", is_flag=True, help="Do not connect now.")
@click.option(
    "--appapi-user",
    metavar="NCUSER",
    help="App mode: read the registering Nextcloud through AppAPI as this account (no password).",
)
@pass_ctx
def source_add(
    ctx: Ctx,
    name: str,
    url: str | None,
    login: str | None,
    password_stdin: bool,
    no_discover: bool,
    appapi_user: str | None,
) -> None:
    """Add a source; the app password is read from stdin and stored encrypted.

    In app mode, ``--appapi-user NCUSER`` instead: no address, login nor password.
    """
    if appapi_user is not None:
        from sidecar.cli_appapi import add_appapi_source

        if url or login or password_stdin or no_discover:
            raise QuorumError("--appapi-user takes no --url, --login, --password-stdin.")
        add_appapi_source(ctx.services, ctx.association, name, appapi_user)
        return
    if not url or not login:
        raise QuorumError("Give the source's --url and --login (or --appapi-user in app mode).")
    if not password_stdin:
        raise QuorumError("Give the app password on standard input with --password-stdin.")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise QuorumError("The app password read from standard input is empty.")
    services = ctx.services
    with services.db.session() as session:
        association = resolve_association(session, ctx.association, create=True)
        new = sources_service.add_source(
            session,
            services.vault,
            association,
            name,
            url,
            login,
            password,
            allow_private=services.settings.allow_private_addresses,
        )
        if not no_discover:
            _discover(services, new)
    click.echo(f"Source {name!r} added.")


def _discover(services: Services, src: Source) -> sources_service.Discovery:
    from sqlalchemy.orm import object_session

    conn = sources_service.connect(src, services.vault)
    try:
        found = sources_service.probe(conn)
    finally:
        conn.close()
    session = object_session(src)
    assert session is not None
    sources_service.record_discovery(session, src, found)
    return found


@source.command("list")
@pass_ctx
def source_list(ctx: Ctx) -> None:
    """List the sources and their state."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association, create=True)
        rows = session.scalars(select(Source).where(Source.association_id == association.id))
        for row in rows:
            note = f" — {row.status_message}" if row.status_message else ""
            click.echo(f"{row.name}\t{row.base_url}\t{row.login}\t{row.status}{note}")


@source.command("test")
@click.argument("name")
@pass_ctx
def source_test(ctx: Ctx, name: str) -> None:
    """Connect and say precisely what is wrong, if anything."""
    services = ctx.services
    with services.db.session() as session:
        src = sources_service.find_source(
            session, resolve_association(session, ctx.association), name
        )
        conn = sources_service.connect(src, services.vault)
        try:
            found = sources_service.probe(conn)
        finally:
            conn.close()
    version = f"Nextcloud {found.nextcloud_version}" if found.nextcloud_version else "DAV server"
    click.echo(
        f"OK: {version}, user {found.user_id}, {len(found.calendars)} calendars, "
        f"{len(found.folders)} top folders."
    )


@source.command("discover")
@click.argument("name")
@pass_ctx
def source_discover(ctx: Ctx, name: str) -> None:
    """List the calendars and top folders of a source, and register new ones."""
    services = ctx.services
    with services.db.session() as session:
        src = sources_service.find_source(
            session, resolve_association(session, ctx.association), name
        )
        found = _discover(services, src)
        roles = {(c.kind, c.remote_path): c for c in src.collections}
        click.echo("Calendars:")
        for cal in found.calendars:
            coll = roles.get(("calendar", cal.href))
            role = (coll.role or "-") if coll else "-"
            state = "synced" if coll and coll.enabled else "not synced"
            click.echo(f"  {cal.display_name or cal.name}\t{cal.href}\trole={role}\t{state}")
        click.echo("Top folders:")
        for folder in found.folders:
            click.echo(f"  {folder.path}")


@cli.command()
@click.option("--source", "source_name", help="Only this source.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--allow-mass-delete", is_flag=True, help="Apply even a mass disappearance.")
@pass_ctx
def sync(ctx: Ctx, source_name: str | None, as_json: bool, allow_mass_delete: bool) -> None:
    """Sync once; exits non-zero if a source failed."""
    services = ctx.services
    with services.db.session() as session:
        association = resolve_association(session, ctx.association)
        query = select(Source.id).where(Source.association_id == association.id)
        if source_name:
            query = query.where(Source.name == source_name)
        ids = list(session.scalars(query.order_by(Source.id)))
    if source_name and not ids:
        raise QuorumError(f"No source named {source_name!r}.")
    show_bar = sys.stderr.isatty() and not as_json
    reports = [
        run_source(
            services.db,
            services.vault,
            source_id,
            options=RunOptions(
                allow_mass_delete=allow_mass_delete,
                deadline=services.settings.http_timeout,
                run_deadline=services.settings.job_timeout,
                progress=_progress_bar if show_bar else None,
            ),
        )
        for source_id in ids
    ]
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            click.echo(_summary(report))
    if any(r.outcome == "failed" for r in reports):
        sys.exit(1)


def _progress_bar(done: int, total: int, what: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    click.echo(f"\r[{bar}] {done}/{total} {what[:40]:<40}", nl=done >= total, err=True)


def _summary(report: RunReport) -> str:
    line = (
        f"{report.source}: {report.outcome} — +{report.counts.added} ~{report.counts.changed} "
        f"-{report.counts.removed}, {report.requests} requests, {report.seconds:.1f} s"
    )
    if report.error:
        line += f"\n  {report.error}"
    for name, error in report.collection_errors.items():
        line += f"\n  {name}: {error}"
    return line


@cli.group()
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
        click.echo(f"Settings written to {file}.")


@config.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def config_import(ctx: Ctx, file: Path) -> None:
    """Apply the settings of FILE (all or nothing)."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association, create=True)
        counts = import_settings(session, association, file.read_text(encoding="utf-8"))
    click.echo(
        f"Imported {counts['members']} members, {counts['bodies']} bodies, "
        f"{counts['collections']} collection roles."
    )


@cli.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@pass_ctx
def serve(ctx: Ctx, host: str | None, port: int | None) -> None:
    """Serve the web UI."""
    from sidecar.web import create_app
    from sidecar.web.serving import serve_app

    services = ctx.services
    app = create_app(services=services)
    scheduler = _start_scheduler(services)
    try:
        serve_app(app, host or services.settings.host, port or services.settings.port)
    finally:
        if scheduler is not None:
            scheduler.stop()


def _start_scheduler(services: Services) -> Scheduler | None:
    """The scheduler runs here too, behind the database lease: however many `quorum serve`
    processes run (and a `quorum scheduler`), exactly one of them runs the jobs."""
    if not services.settings.scheduler:
        return None
    scheduler = Scheduler(services, tick_seconds=services.settings.scheduler_tick)
    scheduler.start(blocking=False)
    return scheduler


@cli.command()
@click.option("--port", default=5000, type=int, help="Port of the web UI.")
@click.option(
    "--data-dir", default=".quorum-demo", type=click.Path(file_okay=False, path_type=Path)
)
def demo(port: int, data_dir: Path) -> None:
    """Start the demo Nextcloud-like server, connect it, sync, and serve the UI."""
    from sidecar.demo_run import run_demo

    run_demo(data_dir, port)


import sidecar.cli_access  # noqa: E402  (adds `quorum user`, `quorum token`, `quorum secrets`)
import sidecar.cli_alerts  # noqa: E402  (adds `quorum alerts`)
import sidecar.cli_deploy  # noqa: E402  (adds `quorum backup` and `quorum restore`)
import sidecar.cli_domain  # noqa: E402  (adds `quorum roster` and `quorum feed`)
import sidecar.cli_jobs  # noqa: E402, F401  (adds `quorum job` and `quorum scheduler`)
