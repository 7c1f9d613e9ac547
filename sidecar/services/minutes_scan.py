"""Reading the minutes: find each meeting's PV files, read and check those whose version changed.

``scan`` plans in one transaction (which PVs changed, from which source), downloads and reads
them outside any transaction, then records what it found (:class:`MinutesCheck`) and approves a
signed PDF on sight (:func:`sidecar.services.register.append_if_new`). The actions it read go
to :mod:`sidecar.services.actions`.

Each file is read as the officer's approval reads it (PROPFIND, GET, PROPFIND): the SHA-256
recorded (and frozen, for a signed PDF) is that of the version whose ETag the mirror holds. A
file that changed since the sync or while it was read is left for the next scan: nothing is
recorded or approved for it this time, and the report says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from sidecar.context import Services
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
from sidecar.services import meetings as meetings_service
from sidecar.services.file_access import Connections, connections, source_of
from sidecar.services.minutes_text import UnreadableMinutes, extract_text, readable
from sidecar.services.register import append_if_new, checks
from sidecar.storage.models import MinutesCheck, Source


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
    changed: int = 0  # changed since the sync or while read: left for the next scan
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
    changed: bool = False  # not the mirror's version, or edited while read: not recorded


def _download(conns: Connections, source: Source, pv: PvFile) -> _Download:
    """Read the mirror's version of ``pv``: PROPFIND before and after the GET must both give
    the mirror's ETag (and file id), so the bytes hashed are those of that version."""
    files = conns.for_source(source).files
    try:
        before = files.propfind(pv.file.path, "0")[0]
        data = files.get(pv.file.path)
        after = files.propfind(pv.file.path, "0")[0]
    except IntegrationError as err:
        return _Download(pv, error=str(err))
    stable = (before.etag, before.fileid) == (after.etag, after.fileid)
    known = pv.file.etag is None or (
        after.etag == pv.file.etag and (not pv.file.fileid or after.fileid == pv.file.fileid)
    )
    if not stable or not known:
        return _Download(pv, changed=True)
    try:
        return _Download(pv, data, extract_text(pv.file.name, data))
    except UnreadableMinutes as err:
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
            if got.changed:
                report.changed += 1
                report.errors.append(
                    f"{got.pv.file.path}: the file changed since the last sync or while Quorum "
                    "read it; it is read again (and a signed PDF approved) at the next scan."
                )
                continue
            row = _record(session, association_id, got, now)
            if got.text is None:
                report.unreadable += 1
                continue
            report.read += 1
            report.texts.append((got.pv, got.text))
            signed = is_signed_pdf(got.pv.file.name) and got.pv.file.fileid and got.pv.file.etag
            if signed and append_if_new(session, association_id, row, "signed_pdf", "Quorum", now):
                report.approved += 1
    return report
