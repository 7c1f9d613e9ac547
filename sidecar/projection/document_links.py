"""Documents with their links: each file with the meetings and the dossier it belongs to.

Apart from :mod:`sidecar.projection.documents` (folder conventions, shared by meetings and grants)
so that neither of those has to import the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sidecar.projection.documents import in_folder
from sidecar.projection.grants import Dossier
from sidecar.projection.inputs import FileInfo
from sidecar.projection.meetings import Meeting


@dataclass(frozen=True)
class MeetingLink:
    id: int
    body: str  # the body's code
    title: str
    day: date


@dataclass(frozen=True)
class DossierLink:
    key: str
    funder: str
    year: int | None


@dataclass(frozen=True)
class Document:
    """A file with the meetings and the dossier it belongs to."""

    file: FileInfo
    meetings: tuple[MeetingLink, ...]
    dossier: DossierLink | None


def meetings_of(file: FileInfo, meetings: Iterable[Meeting]) -> tuple[MeetingLink, ...]:
    """The meetings ``file`` belongs to (cancelled ones too: their folder still exists)."""
    return tuple(
        MeetingLink(m.id, m.body.code, m.title, m.day) for m in meetings if m.place.holds(file)
    )


def dossier_of(file: FileInfo, dossiers: Iterable[Dossier]) -> DossierLink | None:
    """The dossier whose folder holds ``file``; the deepest folder wins."""
    holding = [d for d in dossiers if d.folder and in_folder(file, d.folder)]
    if not holding:
        return None
    best = max(holding, key=lambda d: len(d.folder or ""))
    return DossierLink(best.key, best.funder, best.year)


def link_document(
    file: FileInfo, meetings: Sequence[Meeting], dossiers: Sequence[Dossier]
) -> Document:
    """One file with its links."""
    return Document(file, meetings_of(file, meetings), dossier_of(file, dossiers))


def link_documents(
    files: Iterable[FileInfo], meetings: Sequence[Meeting], dossiers: Sequence[Dossier]
) -> list[Document]:
    """Each file (folders left out) with the meetings and the dossier it belongs to."""
    return [link_document(f, meetings, dossiers) for f in files if not f.is_folder]
