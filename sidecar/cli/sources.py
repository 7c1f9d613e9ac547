"""``quorum source ...`` and ``quorum sync``: connect a Nextcloud and mirror it."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import select

from integrations.urls import plain_http_warning
from sidecar.cli.base import Ctx, pass_ctx, progress_bar, run_summary
from sidecar.context import Services, resolve_association
from sidecar.errors import QuorumError
from sidecar.services import sources as sources_service
from sidecar.storage.models import Source
from sidecar.sync.connection import connect
from sidecar.sync.runner import RunOptions, run_source


@click.group()
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
        from sidecar.cli.appapi import add_appapi_source

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
    warning = plain_http_warning(url)
    if warning:
        click.echo(f"Warning: {warning}", err=True)
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

    conn = connect(src, services.vault)
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
        conn = connect(src, services.vault)
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


PARTIAL_EXIT = 3  # 1 is a failure, 2 a usage error (click)


@click.command()
@click.option("--source", "source_name", help="Only this source.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--allow-mass-delete", is_flag=True, help="Apply even a mass disappearance.")
@pass_ctx
def sync(ctx: Ctx, source_name: str | None, as_json: bool, allow_mass_delete: bool) -> None:
    """Sync once; exits 1 if a source failed, 3 if one was only partly synced."""
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
                progress=progress_bar if show_bar else None,
            ),
        )
        for source_id in ids
    ]
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            click.echo(run_summary(report))
    if any(r.outcome == "failed" for r in reports):
        sys.exit(1)
    if any(r.outcome == "partial" for r in reports):
        sys.exit(PARTIAL_EXIT)  # a script or cron must see that something was not synced
