"""The stored read models give the same meetings as projecting everything on each request.

On the demo association, synced on SQLite and on PostgreSQL: the full projection (every
occurrence classified, every file scanned) is the reference; windows, pagination and the
overview's "next N" read from the stored read models must give the same meetings, with the
same documents and readiness. After a change (an admin's override, a new file in a meeting's
folder) the next read sees it. The API validates ``from``/``to``/``limit``/``offset``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import func, select

from sidecar.context import Services, resolve_association
from sidecar.demo import DemoServer
from sidecar.projection.meetings import Meeting, project_meetings
from sidecar.services import jobs
from sidecar.services import meetings as service
from sidecar.services.conventions import meeting_folder_pattern
from sidecar.storage.models import FileRecord, MeetingRow
from sidecar.storage.read import (
    load_bodies,
    load_events,
    load_files,
    load_overrides,
    load_proxies,
)
from sidecar.web import create_app
from tests.access_helpers import LoginAs, signed_in_client

NOW = datetime.now(UTC)


def reference(services: Services) -> list[Meeting]:
    """Every meeting, projected from the whole mirror as before the read models."""
    with services.db.session() as session:
        association = resolve_association(session, None)
        aid = association.id
        return project_meetings(
            load_events(session, aid),
            load_bodies(session, aid),
            load_files(session, aid),
            NOW,
            ZoneInfo(association.timezone),
            overrides=load_overrides(session, aid),
            manual_proxies=load_proxies(session, aid),
            folder_pattern=meeting_folder_pattern(association),
        )


def listed(services: Services, **window: object) -> list[Meeting]:
    with services.db.session() as session:
        aid = resolve_association(session, None).id
        return service.list_meetings(session, aid, NOW, **window)  # type: ignore[arg-type]


def test_stored_meetings_equal_the_full_projection(synced: Services) -> None:
    expected = reference(synced)
    assert len(expected) > 5
    assert listed(synced) == expected


def test_windows_and_pages_cut_the_same_list(synced: Services) -> None:
    expected = reference(synced)
    start, end = NOW - timedelta(days=60), NOW + timedelta(days=120)
    assert listed(synced, start=start, end=end) == [m for m in expected if start <= m.start < end]
    pages = [listed(synced, limit=3, offset=offset) for offset in range(0, len(expected) + 3, 3)]
    assert [m for page in pages for m in page] == expected
    assert listed(synced, period="upcoming") == [m for m in expected if m.end >= NOW]
    assert listed(synced, period="past") == [m for m in expected if m.end < NOW][::-1]
    assert listed(synced, body="ca") == [m for m in expected if m.body.code == "CA"]
    assert listed(synced, visible={"BUREAU"}) == [m for m in expected if m.body.code == "BUREAU"]
    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        nexts = service.upcoming(session, aid, NOW, limit=4)
    assert nexts == [m for m in expected if m.counted and m.end >= NOW][:4]


def test_an_override_and_a_new_file_are_seen_at_the_next_read(synced: Services) -> None:
    before = listed(synced, period="upcoming")
    first = before[0]
    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        service.set_override(
            session, aid, first.uid, first.recurrence_id, body_id=None, not_a_meeting=True
        )
    assert first.id not in [m.id for m in listed(synced, period="upcoming")]
    other = before[1]
    with synced.db.session() as session:
        collection_id = session.scalars(select(FileRecord.collection_id)).first()
        session.add(
            FileRecord(
                collection_id=collection_id,
                path=f"/{other.folder}Ordre du jour.pdf",
                is_folder=False,
                etag='"new"',
            )
        )
    [again] = [m for m in listed(synced, period="upcoming") if m.id == other.id]
    assert f"/{other.folder}Ordre du jour.pdf" in [f.path for f in again.documents]
    assert again.readiness.agenda
    assert listed(synced) == reference(synced)


def test_the_read_model_is_built_once_per_change(synced: Services) -> None:
    listed(synced)
    with synced.db.session() as session:
        built = session.scalars(select(MeetingRow.occurrence_id)).all()
        session.execute(MeetingRow.__table__.update().values(title="stored"))  # type: ignore[attr-defined]
    # Nothing changed: the stored rows are read as they are, not rebuilt.
    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        from sidecar.storage import read_models

        entries = read_models.meetings(session, aid, read_models.Window())
    assert {e.title for e in entries} == {"stored"} and len(entries) == len(built)
    listed(synced)
    with synced.db.session() as session:
        assert set(session.scalars(select(MeetingRow.title))) == {"stored"}


def test_api_windows_and_validation(synced: Services) -> None:
    client: FlaskClient = signed_in_client(create_app({"TESTING": True}, services=synced))
    expected = [m.id for m in reference(synced)]
    got: list[int] = []
    offset: int | None = 0
    while offset is not None:
        answer = client.get(f"/api/v1/meetings?limit=2&offset={offset}")
        body = answer.get_json()
        assert answer.status_code == 200
        got += [m["id"] for m in body["meetings"]]
        offset = body["next_offset"]
    assert got == expected
    for query in ("limit=0", "limit=501", "limit=abc", "offset=-1", "from=hier"):
        answer = client.get(f"/api/v1/meetings?{query}")
        assert answer.status_code == 400, query
        assert answer.get_json()["error"]
    answer = client.get("/api/v1/meetings?from=2026-03-01&to=2026-02-01")
    assert answer.status_code == 400 and "after" in answer.get_json()["error"]


def test_meetings_page_paginates(synced: Services) -> None:
    client = signed_in_client(create_app({"TESTING": True}, services=synced))
    page = client.get("/meetings?when=past")
    assert page.status_code == 200
    assert client.get("/meetings?when=past&page=2").status_code == 200
    assert client.get("/meetings?page=x").status_code == 200  # a bad page number is page 1


def test_overview_deadlines_show_the_latest_overdue_tasks_and_the_next_items(
    synced: Services,
) -> None:
    from sidecar.services import dashboard
    from sidecar.storage.models import CalendarObjectRecord, Collection, Occurrence

    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        before = dashboard.upcoming(session, aid, "deadlines", NOW, limit=3)
        collection = session.scalars(
            select(Collection).where(Collection.role == "deadlines")
        ).first()
        assert collection is not None
        for n in range(12):  # twelve forgotten tasks, one a week
            obj = CalendarObjectRecord(
                collection_id=collection.id, href=f"/old-{n}.ics", uid=f"old-{n}"
            )
            session.add(obj)
            session.flush()
            session.add(
                Occurrence(
                    object_id=obj.id,
                    collection_id=collection.id,
                    uid=f"old-{n}",
                    component="VTODO",
                    summary=f"Tâche oubliée {n}",
                    start=NOW - timedelta(days=7 * (n + 1)),
                    status="NEEDS-ACTION",
                )
            )
    with synced.db.session() as session:
        found = dashboard.upcoming(session, aid, "deadlines", NOW, limit=3)
    overdue = [v for v in found if v.overdue]
    assert [v.summary for v in overdue] == ["Tâche oubliée 2", "Tâche oubliée 1", "Tâche oubliée 0"]
    assert [v for v in found if not v.overdue] == [v for v in before if not v.overdue]
    assert len([v for v in found if not v.overdue]) <= 3


def _fresh(services: Services) -> bool:
    """Are the stored read models those of the data as it is now (no page would rebuild)?"""
    from sidecar.storage import read_models

    with services.db.session() as session:
        association = resolve_association(session, None)
        current = read_models.fingerprint(session, association)
        return read_models.stored_fingerprint(session, association.id) == current


def test_a_sync_that_changed_something_rebuilds_the_read_models_before_any_page(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    """Issue 14: derived when the data changes, not in the first request after it (4–7 s
    at medium size, paid by whoever opened a page first)."""
    from tests.sync.helpers import alice_files, close_clients, connect

    info = fresh_demo_server.seed_info
    assert info is not None
    source_id = connect(services, fresh_demo_server.url)
    first = jobs.sync_source(services.db, services.vault, source_id)
    assert first.counts.added and _fresh(services)
    path = f"/{info.lyon_folder}/Note {info.today.year}.txt"
    try:
        alice_files(fresh_demo_server.url).put(path, b"nouvelle note", if_none_match=True)
    finally:
        close_clients()
    second = jobs.sync_source(services.db, services.vault, source_id)
    assert second.counts.added == 1 and _fresh(services)
    assert listed(services) == reference(services)


def test_a_page_that_changes_a_body_leaves_the_read_models_built(
    synced: Services, login_as: LoginAs
) -> None:
    """The admin who changed something pays for the rebuild, not the next reader."""
    client = login_as("admin")
    client.get("/meetings")
    assert _fresh(synced)
    answer = client.put("/api/v1/bodies/ca", json={"match_patterns": ["conseil", "CA "]})
    assert answer.status_code == 200, answer.json
    assert _fresh(synced)  # no read happened since the write


def test_overview_deadlines_from_two_calendars_are_merged(synced: Services) -> None:
    """Each deadlines calendar is read on its own (an ordered index scan that stops at the
    items shown), then merged: the same items as one read of all of them, worked out here."""
    from sidecar.services import dashboard
    from sidecar.storage.models import Collection, Occurrence

    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        busiest = session.scalars(
            select(Collection)
            .join(Occurrence, Occurrence.collection_id == Collection.id)
            .where(Collection.role == "meetings")
            .group_by(Collection.id)
            .order_by(func.count(Occurrence.id).desc())
        ).first()
        assert busiest is not None
        busiest.role = "deadlines"  # its meetings become deadlines too
    with synced.db.session() as session:
        found = dashboard.upcoming(session, aid, "deadlines", NOW, limit=4)
        rows = session.execute(
            select(Occurrence, Collection.display_name)
            .join(Collection, Occurrence.collection_id == Collection.id)
            .where(Collection.role == "deadlines", Collection.enabled.is_(True))
        ).all()
    midnight = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC)
    # (start, id, summary, calendar, is a task, late) of every item neither cancelled nor done
    live = [
        (
            o.start,
            o.id,
            o.summary,
            name,
            o.component == "VTODO",
            o.start < (midnight if o.all_day else NOW),
        )
        for o, name in rows
        if o.start is not None and (o.status or "") not in ("CANCELLED", "COMPLETED")
    ]
    horizon = NOW - dashboard.OVERDUE_HORIZON
    overdue = sorted(i for i in live if i[4] and i[5] and i[0] >= horizon)[-4:]
    coming = sorted(i for i in live if not i[5] and i[0] >= NOW - timedelta(days=1))[:4]
    expected = [(i[2], i[3], True) for i in overdue] + [(i[2], i[3], False) for i in coming]
    assert [(v.summary, v.calendar, v.overdue) for v in found] == expected
    assert len({v.calendar for v in found}) == 2  # both calendars among the items shown
