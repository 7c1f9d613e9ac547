"""Rules about the register of deliberations and officer handovers.

- ``minutes_edited_after_approval``: an approved PV's file changed on Nextcloud after its version
  was frozen. Keyed by the register entry, so however many times the file is edited it is one
  alert, until the new version is approved (a new entry) or the old content is put back.
- ``minutes_removed_after_approval``: an approved PV's file is no longer on Nextcloud (deleted,
  or replaced by a new file under its name). One alert per entry, until the file is restored
  or its replacement is approved.
- ``handover_overdue``: a departed officer's deactivated account still holds something (a
  dossier, a share, a token…, ticked by hand or not) N days after the account was deactivated
  (after the handover started when that date is unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from sidecar.projection.handover import HandoverState
from sidecar.projection.register import FrozenMinutes
from sidecar.rules.catalogue import RuleSettings
from sidecar.rules.common import condition
from sidecar.rules.types import AlertCondition


def register_rules(items: Iterable[FrozenMinutes]) -> Iterator[AlertCondition]:
    for item in items:
        if item.edited:
            yield condition(
                "minutes_edited_after_approval",
                f"{item.fileid}:{item.seq}",
                {
                    "path": item.current_path or item.path,
                    "date": item.meeting_day,
                    "body": item.body_code,
                    "seq": item.seq,
                },
                body_code=item.body_code,
            )
        elif item.removed:
            yield condition(
                "minutes_removed_after_approval",
                f"{item.fileid}:{item.seq}",
                {
                    "path": item.path,
                    "date": item.meeting_day,
                    "body": item.body_code,
                    "seq": item.seq,
                },
                body_code=item.body_code,
            )


def handover_rules(
    handovers: Iterable[HandoverState], settings: RuleSettings, now: datetime
) -> Iterator[AlertCondition]:
    days = settings.number("handover_overdue", "days")
    for handover in handovers:
        if handover.closed or not handover.account_deactivated:
            continue
        since = handover.deactivated_at or handover.started_at
        if now - since < timedelta(days=days) or not handover.open_items:
            continue
        yield condition(
            "handover_overdue",
            str(handover.id),
            {"name": handover.name, "count": handover.open_items, "days": (now - since).days},
        )
