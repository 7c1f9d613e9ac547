"""Sync against the real demo servers (Radicale + WsgiDAV under Nextcloud's URL layout).

Runs on SQLite and on PostgreSQL (the ``services`` fixture is parametrised).
"""

from __future__ import annotations

from sqlalchemy import select

from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.storage.models import CalendarObjectRecord, Collection, Occurrence, SyncRun
from tests.sync.helpers import (
    alice_calendars,
    alice_files,
    changes,
    connect,
    count,
    mirrored_fileids,
    mirrored_files,
    mirrored_uids,
    sync,
)


def test_initial_sync_mirrors_files_and_calendars(
    services: Services, demo_server: DemoServer
) -> None:
    info = demo_server.seed_info
    assert info is not None
    source_id = connect(services, demo_server.url)
    report = sync(services, source_id)
    assert report.outcome == "ok", report
    files = mirrored_files(services)
    assert "/Comptabilité/" in files
    assert f"/{info.lyon_folder}/RIB Crédit Mutuel.pdf" in files
    assert all(etag for etag in files.values()), "every file and folder has an ETag"
    uids = mirrored_uids(services)
    assert {"ca-mensuel@jardins-partages.example", "bureau@jardins-partages.example"} <= uids
    assert report.counts.added == len(files) + count(services, CalendarObjectRecord)
    with services.db.session() as session:
        run = session.scalar(select(SyncRun))
        assert run is not None and run.outcome == "ok" and run.requests == report.requests


def test_recurrences_are_expanded_with_exdate_and_override(
    services: Services, demo_server: DemoServer
) -> None:
    info = demo_server.seed_info
    assert info is not None
    sync(services, connect(services, demo_server.url))
    with services.db.session() as session:
        starts = [
            o.start
            for o in session.scalars(
                select(Occurrence).where(Occurrence.uid == "ca-mensuel@jardins-partages.example")
            )
        ]
    days = {s.date() for s in starts if s is not None}
    assert info.ca_next in days
    assert info.ca_exdate not in days, "the EXDATE occurrence is gone"
    assert info.ca_override_original not in days, "the moved occurrence left its day"
    assert info.ca_override_start in starts, "and arrived at its new time"


def test_no_change_resync_costs_two_requests(services: Services, demo_server: DemoServer) -> None:
    source_id = connect(services, demo_server.url)
    sync(services, source_id)
    before = mirrored_files(services)
    demo_server.stats.reset()
    report = sync(services, source_id)
    assert report.outcome == "ok"
    assert (report.counts.added, report.counts.changed, report.counts.removed) == (0, 0, 0)
    assert demo_server.stats.total == 2, demo_server.stats.records
    assert sorted(demo_server.stats.by_method().items()) == [("PROPFIND", 2)]
    assert mirrored_files(services) == before


def test_changed_file_is_found_by_descending_changed_folders_only(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    info = fresh_demo_server.seed_info
    assert info is not None
    source_id = connect(services, fresh_demo_server.url)
    sync(services, source_id)
    files = alice_files(fresh_demo_server.url)
    path = f"/{info.lyon_folder}/Budget prévisionnel {info.today.year + 1}.ods"
    old_etag = mirrored_files(services)[path]
    assert old_etag is not None
    files.put(path, b"new budget", if_match=old_etag)
    fresh_demo_server.stats.reset()
    report = sync(services, source_id)
    assert report.outcome == "ok"
    # the root alone (Depth 0: is anything new?), then root, Subventions/, the dossier
    # (Depth 1 each), calendar home: nothing else.
    assert fresh_demo_server.stats.by_method() == {"PROPFIND": 5}
    assert mirrored_files(services)[path] != old_etag
    assert ("changed", path, None) in changes(services)


def test_move_keeps_identity_and_delete_is_applied(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    info = fresh_demo_server.seed_info
    assert info is not None
    source_id = connect(services, fresh_demo_server.url)
    sync(services, source_id)
    client = alice_files(fresh_demo_server.url)
    src = f"/{info.lyon_folder}/Statuts.pdf"
    dst = "/Association/Statuts signés.pdf"
    fileid = mirrored_fileids(services)[src]
    client.http.request(
        "MOVE",
        client.url(src),
        headers={"Destination": client.url(dst), "Overwrite": "F"},
        expect=(201, 204),
    )
    gone = "/Communication/Affiche fête des jardins.png"
    etag = mirrored_files(services)[gone]
    assert etag is not None
    client.delete(gone, if_match=etag)
    report = sync(services, source_id)
    assert report.outcome == "ok"
    ids = mirrored_fileids(services)
    assert src not in ids and ids[dst] == fileid
    assert gone not in ids
    logged = changes(services)
    assert ("moved", dst, src) in logged
    assert ("removed", gone, None) in logged


def test_calendar_change_is_one_report(services: Services, fresh_demo_server: DemoServer) -> None:
    source_id = connect(services, fresh_demo_server.url)
    sync(services, source_id)
    calendars = alice_calendars(fresh_demo_server.url)
    home = calendars.discover_home()
    href = f"{home}echeances/quorum-test.ics"
    calendars.put(href, _event("quorum-test@example", "Réunion test"), if_none_match=True)
    fresh_demo_server.stats.reset()
    report = sync(services, source_id)
    assert report.outcome == "ok" and report.counts.added == 1
    methods = fresh_demo_server.stats.by_method()
    assert methods == {"PROPFIND": 2, "REPORT": 1}, fresh_demo_server.stats.records
    assert "quorum-test@example" in mirrored_uids(services)


def test_invalid_sync_token_means_one_full_resync(
    services: Services, demo_server: DemoServer
) -> None:
    source_id = connect(services, demo_server.url)
    sync(services, source_id)
    uids = mirrored_uids(services)
    with services.db.session() as session:
        for coll in session.scalars(select(Collection).where(Collection.kind == "calendar")):
            if coll.sync_token:
                coll.sync_token = "http://radicale.org/ns/sync/not-a-token"
    demo_server.stats.reset()
    report = sync(services, source_id)
    assert report.outcome == "ok", report
    assert mirrored_uids(services) == uids, "nothing lost, nothing duplicated"
    reports = demo_server.stats.by_method().get("REPORT", 0)
    enabled = _enabled_calendars(services)
    assert reports == 2 * enabled, "one refused REPORT and one full REPORT per calendar"
    demo_server.stats.reset()
    sync(services, source_id)
    assert demo_server.stats.total == 2, "and then it is quiet again"


def test_wrong_password_fails_cleanly(services: Services, demo_server: DemoServer) -> None:
    source_id = connect(services, demo_server.url)
    with services.db.session() as session:
        from sidecar.storage.models import Source

        src = session.get(Source, source_id)
        assert src is not None
        src.password_enc = services.vault.encrypt("wrong")
    report = sync(services, source_id)
    assert report.outcome == "failed"
    assert report.error is not None and "app password" in report.error
    assert "wrong" not in report.error
    assert report.requests == 1, "a 401 stops the run at once"


def _enabled_calendars(services: Services) -> int:
    with services.db.session() as session:
        return len(
            list(
                session.scalars(
                    select(Collection).where(
                        Collection.kind == "calendar", Collection.enabled.is_(True)
                    )
                )
            )
        )


def _event(uid: str, summary: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Quorum tests//FR\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261126T100000Z\r\nDTSTART:20270110T100000Z\r\n"
        f"DTEND:20270110T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
