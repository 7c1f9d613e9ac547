"""``quorum setup``: the guided setup on the command line.

It reads the source, proposes a role for every calendar and top folder with the evidence, and
the bodies its meetings show; ``--accept`` applies the proposals as they are, ``--calendar``
and ``--folder`` change one, and without either a terminal asks about each in turn.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _, ngettext
from sidecar.context import resolve_association
from sidecar.errors import ConfigError, QuorumError
from sidecar.services import sources as sources_service
from sidecar.services.setup import Proposal, SetupProposal
from sidecar.services.setup_apply import apply_setup, discover_and_propose
from sidecar.storage.models import Association, Source


def _only_source(session: Session, association: Association, name: str | None) -> Source:
    """The source named, or the only one; with several, the admin must name it."""
    if name:
        return sources_service.find_source(session, association, name)
    rows = list(session.scalars(select(Source).where(Source.association_id == association.id)))
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise QuorumError(
            "No source yet: add one with `quorum source add NAME --url URL --login LOGIN "
            "--password-stdin`, then run `quorum setup`.",
            code="setup.no_source",
        )
    names = ", ".join(r.name for r in rows)
    raise QuorumError(
        f"Several sources ({names}): name the one to set up, `quorum setup NAME`.",
        code="setup.several_sources",
        names=names,
    )


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    found = {}
    for value in values:
        key, sep, role = value.rpartition("=")
        if not sep or not key:
            raise QuorumError(
                f"{option} takes NAME=ROLE, not {value!r}.",
                code="setup.name_role",
                option=option,
                value=value,
            )
        found[key.strip()] = role.strip()
    return found


def _by_label(
    proposals: tuple[Proposal, ...], wanted: dict[str, str], option: str
) -> dict[str, str]:
    """Map names given on the command line (label, href or path) to proposal keys; a role
    that is not one of the item's is refused naming the item as it was typed."""
    keys: dict[str, str] = {}
    for name, role in wanted.items():
        match = [p for p in proposals if name in (p.label, p.key, p.key.strip("/"))]
        if not match:
            known = ", ".join(p.label for p in proposals)
            raise QuorumError(
                f"{option}: no {name!r} here; the names are: {known}.",
                code="setup.unknown_name",
                option=option,
                name=name,
                known=known,
            )
        if role not in match[0].choices:
            allowed = ", ".join(match[0].choices)
            raise ConfigError(
                f"Unknown role {role!r} for {name!r}: choose one of {allowed}.",
                code="setup.role",
                role=role,
                allowed=allowed,
            )
        keys[match[0].key] = role
    return keys


def _show(proposal: SetupProposal) -> None:
    click.echo(_("Calendars:"))
    for item in proposal.calendars:
        _line(item)
    click.echo(_("Top folders:"))
    for item in proposal.folders:
        _line(item)
    if proposal.meeting_folder:
        click.echo(_("Meeting folders are named %(pattern)s", pattern=proposal.meeting_folder))
    if proposal.bodies:
        click.echo(_("Bodies seen in the meetings:"))
    for body in proposal.bodies:
        folder = body.folder or "-"
        click.echo(
            "  "
            + _(
                "%(code)s %(name)s (%(kind)s), folder %(folder)s, %(members)s",
                code=body.code,
                name=body.name,
                kind=body.kind,
                folder=folder,
                members=ngettext("%(num)d member", "%(num)d members", len(body.members)),
            )
        )


def _line(item: Proposal) -> None:
    why = "; ".join(e.text() for e in item.evidence) or _("no evidence")
    click.echo(f"  {item.label}\t→ {item.role}\t({why})")


def _ask(items: tuple[Proposal, ...]) -> dict[str, str]:
    chosen = {}
    for item in items:
        chosen[item.key] = click.prompt(
            f"{item.label}", default=item.role, type=click.Choice(item.choices)
        )
    return chosen


@click.command("setup")
@click.argument("source_name", required=False)
@click.option("--accept", is_flag=True, help="Apply every proposal as proposed.")
@click.option(
    "--calendar",
    "calendars",
    multiple=True,
    metavar="NAME=ROLE",
    help="Give calendar NAME this role (meetings, deadlines, activities, ignore).",
)
@click.option(
    "--folder",
    "folders",
    multiple=True,
    metavar="PATH=ROLE",
    help="Give top folder PATH this role "
    "(governance, grants, sensitive, communication, documents).",
)
@click.option("--no-bodies", is_flag=True, help="Do not create the bodies the meetings show.")
@pass_ctx
def setup(
    ctx: Ctx,
    source_name: str | None,
    accept: bool,
    calendars: tuple[str, ...],
    folders: tuple[str, ...],
    no_bodies: bool,
) -> None:
    """Propose what each calendar and top folder is for, and apply it once confirmed."""
    services = ctx.services
    with services.db.session() as session:
        association = resolve_association(session, ctx.association)
        source = _only_source(session, association, source_name)
        proposal = discover_and_propose(
            session, source, services.vault, deadline=services.settings.http_timeout
        )
        _show(proposal)
        cal_roles = _by_label(proposal.calendars, _pairs(calendars, "--calendar"), "--calendar")
        dir_roles = _by_label(proposal.folders, _pairs(folders, "--folder"), "--folder")
        if not accept and not cal_roles and not dir_roles:
            if not sys.stdin.isatty():
                raise QuorumError(
                    "Nothing applied: run `quorum setup --accept` to apply these proposals as "
                    "they are, or change one with --calendar 'NAME=ROLE' / --folder 'PATH=ROLE'.",
                    code="setup.nothing_applied",
                )
            cal_roles = _ask(proposal.calendars)
            dir_roles = _ask(proposal.folders)
        done = apply_setup(
            session,
            association,
            source,
            proposal,
            calendar_roles=cal_roles,
            folder_roles=dir_roles,
            create_bodies=not no_bodies,
        )
    synced = sum(1 for role in done.calendars.values() if role != "ignore")
    click.echo(
        _(
            "Applied: %(synced)s, %(ignored)s ignored, %(roles)s, bodies created: %(bodies)s "
            "(%(seats)s). Run quorum sync now.",
            synced=ngettext("%(num)d calendar synced", "%(num)d calendars synced", synced),
            ignored=len(done.calendars) - synced,
            roles=ngettext("%(num)d folder role", "%(num)d folder roles", len(done.folders)),
            bodies=", ".join(done.bodies_created) or _("none"),
            seats=ngettext("%(num)d seat", "%(num)d seats", done.members_seated),
        )
    )
