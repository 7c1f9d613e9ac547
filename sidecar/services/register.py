"""Registre des délibérations: read and check each meeting's PV, freeze approved versions.

``scan`` reads every minutes file of the meetings (only files whose ETag changed since the last
reading are downloaded), stores what it found (:class:`MinutesCheck`), approves a signed PDF on
sight, and hands the actions it read to :mod:`sidecar.services.actions`. ``approve`` is the
officer's approval. Both append to the register: an insert-only table whose entries are chained
by SHA-256 (:mod:`sidecar.projection.register`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from sidecar.context import Services
from sidecar.errors import NotFound, QuorumError
from sidecar.projection.inputs import FileInfo
from sidecar.projection.meetings import Meeting
from sidecar.projection.minutes import (
    MinutesFacts,
    MinutesFinding,
    check_minutes,
    is_signed_pdf,
    read_minutes,
)
from sidecar.projection.readiness import is_minutes
from sidecar.projection.register import (
    GENESIS,
    ChainCheck,
    FrozenMinutes,
    RegisterEntry,
    entry_fields,
    hash_of,
    verify,
)
from sidecar.services import meetings as meetings_service
from sidecar.services.minutes_text import UnreadableMinutes, extract_text, readable
from sidecar.storage.models import (
    Association,
    Collection,
    FileRecord,
    MinutesCheck,
    RegisterEntryRecord,
    Source,
)
from sidecar.sync import connection as sources_service


@dataclass(frozen=True)
class PvFile:
    """A minutes file of a meeting."""

    meeting: Meeting
    file: FileInfo


@dataclass
class ScanReport:
    """What one scan did; ``texts`` keeps each PV's text read this time, for the actions."""

    read: int = 0
    unchanged: int = 0
    unreadable: int = 0
    approved: int = 0
    errors: list[str] = field(default_factory=list)
    texts: list[tuple[PvFile, str]] = field(default_factory=list)


def pv_files(meetings: Iterable[Meeting]) -> list[PvFile]:
    """The readable minutes files of meetings that took place, oldest meeting first."""
    return [
        PvFile(meeting, doc)
        for meeting in meetings
        if not meeting.cancelled
        for doc in meeting.documents
        if is_minutes(doc) and readable(doc.name)
    ]


# --- reading and checking --------------------------------------------------------------


