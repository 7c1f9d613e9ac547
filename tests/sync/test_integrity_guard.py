"""Issue 13, item 2: a mass disappearance is refused for calendars too, and for small folders.

Against the demo server behind a fault-injecting proxy; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from sidecar.context import Services
from sidecar.storage.models import CalendarObjectRecord, Collection
from tests.sync.helpers import alice_calendars, connect, mirrored_files, sync
from tests.sync.proxy import INVALID_TOKEN, Proxied, Reply, Seen, is_sync_report, multistatus

NEW_EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260101T000000Z
DTSTART:20270115T180000Z
DTEND:20270115T200000Z
SUMMARY:{summary}
END:VEVENT
END:VCALENDAR
"""


def calendar_objects(services: Services, name: str) -> set[str]:
    with services.db.session() as session:
        rows = session.scalars(
            select(CalendarObjectRecord.href)
            .join(Collection, Collection.id == CalendarObjectRecord.collection_id)
            .where(Collection.remote_path.endswith(f"/{name}/"))
        )
        return set(rows)


def add_event(url: str, calendar: str, uid: str, summary: str = "Réunion") -> str:
    client = alice_calendars(url)
    href = f"/remote.php/dav/calendars/alice/{calendar}/{uid}.ics"
    client.put(href, NEW_EVENT.format(uid=uid, summary=summary), if_none_match=True)
    return href


def test_invalid_token_then_empty_answer_deletes_no_event(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    assert sync(services, source_id).outcome == "ok"
    before = calendar_objects(services, "conseil")
    assert len(before) >= 5
    add_event(proxied.url, "conseil", "nouvelle-reunion")  # the calendar's token moves

    def hostile(seen: Seen) -> Reply | None:
        if is_sync_report(seen, with_token=True):
            return INVALID_TOKEN
        if is_sync_report(seen, with_token=False) and "/conseil/" in seen.path:
            return Reply("207 Multi-Status", multistatus(token="http://radicale/sync/zzz"))
        return None

    proxied.proxy.rules.append(hostile)
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert any("disappeared at once" in e for e in report.collection_errors.values())
    assert calendar_objects(services, "conseil") == before, "nothing deleted"

    proxied.proxy.clear()
    report = sync(services, source_id)
    assert report.outcome == "ok", report
    after = calendar_objects(services, "conseil")
    assert before < after and any(h.endswith("/nouvelle-reunion.ics") for h in after)


def test_most_of_a_calendar_removed_at_once_needs_allow_mass_delete(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    folder = Path(proxied.demo.data_dir) / "radicale" / "collection-root" / "alice" / "conseil"
    removed = sorted(folder.glob("*.ics"))[:4]
    client = alice_calendars(proxied.url)
    for path in removed:
        href = f"/remote.php/dav/calendars/alice/conseil/{path.name}"
        etag = next(
            o.etag
            for o in client.list_etags("/remote.php/dav/calendars/alice/conseil/")
            if o.href == href
        )
        assert etag is not None
        client.delete(href, if_match=etag)
    before = calendar_objects(services, "conseil")
    report = sync(services, source_id)
    assert report.outcome == "partial"
    assert calendar_objects(services, "conseil") == before
    report = sync(services, source_id, allow_mass_delete=True)
    assert report.outcome == "ok", report
    assert len(calendar_objects(services, "conseil")) == len(before) - 4


def test_one_removed_event_is_applied(services: Services, proxied: Proxied) -> None:
    """The guard is not over-eager: an ordinary deletion goes through."""
    source_id = connect(services, proxied.url)
    href = add_event(proxied.url, "bureau", "a-supprimer")
    sync(services, source_id)
    client = alice_calendars(proxied.url)
    etag = next(
        o.etag
        for o in client.list_etags("/remote.php/dav/calendars/alice/bureau/")
        if o.href == href
    )
    assert etag is not None
    client.delete(href, if_match=etag)
    report = sync(services, source_id)
    assert report.outcome == "ok", report
    assert href not in calendar_objects(services, "bureau")


def test_a_small_folder_emptied_at_once_is_refused(services: Services, proxied: Proxied) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    before = mirrored_files(services)
    folder = Path(proxied.demo.data_dir) / "files" / "alice" / "Comptabilité" / "Relevés"
    names = [p.name for p in folder.iterdir()]
    assert len(names) == 3
    for path in folder.iterdir():
        path.unlink()
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert "/Comptabilité/Relevés/" in report.collection_errors["/"]
    assert mirrored_files(services) == before
    report = sync(services, source_id, allow_mass_delete=True)
    assert report.outcome == "ok"
    assert not any(
        p.startswith("/Comptabilité/Relevés/") and p[-1] != "/" for p in mirrored_files(services)
    )


def test_a_spoiled_listing_of_one_small_folder_deletes_nothing(
    services: Services, proxied: Proxied
) -> None:
    """A well-formed 207 naming only the folder itself: the tree-wide rule cannot see it."""
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    before = mirrored_files(services)
    target = Path(proxied.demo.data_dir) / "files" / "alice" / "Association"
    (target / "Nouveau.txt").write_bytes(b"x")  # the folder's ETag moves: it is listed

    def only_itself(seen: Seen, reply: Reply) -> Reply | None:
        if seen.method == "PROPFIND" and seen.path.endswith("/Association/"):
            head, _, _rest = reply.body.partition(b"</D:response>")
            return Reply(reply.status, head + b"</D:response></D:multistatus>", reply.headers)
        return None

    proxied.proxy.rewrites.append(only_itself)
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert {p: e for p, e in mirrored_files(services).items() if p.startswith("/Association/")} == {
        p: e for p, e in before.items() if p.startswith("/Association/")
    }
