"""Documents: where a meeting's files live, and which meetings and dossier each file belongs to.

One rule, used by the meeting page, the dossier page and the documents page alike:

- a file belongs to a meeting when it sits (at any depth) in the meeting's folder, built from
  the association's folder convention (default ``<body folder>/<YYYY-MM-DD>/``); or when it sits
  directly in the body's folder, or in a sub-folder of it, whose name carries the meeting's date
  (``2026-03-07``, ``07-03-2026``, ``07.03.2026``, ``20260307``) or its title when the title is
  specific ("AGO 2027" — a title with a number in it); for a general assembly, which meets once
  a year, a sub-folder named with the year and the assembly's words ("AG/AGO 2027/") counts too;
- a file belongs to a dossier when it sits below the dossier's folder (the deepest one wins).

Pure: files, meetings and dossiers in, links out. The rule is applied through indexes built
once per call (:class:`FileIndex` by normalised path, :class:`Linker` by folder key), so finding a
meeting's files or a file's meetings costs a few dictionary and bisect look-ups, not a scan of
every file for every meeting; each candidate an index yields is still checked by the rule itself.
"""

from __future__ import annotations

import bisect
import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sidecar.projection.inputs import BodyInfo, FileInfo

DEFAULT_MEETING_FOLDER = "{body_folder}/{date:%Y-%m-%d}/"
#: What a meeting folder pattern may name: the body's folder, its name, its code, the date, the
#: meeting's title (its calendar summary) or its year. One of date, title or year is needed.
PLACEHOLDERS = ("body_folder", "body", "code", "date", "title", "year")
#: Words of a general assembly's folder besides its year ("AGO 2027", "AG 2027").
ASSEMBLY_WORDS = frozenset(
    {"ag", "ago", "age", "agm", "assemblee", "generale", "ordinaire", "extraordinaire", "annuelle"}
)
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
    if not {"date", "title", "year"} & set(names):
        raise FolderPatternError(
            "The pattern needs the meeting's date, title or year, e.g. {date:%Y-%m-%d}.",
            "no_date",
        )
    folders = {meeting_folder(text, _PROBE_BODY, day) for day in _PROBE_DAYS}
    if "date" in names and len(folders) < len(_PROBE_DAYS):
        raise FolderPatternError(
            "The date format must keep day, month and year apart, e.g. {date:%Y-%m-%d}.",
            "ambiguous_date",
        )
    if any(part in (".", "..") for part in text.split("/")):
        raise FolderPatternError("A folder name cannot be '.' or '..'.", "dots")
    return text + "/"


def meeting_folder(pattern: str, body: BodyInfo, day: date, title: str = "") -> str:
    """The folder of ``body``'s meeting on ``day`` under ``pattern``: "CA/2026-03-07/"."""
    text = pattern.format(
        body_folder=body_folder(body),
        body=body.name,
        code=body.code,
        date=day,
        title=" ".join(title.replace("/", " ").split()) or body.name,
        year=day.year,
    )
    parts = [part for part in text.split("/") if part.strip()]
    return "/".join(parts) + "/"


# --- the rule: which files belong where ------------------------------------------------


def nfc(path: str) -> str:
    """A path as compared: NFC, no leading "/"."""
    # NFC on both sides: macOS clients upload decomposed accents ("e" + U+0301).
    return unicodedata.normalize("NFC", path.lstrip("/"))


def in_folder(file: FileInfo, folder: str) -> bool:
    """Whether ``file`` is below ``folder`` (at any depth), the folder itself excluded."""
    prefix = nfc(folder.rstrip("/") + "/")
    return nfc(file.path).startswith(prefix) and nfc(file.path).rstrip("/") + "/" != prefix