class _Connections:
    """One connection per source, opened on first use and closed at the end of a scan."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.open: dict[int, sources_service.Connection] = {}

    def for_file(self, session: Session, file_id: int) -> sources_service.Connection:
        return self.for_source(source_of(session, file_id))

    def for_source(self, source: Source) -> sources_service.Connection:
        if source.id not in self.open:
            self.open[source.id] = sources_service.connect(
                source, self.services.vault, deadline=self.services.settings.http_timeout
            )
        return self.open[source.id]

    def close(self) -> None:
        for conn in self.open.values():
            conn.close()


def source_of(session: Session, file_id: int) -> Source:
    """The source a mirrored file comes from."""
    source = session.scalar(
        select(Source)
        .join(Collection, Collection.source_id == Source.id)
        .join(FileRecord, FileRecord.collection_id == Collection.id)
        .where(FileRecord.id == file_id)
    )
    if source is None:
        raise NotFound("This file is no longer in the mirror: sync again.")
    return source


@contextmanager
def connections(services: Services) -> Iterator[_Connections]:
    found = _Connections(services)
    try:
        yield found
    finally:
        found.close()


def facts_json(facts: MinutesFacts) -> dict[str, Any]:
    """The facts as JSON-ready values (dates as ISO text)."""
    data = asdict(facts)
    data["day"] = facts.day.isoformat() if facts.day else None
    data["labels"] = sorted(facts.labels)
    return data


def findings_json(findings: Iterable[MinutesFinding]) -> list[dict[str, Any]]:
    return [{"code": f.code, "params": dict(f.params)} for f in findings]


def _check_row(session: Session, association_id: int, pv: PvFile) -> MinutesCheck:
    row = session.scalar(
        select(MinutesCheck).where(
            MinutesCheck.association_id == association_id, MinutesCheck.path == pv.file.path
        )
    )
    if row is None:
        row = MinutesCheck(association_id=association_id, path=pv.file.path)
        session.add(row)
    row.meeting_uid, row.recurrence_id = pv.meeting.uid, pv.meeting.recurrence_id
    row.meeting_day, row.body_code = pv.meeting.day, pv.meeting.body.code
    return row


@dataclass(frozen=True)
class _Download:
    """One PV read outside any transaction: its bytes and text, or why it could not be read."""

    pv: PvFile
    data: bytes = b""
    text: str | None = None
    error: str | None = None


def _download(conns: _Connections, source: Source, pv: PvFile) -> _Download:
    try:
        data = conns.for_source(source).files.get(pv.file.path)
        return _Download(pv, data, extract_text(pv.file.name, data))
    except (UnreadableMinutes, IntegrationError) as err:
        return _Download(pv, error=str(err))


def _changed(
    session: Session, association_id: int, files: Iterable[PvFile]
) -> tuple[list[PvFile], int, int]:
    """The PVs whose version was not read yet; and how many are unchanged, and unreadable."""
    known = {row.path: row for row in checks(session, association_id)}
    todo, unchanged, unreadable = [], 0, 0
    for pv in files:
        row = known.get(pv.file.path)
        if (
            row is not None
            and row.etag is not None
            and (row.etag, row.fileid) == (pv.file.etag, pv.file.fileid)
        ):
            unchanged += row.error is None
            unreadable += row.error is not None
        else:
            todo.append(pv)
    return todo, unchanged, unreadable


def _record(session: Session, association_id: int, got: _Download, now: datetime) -> MinutesCheck:
    """Store what reading one PV found."""
    row = _check_row(session, association_id, got.pv)
    row.fileid, row.etag, row.checked_at = got.pv.file.fileid, got.pv.file.etag, now
    if got.text is None:
        row.error = got.error
        row.facts, row.findings, row.sha256 = {}, [{"code": "unreadable", "params": {}}], None
        return row
    facts = read_minutes(got.text)
    row.sha256 = hashlib.sha256(got.data).hexdigest()
    row.error = None
    row.facts = facts_json(facts)
    row.findings = findings_json(check_minutes(facts, got.pv.meeting))
    return row


def scan(services: Services, association_id: int, now: datetime) -> ScanReport:
    """Read every PV whose version changed, approve signed PDFs.

    Three steps, so no transaction is held while Nextcloud answers: plan (which PVs changed,
    from which source), download and read them, then record everything in one transaction.
    """
    report = ScanReport()
    with services.db.session() as session:
        meetings = meetings_service.list_meetings(session, association_id, now)
        todo, report.unchanged, report.unreadable = _changed(
            session, association_id, pv_files(m for m in meetings if m.start <= now)
        )
        sources = {pv.file.id: source_of(session, pv.file.id) for pv in todo}
    with connections(services) as conns:
        downloads = [_download(conns, sources[pv.file.id], pv) for pv in todo]
    with services.db.session() as session:
        for got in downloads:
            row = _record(session, association_id, got, now)
            if got.text is None:
                report.unreadable += 1
                continue
            report.read += 1
            report.texts.append((got.pv, got.text))
            signed = is_signed_pdf(got.pv.file.name) and got.pv.file.fileid and got.pv.file.etag
            if signed and _append_if_new(
                session, association_id, got.pv, row, "signed_pdf", "Quorum", now
            ):
                report.approved += 1
    return report


# --- the register ----------------------------------------------------------------------


def _lock(session: Session, association_id: int) -> None:
    """Serialise writers of one association's register for the rest of the transaction."""
    session.execute(
        update(Association).where(Association.id == association_id).values(id=Association.id)
    )


def entries(session: Session, association_id: int) -> list[RegisterEntry]:
    """The register in order, as stored."""
    rows = session.scalars(
        select(RegisterEntryRecord)
        .where(RegisterEntryRecord.association_id == association_id)
        .order_by(RegisterEntryRecord.seq)
    )
    return [_entry(r) for r in rows]


