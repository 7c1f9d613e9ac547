"""The register of deliberations against the demo Nextcloud: real ODT, DOCX and PDF minutes are
put in a past board meeting's folder, synced, read and checked; approved versions are frozen in a
hash chain; an edit after approval raises one alert."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from integrations.webdav import FilesClient
from sidecar.alerts import service as alerts_service
from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.demo.seed import CA_FOLDER
from sidecar.projection.register import RegisterEntry
from sidecar.services import minutes_scan, register
from sidecar.storage.models import Alert, Association, MinutesCheck, RegisterEntryRecord
from tests.minutes.documents import clean_pv, docx, odt, pdf
from tests.minutes.guard import lift_guard
from tests.sync.helpers import alice_files, sync


def past_meeting_day(server: DemoServer) -> date:
    """The latest past monthly board meeting whose folder has a (seeded) PV."""
    info = server.seed_info
    assert info is not None
    return [d for d in info.ca_folder_dates if d < info.today and d != info.ca_minutes_missing][-1]


def association_id(services: Services) -> int:
    with services.db.session() as session:
        return session.scalars(select(Association.id)).one()


def _by_name(services: Services, aid: int) -> dict[str, MinutesCheck]:
    with services.db.session() as session:
        rows = register.checks(session, aid)
        session.expunge_all()
    return {row.path.rsplit("/", 1)[-1]: row for row in rows}


def _codes(row: MinutesCheck) -> list[tuple[str, dict[str, str]]]:
    return [(f["code"], f["params"]) for f in row.findings]


def test_a_missing_field_a_contradiction_and_a_clean_pv_are_each_found(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int]
) -> None:
    services, source_id = fresh_synced
    day = past_meeting_day(fresh_demo_server)
    folder = f"{CA_FOLDER}/{day.isoformat()}"
    files = alice_files(fresh_demo_server.url)
    clean = clean_pv(day)
    incomplete = [line for line in clean if not line.startswith(("Secrétaire", "Signatures"))]
    contradicting = [
        "Présents (5) : Alice Example, Bernard Lefèvre, Hélène Roussel, Chloé Dubois-Hérault, "
        "Étienne Nguyen"
        if line.startswith("Présents")
        else line
        for line in clean
    ]
    files.put(f"{folder}/PV CA propre.odt", odt(clean), if_none_match=True)
    files.put(f"{folder}/PV CA incomplet.docx", docx(incomplete), if_none_match=True)
    files.put(f"{folder}/PV CA contradictoire.pdf", pdf(contradicting), if_none_match=True)
    assert sync(services, source_id).outcome == "ok"
    aid = association_id(services)

    report = minutes_scan.scan(services, aid, datetime.now(UTC))

    found = _by_name(services, aid)
    assert _codes(found["PV CA propre.odt"]) == []
    assert found["PV CA propre.odt"].facts["present_count"] == 3
    assert _codes(found["PV CA incomplet.docx"]) == [
        ("missing", {"field": "secretary"}),
        ("missing", {"field": "signatures"}),
    ]
    assert _codes(found["PV CA contradictoire.pdf"]) == [
        ("count_differs", {"accepted": "3", "present": "5", "proxies": "1", "represented": "1"})
    ]
    # the seeded PV is a placeholder, not a real PDF: said so, not silently skipped
    seeded = found[f"PV CA {day.isoformat()}.pdf"]
    assert seeded.error and _codes(seeded) == [("unreadable", {})]
    assert report.read == 3 and report.unreadable >= 1  # the seeded placeholder PVs

    again = minutes_scan.scan(services, aid, datetime.now(UTC))
    assert again.read == 0 and again.unchanged == 3  # nothing downloaded when no ETag changed


def test_a_signed_pdf_is_approved_on_sight(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int]
) -> None:
    services, source_id = fresh_synced
    day = past_meeting_day(fresh_demo_server)
    path = f"{CA_FOLDER}/{day.isoformat()}/PV CA {day.isoformat()} signé.pdf"
    alice_files(fresh_demo_server.url).put(path, pdf(clean_pv(day)), if_none_match=True)
    sync(services, source_id)
    aid = association_id(services)

    assert minutes_scan.scan(services, aid, datetime.now(UTC)).approved == 1
    assert minutes_scan.scan(services, aid, datetime.now(UTC)).approved == 0

    with services.db.session() as session:
        [entry] = register.entries(session, aid)
        assert entry.path == "/" + path and entry.approved_via == "signed_pdf"
        assert entry.body_code == "CA" and entry.meeting_day == day.isoformat()
        assert len(entry.sha256) == 64 and entry.fileid and entry.etag


def _alerts(services: Services, rule: str) -> list[Alert]:
    with services.db.session() as session:
        rows = list(session.scalars(select(Alert).where(Alert.rule == rule)))
        session.expunge_all()
    return rows


def _approved_pv(
    server: DemoServer, services: Services, source_id: int
) -> tuple[int, date, str, FilesClient, RegisterEntry]:
    """A clean PV put on the demo, synced, scanned and approved by an officer (entry 1), the
    alerts reconciled: (association id, meeting day, path, alice's files, the entry)."""
    day = past_meeting_day(server)
    path = f"{CA_FOLDER}/{day.isoformat()}/PV CA approuvé.odt"
    files = alice_files(server.url)
    files.put(path, odt(clean_pv(day)), if_none_match=True)
    sync(services, source_id)
    aid = association_id(services)
    minutes_scan.scan(services, aid, datetime.now(UTC))
    check_id = _by_name(services, aid)["PV CA approuvé.odt"].id
    entry = register.approve(services, aid, check_id, "chloe", datetime.now(UTC))
    alerts_service.reconcile_association(services, aid, datetime.now(UTC))
    return aid, day, path, files, entry


def test_an_approved_pv_edited_afterwards_raises_exactly_one_alert(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int]
) -> None:
    services, source_id = fresh_synced
    aid, day, path, files, entry = _approved_pv(fresh_demo_server, services, source_id)
    assert entry.seq == 1 and entry.approved_via == "officer" and entry.approved_by == "chloe"
    assert _alerts(services, "minutes_edited_after_approval") == []

    for n in (1, 2):  # edited twice, synced each time: still one alert
        etag = files.propfind(path, "0")[0].etag
        files.put(path, odt([*clean_pv(day), f"Correction {n}"]), if_match=etag)
        sync(services, source_id)
        alerts_service.reconcile_association(services, aid, datetime.now(UTC))
    [alert] = _alerts(services, "minutes_edited_after_approval")
    assert alert.state == "open" and alert.severity == "high"
    assert alert.params["path"] == "/" + path

    # approving the new version freezes it as entry 2 and clears the alert
    minutes_scan.scan(services, aid, datetime.now(UTC))
    check_id = _by_name(services, aid)["PV CA approuvé.odt"].id
    register.approve(services, aid, check_id, "chloe", datetime.now(UTC))
    alerts_service.reconcile_association(services, aid, datetime.now(UTC))
    [alert] = _alerts(services, "minutes_edited_after_approval")
    assert alert.state == "resolved"


