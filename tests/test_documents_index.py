"""Document matching by index equals the rule applied by scanning every file (pure, Hypothesis).

The naive functions below are the rule as it was written before the indexes: every file tested
against every meeting and dossier. The indexed look-ups must find exactly the same files, in
the same order, for any tree, including decomposed accents, dated names in body folders,
moved meetings (two folders), nested dossier folders and duplicate paths.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.projection.document_links import DossierLink, Linker, MeetingLink
from sidecar.projection.documents import (
    FileIndex,
    MeetingPlace,
    files_under,
    in_folder,
    meeting_place,
)
from sidecar.projection.grants import Dossier
from sidecar.projection.inputs import BodyInfo, FileInfo

DAYS = (date(2026, 3, 7), date(2026, 3, 8), date(2026, 4, 7), date(2025, 3, 7))
BODIES = (
    BodyInfo(1, "CA", "Conseil d'administration", "ca"),
    BodyInfo(2, "BUREAU", "Bureau", "bureau", folder="Instances/Bureau/"),
    BodyInfo(3, "AG", "Assemblée générale", "ag", folder="/Instances/"),
)
PATTERNS = ("{body_folder}/{date:%Y-%m-%d}/", "{date:%Y}/{code} {date:%m-%d}/")
SEGMENTS = st.sampled_from(
    (
        "Conseil d'administration",
        "Conseil d'administration".replace("é", "e\u0301"),
        "Instances",
        "Bureau",
        "Assemblée générale",
        unicodedata.normalize("NFD", "Assemblée générale"),
        "2026-03-07",
        "2026-03-08",
        "2026",
        "CA 03-07",
        "Subventions",
        "Ville de Lyon 2026",
        "a",
        "",
    )
)
NAMES = st.sampled_from(
    (
        "Ordre du jour.odt",
        "PV 2026-03-07.pdf",
        "CR 2026-03-2026-03-08.md",
        "x2026-04-07y",
        "2025-03-07",
        "notes.txt",
    )
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    folders = draw(st.lists(SEGMENTS, max_size=3))
    lead = draw(st.sampled_from(("", "/")))
    if draw(st.booleans()):
        return lead + "/".join([*folders, ""]) if folders else lead + "a/"
    return lead + "/".join([*folders, draw(NAMES)])


@st.composite
def trees(draw: st.DrawFn) -> list[FileInfo]:
    found = draw(st.lists(paths(), max_size=30))
    return [FileInfo(n, p, p.endswith("/"), fileid=str(n)) for n, p in enumerate(found)]


@st.composite
def places(draw: st.DrawFn) -> MeetingPlace:
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=2))
    return meeting_place(draw(st.sampled_from(PATTERNS)), draw(st.sampled_from(BODIES)), days)


def naive_meeting_files(place: MeetingPlace, files: list[FileInfo]) -> tuple[FileInfo, ...]:
    return tuple(sorted((f for f in files if place.holds(f)), key=lambda f: f.path))


def naive_files_under(folder: str, files: list[FileInfo]) -> tuple[FileInfo, ...]:
    return tuple(f for f in files if in_folder(f, folder))


class _Meeting:
    """The part of a Meeting the linker reads."""

    def __init__(self, n: int, place: MeetingPlace) -> None:
        self.id, self.place, self.title, self.day = n, place, f"m{n}", place.days[0]
        self.body = BODIES[0]


def naive_meetings_of(file: FileInfo, meetings: list[_Meeting]) -> tuple[MeetingLink, ...]:
    return tuple(
        MeetingLink(m.id, m.body.code, m.title, m.day) for m in meetings if m.place.holds(file)
    )


def naive_dossier_of(file: FileInfo, dossiers: list[Dossier]) -> DossierLink | None:
    holding = [d for d in dossiers if d.folder and in_folder(file, d.folder)]
    if not holding:
        return None
    best = max(holding, key=lambda d: len(d.folder or ""))
    return DossierLink(best.key, best.funder, best.year)


@settings(max_examples=300, deadline=None)
@given(trees(), st.lists(places(), min_size=1, max_size=4))
def test_meeting_files_by_index_equal_the_scan(
    files: list[FileInfo], found: list[MeetingPlace]
) -> None:
    index = FileIndex(files)
    for place in found:
        assert index.of_place(place) == naive_meeting_files(place, files)


@settings(max_examples=300, deadline=None)
@given(trees(), st.lists(paths(), min_size=1, max_size=4))
def test_files_under_by_index_equal_the_scan(files: list[FileInfo], folders: list[str]) -> None:
    index = FileIndex(files)
    for folder in folders:
        assert files_under(folder, index) == naive_files_under(folder, files)


@settings(max_examples=300, deadline=None)
@given(
    trees(),
    st.lists(places(), max_size=5),
    st.lists(st.one_of(paths(), st.none(), st.just("/")), max_size=4),
)
def test_links_by_index_equal_the_scan(
    files: list[FileInfo], found: list[MeetingPlace], folders: list[str | None]
) -> None:
    meetings = [_Meeting(n, place) for n, place in enumerate(found)]
    dossiers = [Dossier(f"d{n}", f"F{n}", 2026, "preparing", f) for n, f in enumerate(folders)]
    linker = Linker(meetings, dossiers)  # type: ignore[arg-type]
    for file in files:
        assert linker.meetings_of(file) == naive_meetings_of(file, meetings)
        assert linker.dossier_of(file) == naive_dossier_of(file, dossiers)
