"""Documents: where a meeting's files live, and which meetings and dossier each file belongs to.

One rule, used by the meeting page, the dossier page and the documents page alike:

- a file belongs to a meeting when it sits (at any depth) in the meeting's folder, built from
  the association's folder convention (default ``<body folder>/<YYYY-MM-DD>/``), or when it sits
  directly in the body's folder with the meeting's date (``2026-03-07``) in its name;
- a file belongs to a dossier when it sits below the dossier's folder (the deepest one wins).

Pure: files, meetings and dossiers in, links out.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sidecar.projection.inputs import BodyInfo, FileInfo

DEFAULT_MEETING_FOLDER = "{body_folder}/{date:%Y-%m-%d}/"
#: What a meeting folder pattern may name: the body's folder, its name, its code, the date.
PLACEHOLDERS = ("body_folder", "body", "code", "date")
#: Dates that differ by one day, one month and one year from the first: a valid pattern keeps
#: every one of them apart, so two meetings on different days never share a folder.
_PROBE_DAYS = (date(2001, 2, 3), date(2001, 2, 4), date(2001, 3, 3), date(2002, 2, 3))
_PROBE_BODY = BodyInfo(id=0, code="CA", name="Conseil", kind="ca")


class FolderPatternError(ValueError):
    """A meeting folder pattern that cannot be used; the message says what to fix, ``code``
    (with ``params``) names the problem for translation."""

    def __init__(self, message: str, code: str, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


# --- the meeting folder convention -----------------------------------------------------


def body_folder(body: BodyInfo) -> str:
    """The body's folder: configured, else named after the body ("Conseil d'administration")."""
    return (body.folder or body.name).strip("/")


def check_meeting_folder(pattern: str) -> str:
    """The pattern, tidied (no leading "/", one trailing "/"), or FolderPatternError."""
    text = pattern.strip().strip("/")
    if not text:
        raise FolderPatternError("The meeting folder pattern is empty.", "empty")
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as err:
        raise FolderPatternError(f"Unbalanced braces in {pattern!r}: {err}.", "braces") from err
    names = [name for _literal, name, _spec, _conv in fields if name is not None]
    for name, spec, conversion in ((f[1], f[2], f[3]) for f in fields if f[1] is not None):
        if name not in PLACEHOLDERS or conversion:
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise FolderPatternError(
                f"Unknown placeholder {{{name}}}: use {allowed}.",
                "placeholder",
                name=str(name),
                allowed=allowed,
            )
        if spec and name != "date":
            raise FolderPatternError(
                f"Only {{date}} takes a format, not {{{name}:{spec}}}.",
                "format",
                name=str(name),
                spec=str(spec),
            )
    if "date" not in names:
        raise FolderPatternError(
            "The pattern needs the meeting's date, e.g. {date:%Y-%m-%d}.", "no_date"
        )
    folders = {meeting_folder(text, _PROBE_BODY, day) for day in _PROBE_DAYS}
    if len(folders) < len(_PROBE_DAYS):
        raise FolderPatternError(
            "The date format must keep day, month and year apart, e.g. {date:%Y-%m-%d}.",
            "ambiguous_date",
        )
    if any(part in (".", "..") for part in text.split("/")):
        raise FolderPatternError("A folder name cannot be '.' or '..'.", "dots")
    return text + "/"


def meeting_folder(pattern: str, body: BodyInfo, day: date) -> str:
    """The folder of ``body``'s meeting on ``day`` under ``pattern``: "CA/2026-03-07/"."""
    text = pattern.format(body_folder=body_folder(body), body=body.name, code=body.code, date=day)
    parts = [part for part in text.split("/") if part.strip()]
    return "/".join(parts) + "/"


# --- the rule: which files belong where ------------------------------------------------


def _nfc(path: str) -> str:
    # NFC on both sides: macOS clients upload decomposed accents ("e" + U+0301).
    return unicodedata.normalize("NFC", path.lstrip("/"))


def in_folder(file: FileInfo, folder: str) -> bool:
    """Whether ``file`` is below ``folder`` (at any depth), the folder itself excluded."""
    prefix = _nfc(folder.rstrip("/") + "/")
    return _nfc(file.path).startswith(prefix) and _nfc(file.path).rstrip("/") + "/" != prefix


@dataclass(frozen=True)
class MeetingPlace:
    """Where a meeting's documents are: its folders (actual and original day) and the body's."""

    body_folder: str
    folders: tuple[str, ...]  # the first is the meeting's own folder
    days: tuple[date, ...]

    def holds(self, file: FileInfo) -> bool:
        """The rule: in a meeting folder, or in the body folder and named with the date."""
        if file.is_folder:
            return False
        if any(in_folder(file, folder) for folder in self.folders):
            return True
        path = _nfc(file.path)
        root = _nfc(self.body_folder + "/")
        direct = path.startswith(root) and "/" not in path[len(root) :]
        return direct and any(day.isoformat() in file.name for day in self.days)


def meeting_place(pattern: str, body: BodyInfo, days: Sequence[date]) -> MeetingPlace:
    """The place of a meeting held on ``days[0]`` (``days[1:]``: days it was moved from)."""
    unique = tuple(dict.fromkeys(days))
    folders = tuple(dict.fromkeys(meeting_folder(pattern, body, d) for d in unique))
    return MeetingPlace(body_folder(body), folders, unique)


def meeting_files(place: MeetingPlace, files: Iterable[FileInfo]) -> tuple[FileInfo, ...]:
    """The documents of a meeting, by path."""
    return tuple(sorted((f for f in files if place.holds(f)), key=lambda f: f.path))


def files_under(folder: str, files: Iterable[FileInfo]) -> tuple[FileInfo, ...]:
    """The files and folders of a dossier folder, at any depth."""
    return tuple(f for f in files if in_folder(f, folder))


# --- links -----------------------------------------------------------------------------


def recently_modified(files: Iterable[FileInfo], limit: int = 20) -> list[FileInfo]:
    """The files modified last (by their mtime in Nextcloud), newest first."""
    dated = [f for f in files if not f.is_folder and f.mtime is not None]
    return sorted(dated, key=_modified, reverse=True)[:limit]


def _modified(file: FileInfo) -> tuple[float, str]:
    return (file.mtime.timestamp() if file.mtime else 0.0, file.path)
