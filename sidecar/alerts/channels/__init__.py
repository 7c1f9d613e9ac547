"""Alert channels: one small module per kind behind :class:`~.base.Transport`.

:func:`open_transport` is the registry: it turns a stored :class:`Channel` row (config plus
encrypted secret) into a ready transport. Secrets are decrypted here and handed to the
transport only; they are never logged or put into a delivery's log.

A webhook's or a Talk server's URL is typed by an admin, so :func:`check_channel_url` refuses
cloud metadata and (unless ``allow_private_addresses``) private addresses when the channel is
added and again each time a transport is opened to send: a DNS name may point elsewhere by then.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import BlockedAddress, ConnectError
from integrations.urls import check_url
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
from sidecar.security.vault import Vault
from sidecar.storage.models import Channel, Source
from sidecar.sync.connection import connect

__all__ = [
    "KINDS",
    "TRANSPORTS",
    "EditedMeanwhile",
    "Message",
    "Recipient",
    "Transport",
    "TransportError",
    "check_channel_url",
    "open_transport",
    "per_person",
    "wants_resolved",
]

#: The transport of each kind (a digest is e-mail, sent on a schedule): the registry of kinds.
TRANSPORTS: dict[str, type[Transport]] = {
    "email": EmailTransport,
    "nextcloud": NextcloudTransport,
    "talk": TalkTransport,
    "webhook": WebhookTransport,
    "calendar": CalendarTransport,
    "digest": EmailTransport,
}
KINDS = tuple(TRANSPORTS)


def per_person(kind: str) -> bool:
    """Whether a kind addresses people one by one (else it posts once, to a shared place);
    an unknown kind is treated as personal, so nothing is posted to a shared place by mistake."""
    transport = TRANSPORTS.get(kind)
    return transport.per_person if transport else True


def wants_resolved(kind: str) -> bool:
    """Whether a kind is told when an alert resolves (to complete a todo, to clear a bridge)."""
    transport = TRANSPORTS.get(kind)
    return bool(transport and transport.wants_resolved)


#: Kinds whose ``config["url"]`` Quorum will connect to.
URL_KINDS = ("webhook", "talk")


def check_channel_url(kind: str, config: dict[str, object], *, allow_private: bool) -> None:
    """Refuse the URL of a webhook or Talk channel that Quorum must not contact.

    Raises a permanent :class:`TransportError` for a refused or malformed address and a
    transient one when the name does not resolve (DNS may be down for a moment).
    """
    if kind not in URL_KINDS:
        return
    try:
        check_url(str(config.get("url") or ""), allow_private=allow_private)
    except ConnectError as err:
        raise TransportError(f"The {kind} address: {err.message}", transient=True) from err
    except BlockedAddress as err:
        raise TransportError(f"The {kind} address is refused: {err.message}") from err
    except ValueError as err:
        raise TransportError(f"The {kind} address is refused: {err}") from err


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


def open_transport(
    session: Session, channel: Channel, vault: Vault, *, allow_private: bool = False
) -> Transport:
    """A transport for ``channel``; raises TransportError when it cannot be configured."""
    config, kind = channel.config or {}, channel.kind
    check_channel_url(kind, config, allow_private=allow_private)
    if kind in ("email", "digest"):
        return EmailTransport(config, _secret(channel, vault))
    if kind == "webhook":
        return WebhookTransport(config, _secret(channel, vault))
    if kind == "talk":
        return TalkTransport(config, _secret(channel, vault))
    if kind in ("nextcloud", "calendar"):
        conn = connect(_source(session, channel), vault, deadline=30.0)
        if kind == "nextcloud":
            return NextcloudTransport(conn.ocs)
        return CalendarTransport(conn.calendars, str(config.get("calendar") or ""))
    raise TransportError(f"Unknown channel kind {kind!r}: use one of {', '.join(KINDS)}.")
