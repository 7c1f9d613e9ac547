"""``GET /metrics``: Prometheus text exposition (format 0.0.4), computed from the database.

Every number comes from the tables at scrape time (sync runs, the scheduler lease, alerts), so
all gunicorn workers, the scheduler process and the CLI are counted alike and any worker gives
the same answer. That is why this is a small writer and not ``prometheus_client``: its
in-process registries would count one worker each (its multiprocess mode needs a shared
directory and still would not see the scheduler's runs).

The endpoint is off (404) until ``QUORUM_METRICS_TOKEN`` is set, and then needs
``Authorization: Bearer <token>`` (compared in constant time): source names are not public.
"""

from __future__ import annotations

import hmac
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, request
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from sidecar.scheduler import LEASE_NAME
from sidecar.storage.models import Alert, Lease, Source, SyncRun
from sidecar.web.access import public
from sidecar.web.context import services

bp = Blueprint("metrics", __name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, math.inf)

Labels = Mapping[str, str]


@dataclass
class Family:
    """One metric family: its samples as ``(suffix, labels, value)``."""

    name: str
    kind: str  # counter | gauge | histogram
    help: str
    samples: list[tuple[str, Labels, float]] = field(default_factory=list)

    def add(self, value: float, labels: Labels | None = None, suffix: str = "") -> None:
        self.samples.append((suffix, dict(labels or {}), value))


def render(families: Iterable[Family]) -> str:
    """The text exposition of ``families`` (HELP, TYPE, then one line per sample)."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for suffix, labels, value in family.samples:
            lines.append(f"{family.name}{suffix}{_labels(labels)} {_number(value)}")
    return "\n".join(lines) + "\n"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape_value(value)}"' for key, value in labels.items())
    return "{" + inner + "}"


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# --- collection -------------------------------------------------------------------------------


def collect(session: Session, now: datetime) -> list[Family]:
    """All of Quorum's metric families, read in one transaction."""
    families = [*_sync_runs(session), _lease(session, now)]
    alerts = _open_alerts(session)
    if alerts is not None:
        families.append(alerts)
    return families


def _sync_runs(session: Session) -> list[Family]:
    runs = Family("quorum_sync_runs_total", "counter", "Sync runs by outcome.")
    requests_ = Family("quorum_sync_requests_total", "counter", "HTTP requests made by sync runs.")
    errors = Family("quorum_sync_errors_total", "counter", "Sync runs that ended with an error.")
    running = Family("quorum_sync_runs_running", "gauge", "Sync runs in progress now.")
    query = select(SyncRun.outcome, func.count(), func.coalesce(func.sum(SyncRun.requests), 0))
    for outcome, count, requests_made in session.execute(query.group_by(SyncRun.outcome)):
        if outcome == "running":
            running.add(count)
        else:
            runs.add(count, {"outcome": outcome})
        requests_.add(requests_made, {"outcome": outcome})
    errors.add(session.scalar(select(func.count()).where(SyncRun.error.is_not(None))) or 0)
    if not running.samples:
        running.add(0)
    return [runs, _durations(session), requests_, errors, running, _last_success(session)]


def _durations(session: Session) -> Family:
    """A histogram of finished runs' durations, per outcome (streamed, never all in memory)."""
    family = Family("quorum_sync_run_duration_seconds", "histogram", "Duration of sync runs.")
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(DURATION_BUCKETS))
    sums: dict[str, float] = defaultdict(float)
    query = select(SyncRun.outcome, SyncRun.started_at, SyncRun.finished_at).where(
        SyncRun.finished_at.is_not(None)
    )
    for outcome, started, finished in session.execute(query.execution_options(yield_per=1000)):
        seconds = max(0.0, ((finished or started) - started).total_seconds())
        sums[outcome] += seconds
        for index, bound in enumerate(DURATION_BUCKETS):
            if seconds <= bound:
                counts[outcome][index] += 1
    for outcome in sorted(counts):
        for bound, count in zip(DURATION_BUCKETS, counts[outcome], strict=True):
            family.add(count, {"outcome": outcome, "le": _number(bound)}, "_bucket")
        family.add(sums[outcome], {"outcome": outcome}, "_sum")
        family.add(counts[outcome][-1], {"outcome": outcome}, "_count")
    return family


def _last_success(session: Session) -> Family:
    family = Family(
        "quorum_source_last_success_timestamp_seconds",
        "gauge",
        "When each source last finished a sync run without error (Unix time).",
    )
    query = (
        select(Source.name, func.max(SyncRun.finished_at))
        .join(SyncRun, SyncRun.source_id == Source.id)
        .where(SyncRun.outcome.in_(("ok", "partial")))
        .group_by(Source.name)
    )
    for name, finished in session.execute(query):
        if finished is not None:
            family.add(_as_utc(finished).timestamp(), {"source": name})
    return family


def _lease(session: Session, now: datetime) -> Family:
    family = Family(
        "quorum_scheduler_lease_seconds_remaining",
        "gauge",
        "Seconds until the scheduler lease expires; 0 or less means no scheduler is running.",
    )
    lease = session.get(Lease, LEASE_NAME)
    family.add((_as_utc(lease.expires_at) - now).total_seconds() if lease else 0)
    return family


def _open_alerts(session: Session) -> Family | None:
    """Open alerts by rule; None when the alerts table does not exist (yet)."""
    family = Family("quorum_alerts_open", "gauge", "Open alerts by rule.")
    query = select(Alert.rule, func.count()).where(Alert.state == "open").group_by(Alert.rule)
    try:
        with session.begin_nested():
            rows = list(session.execute(query))
    except SQLAlchemyError:  # a database not migrated to the alerts schema
        return None
    for rule, count in sorted(rows):
        family.add(count, {"rule": rule})
    return family


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the view ---------------------------------------------------------------------------------


@bp.get("/metrics")
@public  # bearer token, checked below
def metrics() -> Response:
    """The exposition, for a scraper holding the metrics token."""
    token = services().settings.metrics_token
    if not token:
        abort(404)
    sent = request.headers.get("Authorization", "")
    scheme, _, given = sent.partition(" ")
    valid = hmac.compare_digest(given.strip().encode(), token.encode())
    if scheme.lower() != "bearer" or not valid:
        abort(401)
    with services().db.session() as session:
        text = render(collect(session, datetime.now(UTC)))
    return Response(text, content_type=CONTENT_TYPE)
