"""``quorum roster ...`` and ``quorum feed ...``."""

from __future__ import annotations

import click
from sqlalchemy import select

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _
from sidecar.context import resolve_association
from sidecar.errors import NotFound
from sidecar.services import feeds, roster
from sidecar.storage.models import Member


@click.group("roster")
def roster_group() -> None:
    """Members of the bodies (CA, Bureau, AG…)."""


@roster_group.command("import-group")
@click.argument("body")
@click.argument("group")
@pass_ctx
def roster_import_group(ctx: Ctx, body: str, group: str) -> None:
    """Seat the members of Nextcloud group GROUP on BODY (by its code, e.g. CA).

    Members are added or updated, never removed; roles already set are kept.
    """
    services = ctx.services
    with services.db.session() as session:
        association = resolve_association(session, ctx.association)
        done = roster.import_group(session, association, body, group, services.vault)
    click.echo(
        _(
            "%(body)s ← group %(group)s: %(added)s added, %(kept)s already there.",
            body=done.body,
            group=done.group,
            added=len(done.added),
            kept=len(done.updated),
        )
    )
    for uid in done.skipped:
        click.echo(
            "  "
            + _(
                "skipped %(uid)s: no e-mail address in Nextcloud (add it, or enter by hand)",
                uid=uid,
            )
        )
    for email in done.not_in_group:
        click.echo(
            "  "
            + _(
                "%(email)s sits on %(body)s but is not in the group (left as is)",
                email=email,
                body=done.body,
            )
        )


@roster_group.command("suggest")
@click.argument("body")
@click.option("--seat", is_flag=True, help="Seat them on BODY (added, never removed).")
@pass_ctx
def roster_suggest(ctx: Ctx, body: str, seat: bool) -> None:
    """The people invited to BODY's meetings, as a starting roster (no Nextcloud rights needed)."""
    from sidecar.services.roster_suggest import suggest

    services = ctx.services
    with services.db.session() as session:
        association = resolve_association(session, ctx.association)
        found_body = roster.find_body(session, association.id, body)
        people = suggest(session, association, found_body)
        if not people:
            click.echo(
                f"Nobody is invited to {found_body.code}'s meetings in the synced calendars."
            )
            return
        for person in people:
            click.echo(f"  {person.name} <{person.email}>\t{person.meetings} meetings")
        if seat:
            added = sum(
                roster.seat(session, found_body, name=p.name, email=p.email, keep_role=True)
                for p in people
            )
            click.echo(
                f"{added} seated on {found_body.code} ({len(people) - added} already there)."
            )
        else:
            click.echo(f"Seat them with `quorum roster suggest {found_body.code} --seat`.")


@click.group("feed")
def feed_group() -> None:
    """Personal ICS feeds (deadlines, obligations, meetings)."""


@feed_group.command("token")
@click.argument("email")
@click.option("--base-url", default="", help="Public address of Quorum, to print a full URL.")
@pass_ctx
def feed_token(ctx: Ctx, email: str, base_url: str) -> None:
    """Give the member with EMAIL a new feed token (the previous one stops working)."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        member = session.scalar(
            select(Member).where(
                Member.association_id == association.id, Member.email == email.strip().lower()
            )
        )
        if member is None:
            raise NotFound(
                f"No member with e-mail {email!r}: add them to a body first.",
                code="member.unknown",
                email=email,
            )
        token = feeds.issue_token(session, member.id)
    path = f"/feeds/{token}.ics"
    click.echo(f"{base_url.rstrip('/')}{path}" if base_url else path)
    click.echo(_("Keep it secret: anyone with this address can read the feed."), err=True)
