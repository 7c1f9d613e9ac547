"""Documents with their links: each file with the meetings and the dossier it belongs to.

Apart from :mod:`sidecar.projection.documents` (folder conventions, shared by meetings and grants)
so that neither of those has to import the other. A :class:`Linker` indexes the meetings and
dossiers once by folder key, so each file is linked with a few look-ups, not a scan of them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sidecar.projection.documents import days_in, folder_keys, in_folder, nfc, parent_key
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


class Linker:
    """Links files to meetings and dossiers through indexes built once from them.

    A meeting is found from the file's folders (its meeting folders) and from the file's own
    folder (the body folder of a dated file); a dossier from the file's folders. The rule
    (:meth:`MeetingPlace.holds`, :func:`in_folder`) still decides for each candidate.
    """

    def __init__(self, meetings: Sequence[Meeting], dossiers: Sequence[Dossier]) -> None:
        self._by_folder: dict[str, list[tuple[int, Meeting]]] = {}
        self._by_day: dict[tuple[str, str], list[tuple[int, Meeting]]] = {}
        self._specific: dict[str, list[tuple[int, Meeting]]] = {}  # named otherwise than by day
        for position, meeting in enumerate(meetings):
            for folder in dict.fromkeys(nfc(f.rstrip("/") + "/") for f in meeting.place.folders):
                self._by_folder.setdefault(folder, []).append((position, meeting))
            root = nfc(meeting.place.body_folder + "/")
            for day in meeting.place.days:
                self._by_day.setdefault((root, day.isoformat()), []).append((position, meeting))
            if meeting.place.specific:
                self._specific.setdefault(root, []).append((position, meeting))
        self._dossiers: dict[str, list[tuple[int, Dossier]]] = {}
        for position, dossier in enumerate(dossiers):
            if dossier.folder:
                key = nfc(dossier.folder.rstrip("/") + "/")
                self._dossiers.setdefault(key, []).append((position, dossier))

    def meetings_of(self, file: FileInfo) -> tuple[MeetingLink, ...]:
        """The meetings ``file`` belongs to, in the order the meetings were given."""
        if file.is_folder:
            return ()
        key = nfc(file.path)
        found: dict[int, Meeting] = {}
        for folder in folder_keys(key):
            found.update(self._by_folder.get(folder, ()))
        folder = parent_key(key)
        found.update(self._named(folder, file.name))
        if folder:  # its folder may be a meeting's own sub-folder of a body folder
            sub = folder.rstrip("/")
            container = parent_key(sub)
            found.update(self._named(container, sub[len(container) :]))
        return tuple(
            MeetingLink(m.id, m.body.code, m.title, m.day)
            for _position, m in sorted(found.items())
            if m.place.holds(file)
        )

    def _named(self, root: str, name: str) -> dict[int, Meeting]:
        """Meetings of body folder ``root`` that ``name`` (in it) may be named after."""
        found: dict[int, Meeting] = dict(self._specific.get(root, ()))
        for day in days_in(name):
            found.update(self._by_day.get((root, day), ()))
        return found

    def dossier_of(self, file: FileInfo) -> DossierLink | None:
        """The dossier whose folder holds ``file``; the deepest folder wins."""
        found = [
            entry
            for folder in folder_keys(nfc(file.path))
            for entry in self._dossiers.get(folder, ())
        ]
        holding = [d for _position, d in sorted(found, key=lambda e: e[0]) if d.folder]
        holding = [d for d in holding if in_folder(file, d.folder or "")]
        if not holding:
            return None
        best = max(holding, key=lambda d: len(d.folder or ""))
        return DossierLink(best.key, best.funder, best.year)

    def link(self, file: FileInfo) -> Document:
        """One file with its links."""
        return Document(file, self.meetings_of(file), self.dossier_of(file))


def meetings_of(file: FileInfo, meetings: Iterable[Meeting]) -> tuple[MeetingLink, ...]:
    """The meetings ``file`` belongs to (cancelled ones too: their folder still exists)."""
    return Linker(tuple(meetings), ()).meetings_of(file)


def dossier_of(file: FileInfo, dossiers: Iterable[Dossier]) -> DossierLink | None:
    """The dossier whose folder holds ``file``; the deepest folder wins."""
    return Linker((), tuple(dossiers)).dossier_of(file)


def link_document(
    file: FileInfo, meetings: Sequence[Meeting], dossiers: Sequence[Dossier]
) -> Document:
    """One file with its links (for many files, build one :class:`Linker`)."""
    return Linker(meetings, dossiers).link(file)


def link_documents(
    files: Iterable[FileInfo], meetings: Sequence[Meeting], dossiers: Sequence[Dossier]
) -> list[Document]:
    """Each file (folders left out) with the meetings and the dossier it belongs to."""
    linker = Linker(meetings, dossiers)
    return [linker.link(f) for f in files if not f.is_folder]
