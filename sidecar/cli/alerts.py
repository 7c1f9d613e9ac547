"""``quorum alerts ...``: run the alerts, test a channel, configure channels, act on alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from sqlalchemy import select

from sidecar.alerts import service, share_audits
from sidecar.alerts.channels import KINDS, Recipient
from sidecar.alerts.lifecycle import STATES
from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _, ngettext
from sidecar.context import resolve_association
from sidecar.errors import QuorumError
from sidecar.storage.models import Alert, Channel


@click.group()
def alerts() -> None:
    """Alerts: evaluate the rules, send through the channels, acknowledge."""


@alerts.command("run")
@click.option("--no-send", is_flag=True, help="Reconcile and plan only; send nothing.")
@click.option(
    "--shares", is_flag=True, help="Audit the Nextcloud shares now (OCS requests) and cache them."
)
@pass_ctx
def alerts_run(ctx: Ctx, no_send: bool, shares: bool) -> None:
    """Evaluate the rules, reconcile the alerts, and deliver what is owed (each message once)."""
    now = datetime.now(UTC)
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        association_id = association.id
        if shares:
            # A failed audit keeps the last findings and raises "sharing audit failing".
            audit = share_audits.refresh(session, association, ctx.services.vault, now)
            if audit.error:
                click.echo(_("Sharing audit: %(error)s", error=audit.error), err=True)
    report = service.run(ctx.services, association_id, now, send=not no_send)
    done = report.reconciled
    click.echo(
        _(
            "%(opened)s opened, %(reopened)s reopened, %(updated)s updated, "
            "%(resolved)s resolved; %(planned)s, %(sent)s sent, %(retrying)s to retry, "
            "%(failed)s failed.",
            opened=len(done.opened),
            reopened=len(done.reopened),
            updated=len(done.updated),
            resolved=len(done.resolved),
            planned=ngettext("%(num)d message planned", "%(num)d messages planned", report.planned),
            sent=report.sent.sent,
            retrying=report.sent.retrying,
            failed=report.sent.failed,
        )
    )
    for name in report.sent.disabled:
        click.echo(
            _("Channel “%(name)s” was disabled: see quorum alerts channels.", name=name), err=True
        )


@alerts.command("test")
@click.option("--channel", "name", required=True, help="Name of the channel.")
@click.option("--to", "to", help="E-mail of the recipient (e-mail, Nextcloud, digest channels).")
@click.option("--nc-user", help="Nextcloud user id of the recipient (Nextcloud channel).")
@click.option("--language", default="fr", show_default=True, type=click.Choice(["fr", "en"]))
@pass_ctx
def alerts_test(ctx: Ctx, name: str, to: str | None, nc_user: str | None, language: str) -> None:
    """Send a test message through one channel."""
    with ctx.services.db.session() as session:
        association_id = resolve_association(session, ctx.association).id
    recipient = Recipient(to or "", "", language, nc_user) if (to or nc_user) else None
    try:
        ref = service.test_channel(ctx.services, association_id, name, recipient)
    except service.TransportError as err:
        raise QuorumError(
            f"The test message failed: {err.message}", code="alert.test_failed", reason=err.message
        ) from err
    click.echo(
        _(
            "Test message sent through '%(name)s' %(ref)s.",
            name=name,
            ref=json.dumps(ref, default=str),
        )
    )


@alerts.command("channel-add")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--set", "settings", multiple=True, help="Configuration: key=value (repeatable).")
@click.option(
    "--secret",
    envvar="QUORUM_CHANNEL_SECRET",
    help="SMTP password, webhook or bot secret (or set QUORUM_CHANNEL_SECRET); stored encrypted.",
)
@pass_ctx
def channel_add(
    ctx: Ctx, name: str, kind: str, settings: tuple[str, ...], secret: str | None
) -> None:
    """Add or replace a channel, e.g. ``--kind email --set host=smtp.example.org``."""
    config: dict[str, object] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise QuorumError(f"{item!r} is not key=value.", code="alert.key_value", item=item)
        config[key.strip()] = value.split(",") if key.strip() == "topics" else value
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        service.add_channel(
            session,
            ctx.services.vault,
            association.id,
            name,
            kind,
            config,
            secret,
            allow_private=ctx.services.settings.allow_private_addresses,
        )
    click.echo(_("Channel “%(name)s” (%(kind)s) saved.", name=name, kind=kind))


@alerts.command("channels")
@pass_ctx
def channels(ctx: Ctx) -> None:
    """List the channels, and why any of them is disabled."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        for channel in session.scalars(
            select(Channel).where(Channel.association_id == association.id).order_by(Channel.name)
        ):
            state = (
                _("enabled")
                if channel.enabled
                else _("DISABLED: %(reason)s", reason=channel.disabled_reason)
            )
            click.echo(f"{channel.name}\t{channel.kind}\t{state}")


@alerts.command("list")
@click.option("--state", type=click.Choice(STATES), default="open", show_default=True)
@pass_ctx
def alerts_list(ctx: Ctx, state: str) -> None:
    """List alerts in one state."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        for alert in session.scalars(
            select(Alert)
            .where(Alert.association_id == association.id, Alert.state == state)
            .order_by(Alert.key)
        ):
            click.echo(f"{alert.id}\t{alert.severity}\t{alert.key}")


@alerts.command("ack")
@click.argument("alert_id", type=int)
@click.option("--snooze", is_flag=True, help="Snooze for a week instead of acknowledging.")
@pass_ctx
def alerts_ack(ctx: Ctx, alert_id: int, snooze: bool) -> None:
    """Acknowledge (or snooze) one alert."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        alert = service.find_alert(session, association.id, alert_id)
        action = "snooze" if snooze else "acknowledge"
        service.act(session, alert, action, "cli", datetime.now(UTC))
        click.echo(_("Alert %(key)s is now %(state)s.", key=alert.key, state=_(alert.state)))
