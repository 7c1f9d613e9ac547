"""``GET /metrics``: Prometheus exposition through ``prometheus_client``, read from the database.

Every number comes from the tables at scrape time (sync runs, the scheduler lease, alerts), so
all gunicorn workers, the scheduler process and the CLI are counted alike and any worker gives
the same answer: a custom collector builds the families in one transaction per scrape
(``prometheus_client``'s in-process counters would count one worker each).

The endpoint is off (404) until ``QUORUM_METRICS_TOKEN`` is set, and then needs
``Authorization: Bearer <token>`` (compared in constant time): source names are not public.
"""

from __future__ import annotations

import hmac
import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, request
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from sidecar.scheduler import LEASE_NAME
from sidecar.services.federation import percentiles
from sidecar.storage.models import Alert, Association, Lease, Source, SyncJob, SyncRun
from sidecar.web.access import public
from sidecar.web.context import services

bp = Blueprint("metrics", __name__)
DURATION_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, math.inf)


class DatabaseCollector(Collector):
    """Quorum's metric families, read from ``session`` when the registry collects."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now

    def collect(self) -> Iterator[Metric]:
        yield from _sync_runs(self.session)
        yield _durations(self.session)
        yield from _lag(self.session, self.now)
        yield _last_success(self.session)
        yield _lease(self.session, self.now)
        alerts = _open_alerts(self.session)
        if alerts is not None:
            yield alerts


def exposition(session: Session, now: datetime, accept: str = "") -> tuple[bytes, str]:
    """Everything :class:`DatabaseCollector` reads, in the format the scraper accepts (text 0.0.4
    by default, OpenMetrics when asked): (body, content type)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(session, now))
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type


def _sync_runs(session: Session) -> list[Metric]:
    runs = CounterMetricFamily("quorum_sync_runs", "Sync runs by outcome.", labels=["outcome"])
    requests_ = CounterMetricFamily(
        "quorum_sync_requests", "HTTP requests made by sync runs.", labels=["outcome"]
    )
    running = 0
    query = select(SyncRun.outcome, func.count(), func.coalesce(func.sum(SyncRun.requests), 0))
    for outcome, count, requests_made in session.execute(query.group_by(SyncRun.outcome)):
        if outcome == "running":
            running = count
        else:
            runs.add_metric([outcome], count)
        requests_.add_metric([outcome], requests_made)
    errors = session.scalar(select(func.count()).where(SyncRun.error.is_not(None))) or 0
    return [
        runs,
        requests_,
        CounterMetricFamily("quorum_sync_errors", "Sync runs that ended with an error.", errors),
        GaugeMetricFamily("quorum_sync_runs_running", "Sync runs in progress now.", running),
    ]


def _durations(session: Session) -> Metric:
    """A histogram of finished runs' durations, per outcome (streamed, never all in memory)."""
    family = HistogramMetricFamily(
        "quorum_sync_run_duration_seconds", "Duration of sync runs.", labels=["outcome"]
    )
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
        buckets = [
            ("+Inf" if math.isinf(bound) else str(bound), float(count))
            for bound, count in zip(DURATION_BUCKETS, counts[outcome], strict=True)
        ]
        family.add_metric([outcome], buckets, sums[outcome])
    return family


LAG_QUANTILES = (0.5, 0.9, 0.95, 0.99)


def _lag(session: Session, now: datetime) -> list[Metric]:
    """How late jobs start (each enabled job's last due run) and how far behind the queue is."""
    active = (
        SyncJob.enabled.is_(True),
        SyncJob.paused_reason.is_(None),
        Association.disabled_at.is_(None),
    )
    values = [
        float(v or 0)
        for v in session.scalars(
            select(SyncJob.last_lag_seconds)
            .join(Association, Association.id == SyncJob.association_id)
            .where(*active, SyncJob.last_lag_seconds.is_not(None))
        )
    ]
    lag = GaugeMetricFamily(
        "quorum_sync_start_lag_seconds",
        "How late enabled jobs' last due runs started after their due time, by quantile.",
        labels=["quantile"],
    )
    for quantile, value in percentiles(values, LAG_QUANTILES).items():
        lag.add_metric([str(quantile)], value)
    count, first = session.execute(
        select(func.count(), func.min(SyncJob.next_run_at))
        .join(Association, Association.id == SyncJob.association_id)
        .where(*active, SyncJob.running_since.is_(None), SyncJob.next_run_at <= now)
    ).one()
    waited = max(0.0, (now - _as_utc(first)).total_seconds()) if first else 0.0
    associations = GaugeMetricFamily(
        "quorum_associations", "Associations served, by state.", labels=["state"]
    )
    by_state = select(Association.disabled_at.is_not(None), func.count()).group_by(
        Association.disabled_at.is_not(None)
    )
    for disabled, number in sorted(session.execute(by_state).all()):
        associations.add_metric(["disabled" if disabled else "active"], number)
    return [
        lag,
        GaugeMetricFamily(
            "quorum_sync_jobs_overdue", "Jobs due now that no worker has started yet.", count or 0
        ),
        GaugeMetricFamily(
            "quorum_sync_overdue_seconds_max", "How long the most overdue job has waited.", waited
        ),
        associations,
    ]


def _last_success(session: Session) -> Metric:
    family = GaugeMetricFamily(
        "quorum_source_last_success_timestamp_seconds",
        "When each source last finished a sync run without error (Unix time).",
        labels=["source"],
    )
    query = (
        select(Source.name, func.max(SyncRun.finished_at))
        .join(SyncRun, SyncRun.source_id == Source.id)
        .where(SyncRun.outcome.in_(("ok", "partial")))
        .group_by(Source.name)
    )
    for name, finished in session.execute(query):
        if finished is not None:
            family.add_metric([name], _as_utc(finished).timestamp())
    return family


def _lease(session: Session, now: datetime) -> Metric:
    lease = session.get(Lease, LEASE_NAME)
    return GaugeMetricFamily(
        "quorum_scheduler_lease_seconds_remaining",
        "Seconds until the scheduler lease expires; 0 or less means no scheduler is running.",
        (_as_utc(lease.expires_at) - now).total_seconds() if lease else 0,
    )


def _open_alerts(session: Session) -> Metric | None:
    """Open alerts by rule; None when the alerts table does not exist (yet)."""
    family = GaugeMetricFamily("quorum_alerts_open", "Open alerts by rule.", labels=["rule"])
    query = select(Alert.rule, func.count()).where(Alert.state == "open").group_by(Alert.rule)
    try:
        with session.begin_nested():
            rows = list(session.execute(query))
    except SQLAlchemyError:  # a database not migrated to the alerts schema
        return None
    for rule, count in sorted(rows):
        family.add_metric([rule], count)
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
        body, content_type = exposition(
            session, datetime.now(UTC), request.headers.get("Accept", "")
        )
    return Response(body, content_type=content_type)
