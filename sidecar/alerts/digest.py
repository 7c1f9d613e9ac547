"""Digests: per person, daily or weekly, only what concerns them; nothing when there is nothing.

Deliveries for a digest channel are planned like any other; at the end of the person's period
they are claimed one by one (so two processes never put one alert in two digests) and sent as
one message. ``Channel.state["last"][email]`` remembers when each person last got one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.alerts import messages
from sidecar.alerts.channels import Message, TransportError
from sidecar.alerts.outbox import claim, due
from sidecar.alerts.send import DIGEST_PERIODS, Sender, _recipient, build_message
from sidecar.storage.models import Alert, Channel, Delivery


def _period_over(channel: Channel, email: str, now: datetime) -> bool:
    period = DIGEST_PERIODS.get(str(channel.config.get("period") or "daily"), timedelta(days=1))
    last = (channel.state or {}).get("last", {}).get(email)
    return last is None or now - datetime.fromisoformat(last) >= period


def send_digests(sender: Sender, now: datetime) -> None:
    """One message per person and digest channel whose period is over."""
    db = sender.services.db
    with db.session() as session:
        digest_ids = {
            c.id
            for c in session.scalars(
                select(Channel).where(
                    Channel.association_id == sender.association_id, Channel.kind == "digest"
                )
            )
        }
        groups: dict[tuple[int, str], list[int]] = defaultdict(list)
        for delivery_id, channel_id in due(session, sender.association_id, now):
            if channel_id in digest_ids:
                recipient = session.get(Delivery, delivery_id)
                assert recipient is not None
                groups[(channel_id, recipient.recipient)].append(delivery_id)
        ready = {
            key: ids
            for key, ids in groups.items()
            if _period_over(_channel(session, key[0]), key[1], now)
        }
    for (channel_id, email), ids in ready.items():
        claimed = [i for i in ids if claim(db, i, now)]
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
        recipient = _recipient(session, sender.association_id, email, language)
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
