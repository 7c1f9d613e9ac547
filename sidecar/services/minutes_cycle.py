"""One pass over the minutes: read and check PVs, write their actions as tasks, detect handovers.

Called by ``quorum minutes scan``, by the register page's "scan now" button and by the alert
cycle, each with a clock, so tests control time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from integrations.errors import IntegrationError
from sidecar.context import Services
from sidecar.projection.shares import ShareInfo
from sidecar.services import actions, handover, minutes_scan
from sidecar.storage.models import Source
from sidecar.sync import connection as sources_service


@dataclass
class MinutesRun:
    scan: minutes_scan.ScanReport
    tasks: actions.ActionsReport
    handovers_opened: int


def run(services: Services, association_id: int, now: datetime) -> MinutesRun:
    """Scan the PVs, publish their actions, read task statuses back, open due handovers."""
    scanned = minutes_scan.scan(services, association_id, now)
    tasks = actions.publish(services, association_id, scanned.texts, now)
    shares = _shares(services, association_id)
    with services.db.session() as session:
        actions.refresh_status(session, association_id)
        opened = handover.detect(session, association_id, now, shares=shares)
    return MinutesRun(scanned, tasks, len(opened))


def _shares(services: Services, association_id: int) -> list[ShareInfo] | None:
    """The shares the association's first source sees; None when they cannot be read now
    (a handover then keeps its share items as they were: not read is not transferred)."""
    with services.db.session() as session:
        source = session.scalar(
            select(Source).where(Source.association_id == association_id).order_by(Source.id)
        )
        if source is None:
            return None
        conn = sources_service.connect(
            source, services.vault, deadline=services.settings.http_timeout
        )
    try:
        return handover.read_shares(conn.ocs)
    except IntegrationError:
        return None
    finally:
        conn.close()
