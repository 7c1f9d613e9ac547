"""Digests: per person, daily or weekly, only what concerns them; nothing when there is nothing.

Deliveries for a digest channel are planned like any other; once the person's period has
turned they are claimed one by one (so two processes never put one alert in two digests) and
sent as one message. ``Channel.state["last"][email]`` remembers when each person last got one.

A period turns at a local hour of the association's time zone: every day at ``config["hour"]``
(default 8), or for a weekly digest on ``config["weekday"]`` (0 = Monday, the default) at that
hour. A person gets at most one digest per period; a scheduler that was down at that hour sends
it at its next cycle. Someone who never had a digest gets the first one at the next cycle.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.alerts import messages
from sidecar.alerts.channels import Message, TransportError
from sidecar.alerts.send import Sender, build_message, find_recipient
from sidecar.storage.models import Alert, Association, Channel, Delivery

DEFAULT_HOUR = 8


def _int(value: object, default: int, top: int) -> int:
    try:
        found = int(str(value))
    except ValueError:
        return default
    return found if 0 <= found <= top else default


def period_start(config: dict[str, object], now: datetime, tz: ZoneInfo) -> datetime:
    """When the current digest period began: the latest configured local hour (and weekday)."""
    local = now.astimezone(tz)
    hour = _int(config.get("hour", DEFAULT_HOUR), DEFAULT_HOUR, 23)
    start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if config.get("period") == "weekly":
        start -= timedelta(days=(local.weekday() - _int(config.get("weekday", 0), 0, 6)) % 7)
    if start > local:
        start -= timedelta(days=7 if config.get("period") == "weekly" else 1)
    return start  # aware arithmetic on one zone is wall-clock: a DST change keeps the hour


def _period_over(channel: Channel, email: str, now: datetime, tz: ZoneInfo) -> bool:
    last = (channel.state or {}).get("last", {}).get(email)
    return last is None or datetime.fromisoformat(last) < period_start(channel.config, now, tz)


def send_digests(sender: Sender, now: datetime) -> None:
    """One message per person and digest channel whose period is over."""
    db = sender.services.db
    with db.session() as session:
        association = session.get(Association, sender.association_id)
        assert association is not None
        tz = ZoneInfo(association.timezone)
        digest_ids = {
            c.id
            for c in session.scalars(
                select(Channel).where(
                    Channel.association_id == sender.association_id, Channel.kind == "digest"
                )
            )
        }
        groups: dict[tuple[int, str], list[int]] = defaultdict(list)
        for delivery_id, channel_id in sender.due(session, now):
            if channel_id in digest_ids:
                recipient = session.get(Delivery, delivery_id)
                assert recipient is not None
                groups[(channel_id, recipient.recipient)].append(delivery_id)
        ready = {
            key: ids
            for key, ids in groups.items()
            if _period_over(_channel(session, key[0]), key[1], now, tz)
        }
    for (channel_id, email), ids in ready.items():
        claimed = [i for i in ids if sender.claim(i, now)]
        if claimed:
            _send_digest(sender, channel_id, email, claimed, now)


def _channel(session: Session, channel_id: int) -> Channel:
    found = session.get(Channel, channel_id)
    assert found is not None
    return found


def _send_digest(
    sender: Sender, channel_id: int, email: str, ids: list[int], now: datetime
) -> None:
    db = sender.services.db
    with db.session() as session:
        channel = _channel(session, channel_id)
        items: list[Message] = []
        language = "fr"
        for delivery_id in ids:
            delivery = session.get(Delivery, delivery_id)
            alert = session.get(Alert, delivery.alert_id) if delivery else None
            if delivery is None or alert is None:
                continue
            language = delivery.language
            items.append(build_message(session, sender.services, delivery, alert))
        recipient = find_recipient(session, sender.association_id, email, language)
        transport = sender._transport(session, channel)
    digest = messages.render_digest(items, recipient.language if recipient else language)
    try:
        transport.send(digest, recipient)
    except TransportError as err:
        with db.session() as session:
            channel = _channel(session, channel_id)
            for delivery_id in ids:
                delivery = session.get(Delivery, delivery_id)
                assert delivery is not None
                sender._failed(session, delivery, channel, err, now)
        return
    with db.session() as session:
        channel = _channel(session, channel_id)
        last = dict((channel.state or {}).get("last", {}))
        last[email] = now.isoformat()
        channel.state = {**(channel.state or {}), "last": last}
        for delivery_id in ids:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            delivery.state, delivery.sent_at, delivery.ref = "sent", now, {"digest": len(ids)}
    sender.report.digests += 1
    sender.report.sent += len(ids)
