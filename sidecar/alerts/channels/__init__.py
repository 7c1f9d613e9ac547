"""Alert channels: one small module per kind behind :class:`~.base.Transport`.

:func:`open_transport` is the registry: it turns a stored :class:`Channel` row (config plus
encrypted secret) into a ready transport. Secrets are decrypted here and handed to the
transport only; they are never logged or put into a delivery's log.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar import sources
from sidecar.alerts.channels.base import (
    EditedMeanwhile,
    Message,
    Recipient,
    Transport,
    TransportError,
)
from sidecar.alerts.channels.calendar import CalendarTransport
from sidecar.alerts.channels.email import EmailTransport
from sidecar.alerts.channels.nextcloud import NextcloudTransport
from sidecar.alerts.channels.talk import TalkTransport
from sidecar.alerts.channels.webhook import WebhookTransport
from sidecar.storage.models import Channel, Source
from sidecar.vault import Vault

__all__ = [
    "KINDS",
    "PER_PERSON",
    "EditedMeanwhile",
    "Message",
    "Recipient",
    "Transport",
    "TransportError",
    "open_transport",
]

KINDS = ("email", "nextcloud", "talk", "webhook", "calendar", "digest")
#: Whether a kind addresses people one by one (else it posts once, to a shared place).
PER_PERSON = {
    "email": True,
    "nextcloud": True,
    "digest": True,
    "talk": False,
    "webhook": False,
    "calendar": False,
}
#: Whether a kind is told when an alert resolves (to complete a todo, to clear a bridge).
WANTS_RESOLVED = {"calendar": True, "webhook": True}


def _secret(channel: Channel, vault: Vault) -> str | None:
    return vault.decrypt(channel.secret_enc) if channel.secret_enc else None


def _source(session: Session, channel: Channel) -> Source:
    query = select(Source).where(Source.association_id == channel.association_id)
    name = channel.config.get("source")
    if name:
        query = query.where(Source.name == name)
    found = session.scalars(query.order_by(Source.id)).first()
    if found is None:
        raise TransportError(f"The channel {channel.name!r} names no existing source.")
    return found


def open_transport(session: Session, channel: Channel, vault: Vault) -> Transport:
    """A transport for ``channel``; raises TransportError when it cannot be configured."""
    config, kind = channel.config or {}, channel.kind
    if kind in ("email", "digest"):
        return EmailTransport(config, _secret(channel, vault))
    if kind == "webhook":
        return WebhookTransport(config, _secret(channel, vault))
    if kind == "talk":
        return TalkTransport(config, _secret(channel, vault))
    if kind in ("nextcloud", "calendar"):
        conn = sources.connect(_source(session, channel), vault, deadline=30.0)
        if kind == "nextcloud":
            return NextcloudTransport(conn.ocs)
        return CalendarTransport(conn.calendars, str(config.get("calendar") or ""))
    raise TransportError(f"Unknown channel kind {kind!r}: use one of {', '.join(KINDS)}.")
