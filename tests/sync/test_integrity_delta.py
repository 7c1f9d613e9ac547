"""Issue 13, item 3: an entry with a 500 (or any non-200/404) status inside a sync-collection
answer is fetched by multiget, or the token is not advanced and the run is ``partial``.

Against the demo server behind a fault-injecting proxy; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import select

from sidecar.context import Services
from sidecar.storage.models import Collection
from tests.sync.helpers import connect, sync
from tests.sync.proxy import Proxied, fail_entry, is_sync_report, only_for
from tests.sync.test_integrity_guard import add_event, calendar_objects

HREF = "/remote.php/dav/calendars/alice/bureau/reunion-x.ics"


def bureau_token(services: Services) -> str | None:
    with services.db.session() as session:
        coll = session.scalar(select(Collection).where(Collection.remote_path.endswith("/bureau/")))
        assert coll is not None
        return coll.sync_token


def test_a_failed_entry_is_fetched_by_multiget(services: Services, proxied: Proxied) -> None:
    source_id = connect(services, proxied.url)
    assert sync(services, source_id).outcome == "ok"
    add_event(proxied.url, "bureau", "reunion-x")
    proxied.proxy.rewrites.append(only_for(is_sync_report, fail_entry("reunion-x.ics")))
    report = sync(services, source_id)
    assert HREF in calendar_objects(services, "bureau"), "not silently lost"
    assert report.outcome == "ok", report
    multigets = [s for s in proxied.proxy.seen if b"calendar-multiget" in s.body]
    assert multigets and b"reunion-x.ics" in multigets[-1].body


def test_a_failed_entry_that_stays_failed_keeps_the_token(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    token = bureau_token(services)
    add_event(proxied.url, "bureau", "reunion-x")
    proxied.proxy.rewrites.append(fail_entry("reunion-x.ics"))  # sync-collection and multiget
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert "could not be read" in report.collection_errors["Bureau"]
    assert bureau_token(services) == token, "the token did not move past the lost entry"
    proxied.proxy.clear()
    assert sync(services, source_id).outcome == "ok"
    assert HREF in calendar_objects(services, "bureau"), "the next clean run brings it"


def test_a_failed_entry_in_a_full_listing_is_not_taken_for_removed(
    services: Services, proxied: Proxied
) -> None:
    """After an invalid token, the full listing fails on one stored object: it stays."""
    from tests.sync.proxy import INVALID_TOKEN, Reply, Seen

    source_id = connect(services, proxied.url)
    sync(services, source_id)
    before = calendar_objects(services, "conseil")
    add_event(proxied.url, "conseil", "autre")

    def refuse_token(seen: Seen) -> Reply | None:
        return INVALID_TOKEN if is_sync_report(seen, with_token=True) else None

    proxied.proxy.rules.append(refuse_token)
    proxied.proxy.rewrites.append(fail_entry("ca-budget.ics"))
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert before <= calendar_objects(services, "conseil")
