"""One delivery pass for an association: due messages, then calendar todos, then digests.

Apart from :mod:`sidecar.alerts.send` (the :class:`Sender` the three share), so that the digest and
todo modules build on the sender without the sender importing them back.
"""

from __future__ import annotations

from datetime import datetime

from sidecar.alerts.digest import send_digests
from sidecar.alerts.send import Opener, Sender, SendReport
from sidecar.alerts.todos import refresh_todos
from sidecar.context import Services


def deliver(
    services: Services, association_id: int, now: datetime, *, opener: Opener | None = None
) -> SendReport:
    """Send every due delivery of the association, keep calendar todos current, then send the
    digests whose time has come."""
    sender = Sender(services, association_id, opener)
    try:
        sender.run(now)
        refresh_todos(sender, now)
        send_digests(sender, now)
    finally:
        sender.close()
    return sender.report