def _plain(text: str) -> str:
    """Lower-case, accents removed, anything but letters and digits as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped.casefold()).split())


def carries_date(name: str, day: date) -> bool:
    """Whether ``name`` writes ``day`` as 2026-03-07, 07-03-2026, 07.03.2026 or 20260307."""
    digits = re.sub(r"[-._ ]", "-", name)
    forms = (f"{day:%Y-%m-%d}", f"{day:%d-%m-%Y}", f"{day:%Y%m%d}")
    return any(re.search(rf"(?<!\d){form}(?!\d)", digits) for form in forms)


def _specific(title: str) -> str:
    """The title as a name to look for, when it is specific (it carries a number), else ""."""
    plain = _plain(title)
    return plain if re.search(r"\d", plain) else ""


@dataclass(frozen=True)
class MeetingPlace:
    """Where a meeting's documents are: its folders (actual and original day) and the body's."""

    body_folder: str
    folders: tuple[str, ...]  # the first is the meeting's own folder
    days: tuple[date, ...]
    title: str = ""  # the meeting's calendar title
    yearly: bool = False  # a general assembly: a folder named with its year is its folder

    def holds(self, file: FileInfo) -> bool:
        """The rule: in a meeting folder, or in the body folder (or one of its sub-folders)
        with a name that carries the meeting's date or its specific title."""
        if file.is_folder:
            return False
        if any(in_folder(file, folder) for folder in self.folders):
            return True
        path = nfc(file.path)
        root = nfc(self.body_folder + "/")
        if not path.startswith(root):
            return False
        names = path[len(root) :].split("/")
        if len(names) > 2:
            return False  # deeper: archives and the like are not the meeting's
        return self.named(names[0].rsplit(".", 1)[0] if len(names) == 1 else names[0])

    @property
    def specific(self) -> bool:
        """Whether files may be named after the meeting other than by its date."""
        return bool(_specific(self.title)) or self.yearly

    def named(self, name: str) -> bool:
        """Whether a file or sub-folder name of the body folder is this meeting's."""
        if any(carries_date(name, day) for day in self.days):
            return True
        title = _specific(self.title)
        if title and f" {title} " in f" {_plain(name)} ":
            return True
        return self.yearly and self._assembly_of_year(name)

    def _assembly_of_year(self, name: str) -> bool:
        words = _plain(name).split()
        years = {str(day.year) for day in self.days}
        rest = [w for w in words if w not in years]
        return len(rest) < len(words) and bool(rest) and set(rest) <= ASSEMBLY_WORDS


def meeting_place(
    pattern: str, body: BodyInfo, days: Sequence[date], title: str = ""
) -> MeetingPlace:
    """The place of a meeting held on ``days[0]`` (``days[1:]``: days it was moved from)."""
    unique = tuple(dict.fromkeys(days))
    folders = tuple(dict.fromkeys(meeting_folder(pattern, body, d, title) for d in unique))
    yearly = body.kind in ("ag", "age")
    return MeetingPlace(body_folder(body), folders, unique, title, yearly)


#: Every "YYYY-MM-DD" in a name, overlapping ones too: the days a dated file may be about.
ISO_DAY = re.compile(r"(?=(\d{4}-\d{2}-\d{2}))")
#: The other ways names write a day ("07-03-2026", "07.03.2026", "20260307"), as ISO days.
_OTHER_DAYS = (
    (re.compile(r"(?<!\d)(?=(\d{2})[-._ ](\d{2})[-._ ](\d{4})(?!\d))"), (2, 1, 0)),
    (re.compile(r"(?<!\d)(?=(\d{4})(\d{2})(\d{2})(?!\d))"), (0, 1, 2)),
)


def days_in(name: str) -> list[str]:
    """The ISO days ``name`` writes, in any of the forms :func:`carries_date` accepts."""
    found = list(ISO_DAY.findall(name))
    for pattern, (y, m, d) in _OTHER_DAYS:
        for parts in pattern.findall(name):
            found.append(f"{parts[y]}-{parts[m]}-{parts[d]}")
    return list(dict.fromkeys(found))


def parent_key(key: str) -> str:
    """The folder part of a normalised path, "/" included ("CA/2026-03-07/" for a file in it)."""
    return key[: key.rfind("/") + 1]


def folder_keys(key: str) -> list[str]:
    """Every folder prefix of a normalised path, "" (the root) first: what holds it."""
    return ["", *(key[: i + 1] for i, char in enumerate(key) if char == "/")]