def test_the_chain_verifies_and_detects_a_tampered_entry(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int]
) -> None:
    services, source_id = fresh_synced
    day = past_meeting_day(fresh_demo_server)
    files = alice_files(fresh_demo_server.url)
    for name in ("PV CA a signé.pdf", "PV CA b signé.pdf", "PV CA c signé.pdf"):
        files.put(f"{CA_FOLDER}/{day}/{name}", pdf(clean_pv(day)), if_none_match=True)
    sync(services, source_id)
    aid = association_id(services)
    minutes_scan.scan(services, aid, datetime.now(UTC))
    with services.db.session() as session:
        check = register.check_chain(session, aid)
        assert check.ok and check.entries == 3
        chain = register.entries(session, aid)
        assert chain[1].prev_hash == chain[0].entry_hash
        assert chain[2].prev_hash == chain[1].entry_hash

    lift_guard(services)  # the database refuses the UPDATE otherwise (see test_register_guard)
    with services.db.session() as session:  # someone with database access rewrites entry 2
        session.execute(
            update(RegisterEntryRecord).where(RegisterEntryRecord.seq == 2).values(sha256="0" * 64)
        )
    with services.db.session() as session:
        check = register.check_chain(session, aid)
    assert not check.ok and check.broken_at == 2 and check.reason == "hash"

    with services.db.session() as session:  # ... and recomputes its hash: the link breaks
        row = session.scalars(select(RegisterEntryRecord).where(RegisterEntryRecord.seq == 2)).one()
        from sidecar.projection.register import entry_fields, hash_of

        row.entry_hash = hash_of(entry_fields(register._entry(row)))
    with services.db.session() as session:
        check = register.check_chain(session, aid)
    assert not check.ok and check.broken_at == 3 and check.reason == "link"


