"""One pass over the minutes: read and check PVs, write their actions as tasks, detect handovers.

Called by ``quorum minutes scan``, by the register page's "scan now" button and by the alert
cycle, each with a clock, so tests control time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sidecar.context import Services
from sidecar.services import actions, handover, register


@dataclass
class MinutesRun:
    scan: register.ScanReport
    tasks: actions.ActionsReport
    handovers_opened: int


def run(services: Services, association_id: int, now: datetime) -> MinutesRun:
    """Scan the PVs, publish their actions, read task statuses back, open due handovers."""
    scanned = register.scan(services, association_id, now)
    tasks = actions.publish(services, association_id, scanned.texts, now)
    with services.db.session() as session:
        actions.refresh_status(session, association_id)
        opened = handover.detect(session, association_id, now, shares=None)
    return MinutesRun(scanned, tasks, len(opened))
