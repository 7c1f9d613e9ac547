"""Documents service: recent activity of the mirrored files, each linked to meetings and dossiers.

The first sync of a folder logs no "added" change (every file would be news), so a window that
reaches back before Quorum started following the files says so and shows the files modified
last in Nextcloud instead of an empty list. The links come from the one pure rule in
:mod:`sidecar.projection.documents`, the same the meeting and dossier pages use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from sidecar.formatting import whole_number
from sidecar.projection.document_links import Document
from sidecar.projection.documents import recently_modified
from sidecar.projection.inputs import FileInfo
from sidecar.services import document_changes as changes_service
from sidecar.services import read_models
from sidecar.storage import models
from sidecar.storage.kept import KeptPerDatabase
from sidecar.storage.read import by_fingerprint, load_files

WINDOWS = (7, 30, 90)  # the choices of "last N days"
DEFAULT_WINDOW = 30
RECENT_LIMIT = 20


@dataclass(frozen=True)
class LinkedChange:
    """One logged change and the document it is about (its meetings and dossier)."""

    change: changes_service.DocumentChange
    document: Document


@dataclass(frozen=True)
class RecentFile:
    """A file modified lately in Nextcloud, when the log does not reach back far enough."""

    document: Document
    open_url: str | None


@dataclass(frozen=True)
class Activity:
    """What the documents page and API show for a window starting at ``since``."""

    since: datetime
    following_since: datetime | None  # the first sync of the files; None: nothing mirrored
    changes: tuple[LinkedChange, ...]
    recent: tuple[RecentFile, ...]  # only when the window starts before ``following_since``

    @property
    def before_following(self) -> bool:
        """Whether the window reaches back before Quorum followed the files."""
        return self.following_since is None or self.since < self.following_since


def window(text: str | None) -> int:
    """The number of days asked for, one of :data:`WINDOWS`, else the default."""
    days = whole_number(text)
    return days if days in WINDOWS else DEFAULT_WINDOW


# Built once (the documents page and API run them on each request).
_FOLLOWED = (
    select(models.Collection.id)
    .join(models.Source, models.Collection.source_id == models.Source.id)
    .where(models.Source.association_id == bindparam("association_id"))
)
_FIRST_SEEN = (
    select(models.FileRecord.first_seen)
    .where(models.FileRecord.collection_id.in_(_FOLLOWED))
    .order_by(models.FileRecord.first_seen)
    .limit(1)
)
_FILES_BASE_URL = (
    select(models.Source.base_url)
    .join(models.Collection, models.Collection.source_id == models.Source.id)
    .where(
        models.Source.association_id == bindparam("association_id"),
        models.Collection.kind == "folder",
    )
    .order_by(models.Source.id)
    .limit(1)
)


def following_since(session: Session, association_id: int) -> datetime | None:
    """When Quorum's first sync saw the association's files.

    The first row of the ``first_seen`` index among the association's collections: both
    databases stop at it. ``min()`` over the join made PostgreSQL read every file (2–6 ms of
    its CPU on each documents page at 7,000 files).
    """
    found: datetime | None = session.scalar(_FIRST_SEEN, {"association_id": association_id})
    return found


def files_base_url(session: Session, association_id: int) -> str | None:
    """The Nextcloud holding the mirrored folders (the first source with a folder)."""
    found: str | None = session.scalar(_FILES_BASE_URL, {"association_id": association_id})
    return found


_FOLLOWING = select(_FIRST_SEEN.scalar_subquery(), _FILES_BASE_URL.scalar_subquery())


#: What the documents page reads of the mirror that only a sync changes, per database: the
#: read models' fingerprint covers the folders' cursors, the mirror's rows and the sources'
#: addresses, but not the time a file was first seen, which differs between databases.
_KEPT: KeptPerDatabase[tuple[Any, ...], Any] = KeptPerDatabase(32)


def _following(session: Session, association_id: int) -> tuple[datetime | None, str | None]:
    """:func:`following_since` and :func:`files_base_url` in one statement (one round trip),
    kept per fingerprint."""

    def read() -> tuple[datetime | None, str | None]:
        started, base_url = session.execute(_FOLLOWING, {"association_id": association_id}).one()
        return started, base_url

    found: tuple[datetime | None, str | None] = by_fingerprint(
        session, association_id, _KEPT.of(session), ("following",), read
    )
    return found


def activity(
    session: Session, association: models.Association, since: datetime, now: datetime
) -> Activity:
    """Changes since ``since``, newest first, each with its links; recent files if needed.

    Only the files shown are read (by file id) and linked, through the stored read models.
    """
    read_models.ensure_fresh(session, association, now)  # its fingerprint keys what is kept
    logged = changes_service.document_changes(session, association.id, since)
    current = _current(session, association.id, [c.fileid for c in logged if c.fileid])
    files = [_file_of(c, current) for c in logged]
    started, base_url = _following(session, association.id)
    recent: list[FileInfo] = []
    if started is None or since < started:
        recent = _recently_modified(session, association.id, RECENT_LIMIT)
    link = read_models.linker(session, association, files + recent, now)
    changes = tuple(LinkedChange(c, link(f)) for c, f in zip(logged, files, strict=True))
    result = Activity(since, started, changes, ())
    if not result.before_following:
        return result
    return Activity(
        since,
        started,
        changes,
        tuple(
            RecentFile(link(f), changes_service.open_url(base_url, f.fileid) if base_url else None)
            for f in recent
        ),
    )


def _current(session: Session, association_id: int, fileids: list[str]) -> dict[str, FileInfo]:
    """The mirrored files with these Nextcloud file ids, by file id."""
    if not fileids:
        return {}
    found = load_files(session, association_id, fileids=set(fileids))
    return {f.fileid: f for f in found if f.fileid}


def _recently_modified(session: Session, association_id: int, limit: int) -> list[FileInfo]:
    """The files modified last in Nextcloud, newest first (by mtime, then path); kept per
    fingerprint."""

    def read() -> list[FileInfo]:
        return recently_modified(load_files(session, association_id, latest=limit), limit)

    found: list[FileInfo] = by_fingerprint(
        session, association_id, _KEPT.of(session), ("recent", limit), read
    )
    return list(found)


def _file_of(change: changes_service.DocumentChange, by_fileid: dict[str, FileInfo]) -> FileInfo:
    """The file as mirrored now, or (removed, renamed since) as the log saw it."""
    current = by_fileid.get(change.fileid or "")
    if current is not None and current.path == change.path:
        return current
    return FileInfo(id=0, path=change.path, is_folder=change.is_folder, fileid=change.fileid)
