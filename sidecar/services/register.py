"""Registre des délibérations: the insert-only register of approved PV versions, chained by hash.

An officer approves a PV (:func:`approve`), or a signed PDF is approved on sight by the minutes
scan (:func:`append_if_new`): its SHA-256, Nextcloud file id and ETag become an entry whose hash
covers the previous entry's (:mod:`sidecar.projection.register`). Each append also moves the
register's head (:class:`~sidecar.storage.models.RegisterHead`) in the same transaction, so a
removed tail shows when the chain is verified; database triggers refuse any UPDATE or DELETE of
an entry (migration 0016). :func:`frozen` tells the rules which approved files changed since.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from sidecar.context import Services
from sidecar.errors import NotFound, QuorumError
from sidecar.projection.register import (
    GENESIS,
    ChainCheck,
    ChainHead,
    FrozenMinutes,
    RegisterEntry,
    entry_fields,
    hash_of,
    verify,
)
from sidecar.services.file_access import connections
from sidecar.storage.models import (
    Association,
    Collection,
    FileRecord,
    MinutesCheck,
    RegisterEntryRecord,
    RegisterHead,
    Source,
)

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


def head(session: Session, association_id: int) -> ChainHead | None:
    """The last entry the register recorded; None when it never had one."""
    row = session.get(RegisterHead, association_id)
    return None if row is None else ChainHead(row.seq, row.entry_hash)


def check_chain(session: Session, association_id: int) -> ChainCheck:
    """Verify the whole register (order, links, each entry's hash, the head)."""
    return verify(entries(session, association_id), head(session, association_id))


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
        _move_head(session, association_id, row)
    except IntegrityError as err:  # another writer took this seq: the lock makes it rare
        raise QuorumError("The register changed meanwhile: approve again.") from err
    return _entry(row)


def _move_head(session: Session, association_id: int, row: RegisterEntryRecord) -> None:
    """The head follows the entry just added (a trigger refuses any other move)."""
    current = session.get(RegisterHead, association_id)
    if current is None:
        session.add(
            RegisterHead(association_id=association_id, seq=row.seq, entry_hash=row.entry_hash)
        )
    else:
        current.seq, current.entry_hash = row.seq, row.entry_hash
    session.flush()


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


def append_if_new(
    session: Session, association_id: int, row: MinutesCheck, via: str, by: str, now: datetime
) -> bool:
    """Freeze the version of the PV that ``row`` read, unless it is already in the register."""
    fileid, etag = row.fileid or "", row.etag or ""
    if not fileid or not etag or row.sha256 is None:
        return False
    if _registered(session, association_id, fileid, etag):
        return False
    append(
        session,
        association_id,
        meeting_uid=row.meeting_uid,
        meeting_day=row.meeting_day.isoformat(),
        body_code=row.body_code,
        path=row.path,
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
    """The latest approved version of each PV file, with how the file stands in the mirror.

    A file replaced by a new one under the same path (a new file id) whose version was approved
    since is superseded: only the replacement is watched. With no mirrored file at all (no
    source synced) nothing can be judged, so nothing is returned.
    """
    latest: dict[str, RegisterEntry] = {}
    by_path: dict[str, RegisterEntry] = {}
    for entry in entries(session, association_id):
        latest[entry.fileid] = entry
        by_path[entry.path] = entry
    latest = {f: e for f, e in latest.items() if by_path[e.path].fileid == f}
    if not latest or not _mirrored(session, association_id):
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


def _mirrored(session: Session, association_id: int) -> bool:
    return (
        session.scalar(
            select(FileRecord.id)
            .join(Collection, FileRecord.collection_id == Collection.id)
            .join(Source, Collection.source_id == Source.id)
            .where(Source.association_id == association_id)
            .limit(1)
        )
        is not None
    )


def checks(session: Session, association_id: int) -> list[MinutesCheck]:
    """Every PV read so far, latest meeting first."""
    return list(
        session.scalars(
            select(MinutesCheck)
            .where(MinutesCheck.association_id == association_id)
            .order_by(MinutesCheck.meeting_day.desc(), MinutesCheck.path)
        )
    )
