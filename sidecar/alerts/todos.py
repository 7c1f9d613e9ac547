"""Keep the calendar todos of open alerts current while the alert holds.

An alert's params change while it holds (days left, pieces missing, a new due day): the todo it
opened is rewritten with ``If-Match`` on the ETag Quorum last wrote. A 412 means a person edited
the todo: it is left as they made it, the opened delivery is marked ``edited`` and Quorum never
writes to that todo again (nor completes it).

Two processes never rewrite one todo at once: the opened delivery is claimed (``sent`` →
``updating``) with the same conditional UPDATE as a send, and a stale ``updating`` claim (its
process died) is taken over after the sender's ``stale_after``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from sidecar.alerts.channels import EditedMeanwhile, TransportError
from sidecar.alerts.channels.calendar import CalendarTransport
from sidecar.alerts.lifecycle import RESOLVED
from sidecar.alerts.send import Sender, build_message
from sidecar.storage.models import Alert, Channel, Delivery

log = logging.getLogger(__name__)
SENT, UPDATING, EDITED = "sent", "updating", "edited"


def refresh_todos(sender: Sender, now: datetime) -> None:
    """Rewrite each todo whose alert still holds and now reads differently."""
    for delivery_id in _candidates(sender, now):
        if _claim(sender, delivery_id, now):
            _update_one(sender, delivery_id, now)


def _candidates(sender: Sender, now: datetime) -> list[int]:
    """Opened deliveries of this episode, on enabled calendar channels, of unresolved alerts."""
    with sender.services.db.session() as session:
        rows = session.execute(
            select(Delivery.id, Delivery.kind, Alert.episode)
            .join(Alert, Delivery.alert_id == Alert.id)
            .join(Channel, Delivery.channel_id == Channel.id)
            .where(
                Channel.association_id == sender.association_id,
                Channel.kind == "calendar",
                Channel.enabled.is_(True),
                Alert.state != RESOLVED,
                _claimable(sender, now),
            )
            .order_by(Delivery.id)
        )
        return [d for d, kind, episode in rows if kind == f"opened#{episode}"]


def _claimable(sender: Sender, now: datetime):  # type: ignore[no-untyped-def]
    stale = now - sender.stale_after
    return or_(
        Delivery.state == SENT, and_(Delivery.state == UPDATING, Delivery.claimed_at < stale)
    )


def _claim(sender: Sender, delivery_id: int, now: datetime) -> bool:
    with sender.services.db.session() as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, _claimable(sender, now))
            .values(state=UPDATING, claimed_at=now, claimed_by=sender.holder)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def _update_one(sender: Sender, delivery_id: int, now: datetime) -> None:
    db = sender.services.db
    with db.session() as session:
        delivery, alert, channel = _load(session, delivery_id)
        message = build_message(session, sender.services, delivery, alert)
        opened, channel_name = dict(delivery.ref or {}), channel.name
        try:
            transport = sender._transport(session, channel)
        except TransportError as err:
            delivery.state, delivery.error = SENT, err.message[:2000]
            return
    if not isinstance(transport, CalendarTransport) or not transport.needs_update(message, opened):
        _finish(sender, delivery_id, opened, None)
        return
    try:
        ref = transport.update(message, opened)
    except EditedMeanwhile as err:
        _finish(sender, delivery_id, {**opened, "edited": now.isoformat()}, err, state=EDITED)
        sender.report.edited += 1
        return
    except TransportError as err:
        log.warning("alert todo %s via %s: %s", delivery_id, channel_name, err.message)
        _finish(sender, delivery_id, opened, err)
        return
    _finish(sender, delivery_id, ref, None)
    sender.report.updated += 1


def _finish(
    sender: Sender,
    delivery_id: int,
    ref: dict[str, object],
    err: TransportError | None,
    *,
    state: str = SENT,
) -> None:
    """Release the claim with the todo's new reference (and the error, if any)."""
    with sender.services.db.session() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        delivery.state, delivery.ref = state, ref
        delivery.error = err.message[:2000] if err is not None else delivery.error


def _load(session: Session, delivery_id: int) -> tuple[Delivery, Alert, Channel]:
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    alert = session.get(Alert, delivery.alert_id)
    channel = session.get(Channel, delivery.channel_id)
    assert alert is not None and channel is not None
    return delivery, alert, channel
