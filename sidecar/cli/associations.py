"""``quorum association create|list|show|disable|enable``: a federation's associations."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _, language
from sidecar.i18n import N_
from sidecar.services import federation


@click.group()
def association() -> None:
    """The associations this Quorum serves (a federation runs many)."""


@association.command("create")
@click.argument("slug")
@click.option("--name", default="", help="Display name (default: the slug).")
@click.option("--timezone", default=None, help="Time zone (default: QUORUM_TIMEZONE).")
@click.option("--language", type=click.Choice(["fr", "en"]), default=None, help="Language.")
@pass_ctx
def association_create(
    ctx: Ctx, slug: str, name: str, timezone: str | None, language: str | None
) -> None:
    """Add an association; then add its admin with `quorum -a SLUG user create-admin LOGIN`."""
    settings = ctx.services.settings
    with ctx.services.db.session() as session:
        federation.create_association(
            session,
            slug,
            name,
            timezone=timezone or settings.timezone,
            language=language or settings.language,
        )
    click.echo(
        _(
            "Association '%(slug)s' created. Next: quorum -a %(slug)s user create-admin LOGIN "
            "--password-stdin, then quorum -a %(slug)s source add ...",
            slug=slug,
        )
    )


@association.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def association_list(ctx: Ctx, as_json: bool) -> None:
    """Every association with its last sync, lag and errors, worst first."""
    with ctx.services.db.session() as session:
        rows = federation.health(session, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    french = language() != "en"  # English keeps the words and columns scripts read
    width = 12 if french else 9
    heads = (_("slug"), _("state"), _("jobs"), _("last sync UTC"), _("lag s"), _("late s"))
    click.echo(
        f"{heads[0]:24} {heads[1]:{width}} {heads[2]:>4} {heads[3]:20} {heads[4]:>7} {heads[5]:>7}"
    )
    for r in rows:
        last = f"{r.last_sync_at:%Y-%m-%d %H:%M:%S}" if r.last_sync_at else _("never")
        lag = "-" if r.lag_seconds is None else f"{r.lag_seconds:.1f}"
        state = _(STATES[r.state]) if french else r.state
        if french:
            lag = lag.replace(".", ",")
        click.echo(
            f"{r.slug:24} {state:{width}} {r.jobs:>4} {last:20} {lag:>7} {r.overdue_seconds:>7.0f}"
        )


STATES = {
    "disabled": N_("disabled association"),
    "failing": N_("failing association"),
    "late": N_("late association"),
    "ok": N_("association up to date"),
    "idle": N_("association without job"),
}


@association.command("show")
@click.argument("slug")
@pass_ctx
def association_show(ctx: Ctx, slug: str) -> None:
    """One association's health, as JSON."""
    with ctx.services.db.session() as session:
        found = federation.find(session, slug)
        [row] = federation.health(session, datetime.now(UTC), [found.id])
        details = {**row.as_dict(), "timezone": found.timezone, "language": found.language}
    click.echo(json.dumps(details, indent=2))


@association.command("disable")
@click.argument("slug")
@pass_ctx
def association_disable(ctx: Ctx, slug: str) -> None:
    """Stop its sync jobs and alerts (its data is kept); `enable` starts them again."""
    with ctx.services.db.session() as session:
        federation.set_disabled(federation.find(session, slug), True, datetime.now(UTC))
    click.echo(
        _(
            "Association '%(slug)s' disabled: no sync and no alerts until enabled again.",
            slug=slug,
        )
    )


@association.command("enable")
@click.argument("slug")
@pass_ctx
def association_enable(ctx: Ctx, slug: str) -> None:
    """Start its sync jobs and alerts again."""
    with ctx.services.db.session() as session:
        federation.set_disabled(federation.find(session, slug), False, datetime.now(UTC))
    click.echo(_("Association '%(slug)s' enabled.", slug=slug))
