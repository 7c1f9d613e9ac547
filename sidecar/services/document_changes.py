"""The recent-activity log of the mirrored files, each with a link that opens it in Nextcloud."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from sidecar.storage import models


@dataclass(frozen=True)
class DocumentChange:
    """One entry of the recent-activity log, with a link that opens the file in Nextcloud."""

    change: str
    path: str
    old_path: str | None
    is_folder: bool
    at: datetime
    open_url: str | None
    fileid: str | None = None


# Built once, columns only (no ORM objects): the documents page and API read it on each request.
_CHANGES = (
    select(
        models.FileChange.change,
        models.FileChange.path,
        models.FileChange.old_path,
        models.FileChange.is_folder,
        models.FileChange.at,
        models.FileChange.fileid,
        models.Source.base_url,
    )
    .join(models.Collection, models.FileChange.collection_id == models.Collection.id)
    .join(models.Source, models.Collection.source_id == models.Source.id)
    .where(
        models.Source.association_id == bindparam("association_id"),
        models.FileChange.at >= bindparam("since"),
    )
    .order_by(models.FileChange.at.desc(), models.FileChange.id.desc())
    .limit(bindparam("limit"))
)


def document_changes(
    session: Session, association_id: int, since: datetime, *, limit: int = 500
) -> list[DocumentChange]:
    """Files added, changed, moved or removed since ``since``, newest first."""
    rows = session.execute(
        _CHANGES, {"association_id": association_id, "since": since, "limit": limit}
    )
    return [
        DocumentChange(
            change,
            path,
            old_path,
            is_folder,
            at,
            open_url(base, fileid) if change != "removed" else None,
            fileid,
        )
        for change, path, old_path, is_folder, at, fileid, base in rows
    ]


def open_url(base_url: str, fileid: str | None) -> str | None:
    """Nextcloud's permanent link to a file (survives renames and moves)."""
    if not fileid:
        return None
    # OC-FileId headers carry the instance id after the zero-padded number: keep the number.
    number = fileid.split("oc", 1)[0].lstrip("0") or "0"
    return f"{base_url.rstrip('/')}/index.php/f/{number}"