def _entry(row: RegisterEntryRecord) -> RegisterEntry:
    return RegisterEntry(
        seq=row.seq,
        meeting_uid=row.meeting_uid,
        meeting_day=row.meeting_day,
        body_code=row.body_code,
        path=row.path,
        fileid=row.fileid,
        etag=row.etag,
        sha256=row.sha256,
        approved_by=row.approved_by,
        approved_via=row.approved_via,
        approved_at=row.approved_at,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def check_chain(session: Session, association_id: int) -> ChainCheck:
    """Verify the whole register (order, links, each entry's hash)."""
    return verify(entries(session, association_id))


def append(
    session: Session,
    association_id: int,
    *,
    meeting_uid: str,
    meeting_day: str,
    body_code: str,
    path: str,
    fileid: str,
    etag: str,
    sha256: str,
    approved_by: str,
    approved_via: str,
    now: datetime,
) -> RegisterEntry:
    """Add one entry at the end of the chain (the only write the register ever gets)."""
    _lock(session, association_id)
    last = session.scalar(
        select(RegisterEntryRecord)
        .where(RegisterEntryRecord.association_id == association_id)
        .order_by(RegisterEntryRecord.seq.desc())
        .limit(1)
    )
    draft = RegisterEntry(
        seq=(last.seq + 1) if last else 1,
        meeting_uid=meeting_uid,
        meeting_day=meeting_day,
        body_code=body_code,
        path=path,
        fileid=fileid,
        etag=etag,
        sha256=sha256,
        approved_by=approved_by,
        approved_via=approved_via,
        approved_at=now.replace(microsecond=0),
        prev_hash=last.entry_hash if last else GENESIS,
        entry_hash="",
    )
    fields = entry_fields(draft)
    row = RegisterEntryRecord(association_id=association_id, entry_hash=hash_of(fields))
    for name in fields:
        setattr(row, name, getattr(draft, name))
    session.add(row)
    try:
        session.flush()
    except IntegrityError as err:  # another writer took this seq: the lock makes it rare
        raise QuorumError("The register changed meanwhile: approve again.") from err
    return _entry(row)


def _registered(session: Session, association_id: int, fileid: str, etag: str) -> bool:
    return (
        session.scalar(
            select(RegisterEntryRecord.id).where(
                RegisterEntryRecord.association_id == association_id,
                RegisterEntryRecord.fileid == fileid,
                RegisterEntryRecord.etag == etag,
            )
        )
        is not None
    )


def _append_if_new(
    session: Session,
    association_id: int,
    pv: PvFile,
    row: MinutesCheck,
    via: str,
    by: str,
    now: datetime,
) -> bool:
    fileid, etag = pv.file.fileid or "", pv.file.etag or ""
    if _registered(session, association_id, fileid, etag) or row.sha256 is None:
        return False
    append(
        session,
        association_id,
        meeting_uid=pv.meeting.uid,
        meeting_day=pv.meeting.day.isoformat(),
        body_code=pv.meeting.body.code,
        path=pv.file.path,
        fileid=fileid,
        etag=etag,
        sha256=row.sha256,
        approved_by=by,
        approved_via=via,
        now=now,
    )
    return True


def find_check(session: Session, association_id: int, check_id: int) -> MinutesCheck:
    row = session.get(MinutesCheck, check_id)
    if row is None or row.association_id != association_id:
        raise NotFound(f"No minutes #{check_id}: scan the minutes again.")
    return row


def approve(
    services: Services, association_id: int, check_id: int, by: str, now: datetime
) -> RegisterEntry:
    """An officer approves the PV as it is now on Nextcloud: its version is frozen.

    The file is read again (PROPFIND, GET, PROPFIND): what is frozen is exactly the version
    whose SHA-256 Quorum computed, never one edited while it was being read.
    """
    with services.db.session() as session, connections(services) as conns:
        row = find_check(session, association_id, check_id)
        record = session.scalar(
            select(FileRecord)
            .join(Collection, FileRecord.collection_id == Collection.id)
            .join(Source, Collection.source_id == Source.id)
            .where(Source.association_id == association_id, FileRecord.path == row.path)
        )
        if record is None:
            raise NotFound("This PV is no longer in the mirror: sync, then approve it again.")
        files = conns.for_file(session, record.id).files
        try:
            before = files.propfind(row.path, "0")[0]
            data = files.get(row.path)
            after = files.propfind(row.path, "0")[0]
        except IntegrationError as err:
            raise QuorumError(f"Quorum could not read the PV on Nextcloud: {err}") from err
        if before.etag != after.etag or not after.fileid or not after.etag:
            raise QuorumError("The PV changed while Quorum read it: approve it again.")
        if _registered(session, association_id, after.fileid, after.etag):
            raise QuorumError("This version of the PV is already in the register.")
        return append(
            session,
            association_id,
            meeting_uid=row.meeting_uid,
            meeting_day=row.meeting_day.isoformat(),
            body_code=row.body_code,
            path=row.path,
            fileid=after.fileid,
            etag=after.etag,
            sha256=hashlib.sha256(data).hexdigest(),
            approved_by=by,
            approved_via="officer",
            now=now,
        )


def frozen(session: Session, association_id: int) -> list[FrozenMinutes]:
    """The latest approved version of each PV file, with how the file stands in the mirror."""
    latest: dict[str, RegisterEntry] = {}
    for entry in entries(session, association_id):
        latest[entry.fileid] = entry
    if not latest:
        return []
    mirror = {
        fileid: (etag, path)
        for fileid, etag, path in session.execute(
            select(FileRecord.fileid, FileRecord.etag, FileRecord.path)
            .join(Collection, FileRecord.collection_id == Collection.id)
            .join(Source, Collection.source_id == Source.id)
            .where(Source.association_id == association_id, FileRecord.fileid.in_(list(latest)))
        )
    }
    return [
        FrozenMinutes(
            seq=e.seq,
            meeting_day=e.meeting_day,
            body_code=e.body_code,
            path=e.path,
            fileid=e.fileid,
            frozen_etag=e.etag,
            current_etag=mirror.get(e.fileid, (None, None))[0],
            current_path=mirror.get(e.fileid, (None, None))[1],
        )
        for e in latest.values()
    ]


def checks(session: Session, association_id: int) -> list[MinutesCheck]:
    """Every PV read so far, latest meeting first."""
    return list(
        session.scalars(
            select(MinutesCheck)
            .where(MinutesCheck.association_id == association_id)
            .order_by(MinutesCheck.meeting_day.desc(), MinutesCheck.path)
        )
    )
