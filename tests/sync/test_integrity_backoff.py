"""Issue 13, item 7: Retry-After is capped at a day; 5xx and 429 without Retry-After back off
exponentially, within bounds; an endless 507 truncation ends ``partial``.

Against the demo server behind a fault-injecting proxy; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from integrations.http import MAX_RETRY_AFTER, parse_retry_after
from sidecar.context import Services
from sidecar.storage.models import Collection, Source
from sidecar.sync.backoff import CAP, backoff_delay
from sidecar.sync.runner import run_source
from tests.sync.helpers import connect, sync
from tests.sync.proxy import Proxied, Reply, Seen, is_sync_report, multistatus
from tests.sync.test_integrity_guard import add_event

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def retry_after(services: Services, source_id: int) -> datetime | None:
    with services.db.session() as session:
        source = session.get(Source, source_id)
        assert source is not None
        return source.retry_after


def run_at(services: Services, source_id: int, now: datetime) -> str:
    return run_source(services.db, services.vault, source_id, now=now).outcome


@pytest.mark.parametrize("status", ["503 Service Unavailable", "502 Bad Gateway"])
def test_a_struggling_server_gets_bounded_exponential_backoff(
    services: Services, proxied: Proxied, status: str
) -> None:
    source_id = connect(services, proxied.url)
    proxied.proxy.rules.append(lambda seen: Reply(status, b"down"))
    now, waits = T0, []
    for _ in range(3):
        assert run_at(services, source_id, now) in {"partial", "failed"}
        until = retry_after(services, source_id)
        assert until is not None
        waits.append(until - now)
        assert run_at(services, source_id, now + timedelta(seconds=1)) == "deferred"
        now = until + timedelta(seconds=1)
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    proxied.proxy.clear()
    assert run_at(services, source_id, now) == "ok"
    assert retry_after(services, source_id) is None, "a good run ends the streak"


def test_429_without_retry_after_backs_off_too(services: Services, proxied: Proxied) -> None:
    source_id = connect(services, proxied.url)
    proxied.proxy.rules.append(lambda seen: Reply("429 Too Many Requests", b""))
    assert run_at(services, source_id, T0) == "failed"
    assert retry_after(services, source_id) == T0 + timedelta(seconds=30)


def test_a_huge_retry_after_is_capped_at_a_day(services: Services, proxied: Proxied) -> None:
    source_id = connect(services, proxied.url)
    proxied.proxy.rules.append(
        lambda seen: Reply("429 Too Many Requests", b"", [("Retry-After", "8640000")])
    )
    before = datetime.now(UTC)
    assert sync(services, source_id).outcome == "failed"
    until = retry_after(services, source_id)
    assert until is not None and until <= datetime.now(UTC) + MAX_RETRY_AFTER
    assert until >= before + MAX_RETRY_AFTER - timedelta(minutes=1)


def test_retry_after_values_are_capped() -> None:
    assert parse_retry_after("99999999999999999999", now=T0) == T0 + MAX_RETRY_AFTER
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now=T0) == T0 + MAX_RETRY_AFTER
    assert parse_retry_after("120", now=T0) == T0 + timedelta(seconds=120)
    assert backoff_delay(50) == CAP


def test_an_endless_507_is_partial(services: Services, proxied: Proxied) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    with services.db.session() as session:
        bureau = session.scalar(
            select(Collection).where(Collection.remote_path.endswith("/bureau/"))
        )
        assert bureau is not None
        token = bureau.sync_token
    add_event(proxied.url, "bureau", "tronque")

    def truncated(seen: Seen) -> Reply | None:
        if is_sync_report(seen) and "/bureau/" in seen.path:
            response = (
                f"<d:response><d:href>{seen.path}</d:href>"
                "<d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>"
            )
            return Reply("207 Multi-Status", multistatus(response, token=token))
        return None

    proxied.proxy.rules.append(truncated)
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert "507" in report.collection_errors["Bureau"]
    assert report.requests < 40, "bounded, not endless"
    with services.db.session() as session:
        bureau = session.scalar(
            select(Collection).where(Collection.remote_path.endswith("/bureau/"))
        )
        assert bureau is not None and bureau.sync_token == token
