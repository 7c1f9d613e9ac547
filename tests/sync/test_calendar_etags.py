"""Servers without sync-token: the calendar is compared by ETag listing, then multiget."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import select

from integrations.caldav import CalendarClient
from integrations.types import CalendarInfo, CalendarObject, SyncDelta
from sidecar.context import Services, resolve_association
from sidecar.storage.models import CalendarObjectRecord, Collection, Source
from sidecar.sync.calendars import apply_calendar, calendar_changed, plan_calendar

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
HOME = "/dav/alice/"


def _ics(uid: str, summary: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:20261210T100000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


class EtagOnlyServer:
    """A CalDAV server with neither sync-token nor working sync-collection."""

    def __init__(self) -> None:
        self.objects = {
            f"{HOME}cal/a.ics": ("1", _ics("a", "CA")),
            f"{HOME}cal/b.ics": ("1", _ics("b", "Bureau")),
        }
        self.multigets: list[list[str]] = []

    def list_etags(self, href: str) -> list[CalendarObject]:
        return [CalendarObject(h, etag) for h, (etag, _) in self.objects.items()]

    def listing(self, href: str) -> SyncDelta:
        return SyncDelta(None, tuple(self.list_etags(href)))

    def multiget(self, href: str, hrefs: list[str]) -> list[CalendarObject]:
        self.multigets.append(sorted(hrefs))
        return [CalendarObject(h, self.objects[h][0], self.objects[h][1]) for h in hrefs]

    def sync_collection(self, href: str, token: str | None) -> None:
        raise AssertionError("no sync-collection on a server without sync-token")


def _sync(services: Services, server: EtagOnlyServer, ctag: str) -> None:
    info = CalendarInfo(f"{HOME}cal/", "cal", "Calendrier", ctag=ctag)
    with services.db.session() as session:
        coll = session.scalar(select(Collection))
        assert coll is not None
        if not calendar_changed(coll, info):
            return
        client = cast(CalendarClient, server)
        plan = plan_calendar(session, client, coll, info, NOW, "Europe/Paris")
        apply_calendar(session, coll, plan, NOW, "Europe/Paris")


def test_etag_listing_fetches_only_what_changed(services: Services) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = Source(
            association_id=association.id,
            name="dav",
            base_url="http://dav.example/",
            login="alice",
            password_enc=services.vault.encrypt("x"),
        )
        source.collections.append(
            Collection(kind="calendar", remote_path=f"{HOME}cal/", role="meetings")
        )
        session.add(source)
    server = EtagOnlyServer()
    _sync(services, server, ctag="c1")
    assert server.multigets == [[f"{HOME}cal/a.ics", f"{HOME}cal/b.ics"]]
    _sync(services, server, ctag="c1")
    assert len(server.multigets) == 1, "same ctag: nothing is asked"
    server.objects[f"{HOME}cal/b.ics"] = ("2", _ics("b", "Bureau déplacé"))
    del server.objects[f"{HOME}cal/a.ics"]
    _sync(services, server, ctag="c2")
    assert server.multigets[-1] == [f"{HOME}cal/b.ics"], "only the changed object is fetched"
    with services.db.session() as session:
        rows = {r.uid: r.ics for r in session.scalars(select(CalendarObjectRecord))}
    assert set(rows) == {"b"} and "déplacé" in rows["b"]
