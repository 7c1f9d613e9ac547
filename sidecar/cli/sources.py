"""``quorum source ...`` and ``quorum sync``: connect a Nextcloud and mirror it."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import select

from integrations.urls import plain_http_warning
from sidecar.cli.base import Ctx, pass_ctx, progress_bar, run_summary
from sidecar.cli.words import _, ngettext, schedule_words
from sidecar.context import Services, resolve_association
from sidecar.error_texts import TEXTS
from sidecar.errors import QuorumError
from sidecar.services import jobs as jobs_service
from sidecar.services import sources as sources_service
from sidecar.services.setup_apply import unassigned_calendars
from sidecar.storage.models import Source
from sidecar.sync.connection import connect
from sidecar.sync.runner import RunOptions


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
    "--every",
    default=jobs_service.DEFAULT_EVERY,
    show_default=True,
    help="Sync job created with the source (e.g. 15m, 1h).",
)
@click.option("--no-job", is_flag=True, help="Create no sync job (sync by hand only).")
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
    every: str,
    no_job: bool,
    appapi_user: str | None,
) -> None:
    """Add a source; the app password is read from stdin and stored encrypted.

    The source gets a sync job (every 15 minutes unless --every or --no-job), which the
    scheduler of `quorum serve` runs.

    In app mode, ``--appapi-user NCUSER`` instead: no address, login nor password.
    """
    if appapi_user is not None:
        from sidecar.cli.appapi import add_appapi_source

        if url or login or password_stdin or no_discover:
            raise QuorumError(
                "--appapi-user takes no --url, --login, --password-stdin.",
                code="source.appapi_options",
            )
        add_appapi_source(ctx.services, ctx.association, name, appapi_user)
        return
    if not url or not login:
        raise QuorumError(
            "Give the source's --url and --login (or --appapi-user in app mode).",
            code="source.url_login",
        )
    if not password_stdin:
        raise QuorumError(
            "Give the app password on standard input with --password-stdin.",
            code="source.password_stdin",
        )
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise QuorumError(
            "The app password read from standard input is empty.", code="source.password_empty"
        )
    services = ctx.services
    warning = plain_http_warning(url)
    if warning:
        click.echo(_("Warning: %(warning)s", warning=warning), err=True)
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
        job = None
        if not no_job:
            job = jobs_service.create_default_job(session, association, new, every=every)
    click.echo(_("Source '%(name)s' added.", name=name))
    if job is not None:
        click.echo(
            _(
                "Sync job '%(name)s': %(schedule)s (quorum serve runs it; quorum job list).",
                name=job.name,
                schedule=schedule_words(f"every {every}"),
            )
        )
    click.echo(
        _(
            "Next: quorum setup %(name)s proposes a role for each calendar and folder (add "
            "--accept to take the proposals), then quorum sync.",
            name=name,
        )
    )


@source.command("update")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new app password from stdin.")
@click.option("--url", help="A new base address.")
@click.option("--login", help="A new login.")
@click.option("--no-test", is_flag=True, help="Do not connect to check the new settings.")
@pass_ctx
def source_update(
    ctx: Ctx,
    name: str,
    password_stdin: bool,
    url: str | None,
    login: str | None,
    no_test: bool,
) -> None:
    """Change a source's app password (read from stdin), address or login, and test it."""
    if not (password_stdin or url or login):
        raise QuorumError(
            "Nothing to change: give --password-stdin, --url or --login.",
            code="source.nothing_to_change",
        )
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    services = ctx.services
    with services.db.session() as session:
        src = sources_service.find_source(
            session, resolve_association(session, ctx.association), name
        )
        sources_service.update_source(
            session,
            services.vault,
            src,
            password=password,
            url=url,
            login=login,
            allow_private=services.settings.allow_private_addresses,
        )
        if not no_test:
            _discover(services, src)  # a refusal raises: nothing is changed
    if no_test:
        click.echo(_("Source '%(name)s' updated.", name=name))
    else:
        click.echo(_("Source '%(name)s' updated and connected.", name=name))


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
    version = f"Nextcloud {found.nextcloud_version}" if found.nextcloud_version else _("DAV server")
    click.echo(
        _(
            "OK: %(version)s, user %(user)s, %(calendars)s, %(folders)s.",
            version=version,
            user=found.user_id,
            calendars=ngettext("%(num)d calendar", "%(num)d calendars", len(found.calendars)),
            folders=ngettext("%(num)d top folder", "%(num)d top folders", len(found.folders)),
        )
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
        click.echo(_("Calendars:"))
        for cal in found.calendars:
            coll = roles.get(("calendar", cal.href))
            role = (coll.role or "-") if coll else "-"
            state = _("synced") if coll and coll.enabled else _("not synced")
            click.echo(f"  {cal.display_name or cal.name}\t{cal.href}\trole={role}\t{state}")
        click.echo(_("Top folders:"))
        for folder in found.folders:
            click.echo(f"  {folder.path}")
        if unassigned_calendars(src):
            click.echo(
                _("quorum setup %(name)s proposes a role for each calendar and folder.", name=name)
            )


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
        raise QuorumError(
            f"No source named {source_name!r}. `quorum source list` shows them.",
            code="source.unknown",
            name=source_name,
        )
    if not ids:
        raise QuorumError(TEXTS["source.none"], code="source.none")
    show_bar = sys.stderr.isatty() and not as_json
    reports = [
        jobs_service.sync_source(
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
        _warn_unassigned(services, ids)
    if any(r.outcome == "failed" for r in reports):
        sys.exit(1)
    if any(r.outcome == "partial" for r in reports):
        sys.exit(PARTIAL_EXIT)  # a script or cron must see that something was not synced


def _warn_unassigned(services: Services, source_ids: list[int]) -> None:
    """Nothing stays silently unsynced: name the calendars no one gave a role yet."""
    with services.db.session() as session:
        for source_id in source_ids:
            src = session.get(Source, source_id)
            if src is None:
                continue
            waiting = [c.display_name or c.remote_path for c in unassigned_calendars(src)]
            if waiting:
                click.echo(
                    ngettext(
                        "%(source)s: %(num)d calendar has no role and is not synced "
                        "(%(names)s): quorum setup %(source)s proposes one.",
                        "%(source)s: %(num)d calendars have no role and are not synced "
                        "(%(names)s): quorum setup %(source)s proposes one for each.",
                        len(waiting),
                        source=src.name,
                        names=", ".join(waiting),
                    ),
                    err=True,
                )
