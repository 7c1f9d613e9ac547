"""How long a source waits after the server struggled: bounded exponential backoff.

A 500/502/503 (without Retry-After) or a 429 without Retry-After says "not now" without saying
until when. Asking again at the job's normal pace hammers a server that is already down; waiting
forever hides the outage. So each run that met such an answer doubles the wait of the one before
(30 s, 1 min, 2 min...), up to an hour; a run without one ends the streak. A server's own
Retry-After is honoured, capped at a day (:data:`integrations.http.MAX_RETRY_AFTER`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.storage.models import Source, SyncRun

BASE = timedelta(seconds=30)
CAP = timedelta(hours=1)
_LOOKBACK = 12  # runs: 30 s doubled 7 times already passes the cap


def backoff_delay(streak: int) -> timedelta:
    """The wait after the ``streak``-th consecutive struggling run (0 for the first)."""
    delay: timedelta = BASE * (2 ** min(streak, _LOOKBACK))
    return min(delay, CAP)


def back_off(session: Session, source: Source, run_id: int, now: datetime) -> datetime:
    """Set and return ``source.retry_after`` after run ``run_id`` met a transient refusal."""
    previous = session.execute(
        select(SyncRun.outcome, SyncRun.details)
        .where(SyncRun.source_id == source.id, SyncRun.id < run_id)
        .order_by(SyncRun.id.desc())
        .limit(_LOOKBACK * 2)
    )
    streak = 0
    for outcome, details in previous:
        if outcome == "deferred":
            continue  # a run that waited out the backoff neither ends nor extends the streak
        if not (details or {}).get("backoff"):
            break
        streak += 1
    until = now + backoff_delay(streak)
    if source.retry_after is None or source.retry_after < until:
        source.retry_after = until
    return source.retry_after
