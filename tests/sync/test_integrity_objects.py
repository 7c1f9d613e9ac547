"""Issue 13, items 4 and 8 through a real sync: a THISANDFUTURE series is stored whole, and an
object whose data arrives empty is recorded as an error and read again by the next run.

Against the demo server behind a fault-injecting proxy; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from sidecar.context import Services
from sidecar.storage.models import CalendarObjectRecord, Occurrence
from tests.sync.helpers import alice_calendars, connect, sync
from tests.sync.proxy import Proxied, Reply, Seen
from tests.sync.test_integrity_guard import add_event
from tests.sync.test_integrity_ical import MOVED_FROM_THIRD, SERIES, ics

CONSEIL = "/remote.php/dav/calendars/alice/conseil/"


def test_a_thisandfuture_series_is_stored_whole(services: Services, proxied: Proxied) -> None:
    source_id = connect(services, proxied.url)
    text = ics(SERIES, MOVED_FROM_THIRD).replace("UID:ca\n", "UID:ca-horaire\n")
    alice_calendars(proxied.url).put(f"{CONSEIL}ca-horaire.ics", text, if_none_match=True)
    assert sync(services, source_id).outcome == "ok"
    with services.db.session() as session:
        rows = list(session.scalars(select(Occurrence).where(Occurrence.uid == "ca-horaire")))
    assert len(rows) == 6, [r.recurrence_id for r in rows]
    assert sorted(r.start.hour for r in rows if r.start) == [18, 18, 19, 19, 19, 19]


def blank_data(name: str) -> object:
    pattern = re.compile(
        rb"(<d:href>[^<]*/" + re.escape(name.encode()) + rb"</d:href>.*?<cal:calendar-data>)"
        rb".*?(</cal:calendar-data>)",
        re.DOTALL,
    )

    def rewrite(seen: Seen, reply: Reply) -> Reply | None:
        if seen.method != "REPORT":
            return None
        return Reply(reply.status, pattern.sub(rb"\1\n\2", reply.body), reply.headers)

    return rewrite


def record(services: Services, name: str) -> CalendarObjectRecord:
    with services.db.session() as session:
        found = session.scalar(
            select(CalendarObjectRecord).where(CalendarObjectRecord.href.endswith(name))
        )
        assert found is not None
        return found


def test_empty_data_is_an_error_on_the_object_and_read_again(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    add_event(proxied.url, "bureau", "vide")
    proxied.proxy.rewrites.append(blank_data("vide.ics"))  # type: ignore[arg-type]
    sync(services, source_id)
    broken = record(services, "/vide.ics")
    assert broken.error is not None and "empty" in broken.error
    proxied.proxy.clear()
    report = sync(services, source_id)  # nothing changed on the server: the retry reads it
    assert report.outcome == "ok", report
    fixed = record(services, "/vide.ics")
    assert fixed.error is None and fixed.uid == "vide" and fixed.etag
    with services.db.session() as session:
        assert session.scalar(select(Occurrence).where(Occurrence.uid == "vide")) is not None
