"""The register of approved minutes (registre des délibérations): entries chained by hash.

Pure. Each entry records one approved PV version (its SHA-256, Nextcloud file id and ETag) and
the hash of the entry before it, so changing, removing or re-ordering any past entry breaks
every hash after it. The last entry has no successor to break: the register's head (its seq
and hash, kept apart from the entries) shows a removed tail. :func:`verify` says where the
chain first breaks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64


@dataclass(frozen=True)
class RegisterEntry:
    """One approved PV version, as stored (``entry_hash`` covers every other field)."""

    seq: int
    meeting_uid: str
    meeting_day: str  # ISO date of the meeting
    body_code: str
    path: str
    fileid: str
    etag: str
    sha256: str
    approved_by: str
    approved_via: str  # officer | signed_pdf
    approved_at: datetime
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class ChainCheck:
    """The verdict on a register: ``broken_at`` is the first entry's seq that does not verify."""

    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str | None = None  # hash | link | sequence | head (the tail was removed or changed)


@dataclass(frozen=True)
class ChainHead:
    """The last entry the register recorded (seq and hash), stored apart from the entries."""

    seq: int
    entry_hash: str


def content(fields: Mapping[str, object]) -> str:
    """The canonical text hashed for an entry: sorted JSON, UTC ISO times, no spaces."""
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def entry_fields(entry: RegisterEntry) -> dict[str, object]:
    """Every field an entry's hash covers (all but ``entry_hash`` itself)."""
    return {
        "seq": entry.seq,
        "meeting_uid": entry.meeting_uid,
        "meeting_day": entry.meeting_day,
        "body_code": entry.body_code,
        "path": entry.path,
        "fileid": entry.fileid,
        "etag": entry.etag,
        "sha256": entry.sha256,
        "approved_by": entry.approved_by,
        "approved_via": entry.approved_via,
        "approved_at": entry.approved_at.isoformat(),
        "prev_hash": entry.prev_hash,
    }


def hash_of(fields: Mapping[str, object]) -> str:
    return hashlib.sha256(content(fields).encode()).hexdigest()


def verify(entries: Sequence[RegisterEntry], head: ChainHead | None) -> ChainCheck:
    """Check seq order (1, 2, 3…), each link to the previous hash, each entry's own hash, and
    that the chain ends at ``head`` (None: no entry was ever recorded).

    A chain shorter than its head lost its tail: it breaks at the first missing seq.
    """
    previous = GENESIS
    for expected, entry in enumerate(entries, start=1):
        if entry.seq != expected:
            return ChainCheck(False, len(entries), entry.seq, "sequence")
        if entry.prev_hash != previous:
            return ChainCheck(False, len(entries), entry.seq, "link")
        if hash_of(entry_fields(entry)) != entry.entry_hash:
            return ChainCheck(False, len(entries), entry.seq, "hash")
        previous = entry.entry_hash
    last = len(entries)
    if head is None:
        return ChainCheck(True, last) if last == 0 else ChainCheck(False, last, 1, "head")
    if last < head.seq:
        return ChainCheck(False, last, last + 1, "head")
    if last > head.seq:
        return ChainCheck(False, last, head.seq + 1, "head")
    if previous != head.entry_hash:
        return ChainCheck(False, last, last, "head")
    return ChainCheck(True, last)


@dataclass(frozen=True)
class FrozenMinutes:
    """An approved PV and how its file stands now in the mirror, for the rules.

    ``current_etag`` None: the file is no longer in the mirror (deleted, moved out of the synced
    folders, or replaced by a new file under the same name, which has a new file id).
    """

    seq: int
    meeting_day: str
    body_code: str
    path: str
    fileid: str
    frozen_etag: str
    current_etag: str | None
    current_path: str | None

    @property
    def edited(self) -> bool:
        return self.current_etag is not None and self.current_etag != self.frozen_etag

    @property
    def removed(self) -> bool:
        return self.current_etag is None