class FileIndex:
    """Files by normalised path, built once: the files below a folder (one bisect) and the
    dated files directly in a folder (one dictionary look-up by folder and day)."""

    def __init__(self, files: Iterable[FileInfo]) -> None:
        entries = sorted((nfc(f.path), position, f) for position, f in enumerate(files))
        self._keys = [key for key, _position, _file in entries]
        self._entries = [(position, f) for _key, position, f in entries]
        self._dated: dict[tuple[str, str], list[tuple[int, FileInfo]]] = {}
        # what sits directly in each folder: its files, and its sub-folders (by their key)
        self._files_in: dict[str, list[tuple[int, FileInfo]]] = {}
        self._folders_in: dict[str, dict[str, str]] = {}  # container → {sub-folder key: name}
        for key, position, file in entries:
            if file.is_folder:
                continue
            parent = parent_key(key)
            self._files_in.setdefault(parent, []).append((position, file))
            if parent:  # sub-folders are known from their files, listed or not
                container = parent_key(parent.rstrip("/"))
                name = parent.rstrip("/")[len(container) :]
                self._folders_in.setdefault(container, {})[parent] = name
            for day in days_in(file.name):
                self._dated.setdefault((parent_key(key), day), []).append((position, file))

    def __len__(self) -> int:
        return len(self._keys)

    def _below(self, folder: str) -> list[tuple[int, FileInfo]]:
        prefix = nfc(folder.rstrip("/") + "/")
        start = end = bisect.bisect_left(self._keys, prefix)
        while end < len(self._keys) and self._keys[end].startswith(prefix):
            end += 1
        return self._entries[start:end]

    def below(self, folder: str) -> tuple[FileInfo, ...]:
        """The files and folders under ``folder`` at any depth, as :func:`in_folder` says."""
        found = sorted(self._below(folder), key=lambda entry: entry[0])
        return tuple(f for _position, f in found if in_folder(f, folder))

    def of_place(self, place: MeetingPlace) -> tuple[FileInfo, ...]:
        """The files ``place`` holds, by path (ties in the order given)."""
        root = nfc(place.body_folder + "/")
        candidates: dict[int, FileInfo] = {}
        for day in place.days:
            candidates.update(self._dated.get((root, day.isoformat()), ()))
        for folder in place.folders:
            candidates.update(self._below(folder))
        for key, name in self._folders_in.get(root, {}).items():
            if place.named(name):  # "2026-03-07 CA", "AGO 2027": the meeting's own sub-folder
                candidates.update(self._files_in.get(key, ()))
        if place.specific:  # files named after the meeting ("PV AGO 2027.pdf")
            candidates.update(self._files_in.get(root, ()))
        held = sorted((f.path, pos, f) for pos, f in candidates.items() if place.holds(f))
        return tuple(f for _path, _position, f in held)


def as_index(files: Iterable[FileInfo] | FileIndex) -> FileIndex:
    """``files`` indexed (an index is used as it is)."""
    return files if isinstance(files, FileIndex) else FileIndex(files)


def meeting_files(
    place: MeetingPlace, files: Iterable[FileInfo] | FileIndex
) -> tuple[FileInfo, ...]:
    """The documents of a meeting, by path; pass a :class:`FileIndex` when asking many times."""
    return as_index(files).of_place(place)


def files_under(folder: str, files: Iterable[FileInfo] | FileIndex) -> tuple[FileInfo, ...]:
    """The files and folders of a dossier folder, at any depth."""
    return as_index(files).below(folder)


# --- links -----------------------------------------------------------------------------


def recently_modified(files: Iterable[FileInfo], limit: int = 20) -> list[FileInfo]:
    """The files modified last (by their mtime in Nextcloud), newest first."""
    dated = [f for f in files if not f.is_folder and f.mtime is not None]
    return sorted(dated, key=_modified, reverse=True)[:limit]


def _modified(file: FileInfo) -> tuple[float, str]:
    return (file.mtime.timestamp() if file.mtime else 0.0, file.path)