def test_an_approved_pv_deleted_or_replaced_raises_exactly_one_alert(
    fresh_demo_server: DemoServer, fresh_synced_db: tuple[Services, int]
) -> None:
    """On SQLite and PostgreSQL: the approved file is deleted on Nextcloud, then a new file is
    put under its name (a new file id): one alert, until the replacement is approved."""
    services, source_id = fresh_synced_db
    aid, day, path, files, entry = _approved_pv(fresh_demo_server, services, source_id)
    assert _alerts(services, "minutes_removed_after_approval") == []

    # the replacement is prepared under another name first: a new file, a new file id (the
    # demo's file id is the inode, which a file created after the delete could reuse)
    draft = f"{CA_FOLDER}/{day.isoformat()}/brouillon.odt"
    files.put(draft, odt([*clean_pv(day), "Version refaite"]), if_none_match=True)
    files.delete(path, if_match=files.propfind(path, "0")[0].etag or "")
    for _ in (1, 2):
        sync(services, source_id)
        alerts_service.reconcile_association(services, aid, datetime.now(UTC))
    [alert] = _alerts(services, "minutes_removed_after_approval")
    assert alert.state == "open" and alert.severity == "high"
    assert alert.params["path"] == "/" + path and alert.params["seq"] == str(entry.seq)
    assert _alerts(services, "minutes_edited_after_approval") == []

    files.http.request(  # replaced: the new file takes the approved one's name
        "MOVE", files.url(draft), headers={"Destination": files.url(path)}, expect=(201, 204)
    )
    sync(services, source_id)
    alerts_service.reconcile_association(services, aid, datetime.now(UTC))
    [alert] = _alerts(services, "minutes_removed_after_approval")
    assert alert.state == "open"
    assert files.propfind(path, "0")[0].fileid != entry.fileid

    minutes_scan.scan(services, aid, datetime.now(UTC))  # the replacement is approved
    register.approve(
        services, aid, _by_name(services, aid)["PV CA approuvé.odt"].id, "chloe", datetime.now(UTC)
    )
    alerts_service.reconcile_association(services, aid, datetime.now(UTC))
    [alert] = _alerts(services, "minutes_removed_after_approval")
    assert alert.state == "resolved"
    assert _alerts(services, "minutes_edited_after_approval") == []


def test_a_signed_pdf_edited_while_read_is_not_approved_with_the_wrong_etag(
    fresh_demo_server: DemoServer,
    fresh_synced_db: tuple[Services, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The signed PDF is replaced on the demo server right after Quorum's GET: the bytes read
    are not those of the ETag after. Nothing is recorded or approved this time; the next scan
    after a sync approves the new version, its SHA-256 paired with its own ETag."""
    services, source_id = fresh_synced_db
    day = past_meeting_day(fresh_demo_server)
    path = f"{CA_FOLDER}/{day.isoformat()}/PV CA {day.isoformat()} signé.pdf"
    files = alice_files(fresh_demo_server.url)
    files.put(path, pdf(clean_pv(day)), if_none_match=True)
    sync(services, source_id)
    aid = association_id(services)
    edited = pdf([*clean_pv(day), "Signé à nouveau"])
    real_get = FilesClient.get

    def get_then_edit(self: FilesClient, remote: str) -> bytes:
        data = real_get(self, remote)
        if remote.endswith("signé.pdf"):
            files.put(path, edited, if_match=files.propfind(path, "0")[0].etag)
        return data

    monkeypatch.setattr(FilesClient, "get", get_then_edit)
    report = minutes_scan.scan(services, aid, datetime.now(UTC))
    monkeypatch.undo()
    assert report.approved == 0 and report.changed == 1
    assert report.errors and "/" + path in report.errors[0]
    with services.db.session() as session:
        assert register.entries(session, aid) == []
    assert "/" + path not in {row.path for row in _by_name(services, aid).values()}

    sync(services, source_id)
    report = minutes_scan.scan(services, aid, datetime.now(UTC))
    assert report.approved == 1 and report.changed == 0
    with services.db.session() as session:
        [entry] = register.entries(session, aid)
    assert entry.sha256 == hashlib.sha256(edited).hexdigest()
    assert entry.etag == files.propfind(path, "0")[0].etag
    alerts_service.reconcile_association(services, aid, datetime.now(UTC))
    assert _alerts(services, "minutes_edited_after_approval") == []
