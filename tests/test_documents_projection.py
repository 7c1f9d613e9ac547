"""Documents and the meeting folder convention, pure: which files belong to which meeting and
dossier, pattern validation, and Prepare ↔ readiness agreement over Europe/Paris dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.projection.document_links import link_documents
from sidecar.projection.documents import (
    DEFAULT_MEETING_FOLDER,
    FolderPatternError,
    check_meeting_folder,
    meeting_folder,
    recently_modified,
)
from sidecar.projection.grants import Dossier
from sidecar.projection.inputs import BodyInfo, EventInstance, FileInfo
from sidecar.projection.meetings import Meeting, build_meeting
from sidecar.services import prepare

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
CA = BodyInfo(1, "CA", "Conseil d'administration", "ca")
BUREAU = BodyInfo(2, "BUREAU", "Bureau", "bureau", folder="Instances/Bureau")


def _event(start: datetime, **changes: object) -> EventInstance:
    fields: dict[str, object] = {
        "occurrence_id": 7,
        "calendar_id": 1,
        "calendar_role": "meetings",
        "calendar_name": "Conseil",
        "uid": "ca@example.org",
        "recurrence_id": "",
        "component": "VEVENT",
        "summary": "Conseil d'administration",
        "start": start,
        "end": start + timedelta(hours=2),
        "all_day": False,
        "status": "CONFIRMED",
    }
    fields.update(changes)
    return EventInstance(**fields)  # type: ignore[arg-type]


def _file(path: str, n: int, mtime: datetime | None = None) -> FileInfo:
    return FileInfo(n, path, path.endswith("/"), fileid=str(100 + n), mtime=mtime)


def _meeting(
    start: datetime,
    files: list[FileInfo],
    body: BodyInfo = CA,
    pattern: str = DEFAULT_MEETING_FOLDER,
    **changes: object,
) -> Meeting:
    return build_meeting(_event(start, **changes), body, files, NOW, PARIS, folder_pattern=pattern)


# --- the convention -------------------------------------------------------------------


def test_default_and_custom_patterns_name_the_folder() -> None:
    day = date(2026, 4, 4)
    assert meeting_folder(DEFAULT_MEETING_FOLDER, CA, day) == "Conseil d'administration/2026-04-04/"
    custom = "{body_folder}/{date:%Y}/{date:%m-%d} {body}/"
    assert meeting_folder(custom, BUREAU, day) == "Instances/Bureau/2026/04-04 Bureau/"
    assert check_meeting_folder("/{code}/{date:%d.%m.%Y}") == "{code}/{date:%d.%m.%Y}/"


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("{body_folder}/{day}/", "Unknown placeholder {day}"),
        ("{body_folder}/{date.year}/", "Unknown placeholder"),
        ("{body_folder}/{date!r}/", "Unknown placeholder"),
        ("{body_folder}/", "needs the meeting's date"),
        ("{body_folder}/{date:%Y-%m}/", "keep day, month and year apart"),
        ("{body_folder}/{date:%Y-%m-%d", "Unbalanced braces"),
        ("{body:>10}/{date}/", "Only {date} takes a format"),
        ("  ", "empty"),
        ("{body_folder}/../{date}/", "'.' or '..'"),
    ],
)
def test_unusable_patterns_are_refused_with_a_reason(pattern: str, says: str) -> None:
    with pytest.raises(FolderPatternError, match=says.replace("{", r"\{").replace("(", r"\(")):
        check_meeting_folder(pattern)


# --- the rule -------------------------------------------------------------------------


def test_documents_link_to_meetings_and_dossiers() -> None:
    files = [
        _file("Conseil d'administration/2026-04-04/Ordre du jour.pdf", 1),
        _file("Conseil d'administration/2026-04-04/annexes/Budget.ods", 2),
        _file("Conseil d'administration/PV CA 2026-04-04.pdf", 3),
        _file("Conseil d'administration/Archives/PV 2026-04-04.pdf", 4),  # not directly in it
        _file("Subventions/Ville de Lyon 2027/RIB.pdf", 5),
        _file("Subventions/Ville de Lyon 2027/Conseil/2026-04-04.pdf", 6),
        _file("Conseil d'administration/2026-04-04/", 7),
        _file("Photos/IMG_0001.jpg", 8),
    ]
    ca = _meeting(datetime(2026, 4, 4, 8, 0, tzinfo=UTC), files)
    lyon = Dossier("f:Subventions/Ville de Lyon 2027/", "Ville de Lyon", 2027, "preparing",
                   "Subventions/Ville de Lyon 2027/")  # fmt: skip
    nested = Dossier("f:Subventions/Ville de Lyon 2027/Conseil/", "Sub", None, "idea",
                     "Subventions/Ville de Lyon 2027/Conseil/")  # fmt: skip

    linked = {d.file.id: d for d in link_documents(files, [ca], [lyon, nested])}

    assert [f.id for f in ca.documents] == [1, 2, 3]  # by path
    assert ca.readiness.agenda and ca.readiness.minutes == "present"
    for n in (1, 2, 3):
        assert [m.id for m in linked[n].meetings] == [ca.id] and linked[n].dossier is None
    assert linked[4].meetings == () and linked[8].meetings == () and linked[8].dossier is None
    assert linked[5].dossier is not None and linked[5].dossier.funder == "Ville de Lyon"
    assert linked[6].dossier is not None and linked[6].dossier.funder == "Sub"  # deepest wins
    assert 7 not in linked  # folders are not documents


def test_moved_meeting_keeps_the_folder_of_its_original_day() -> None:
    files = [_file("Conseil d'administration/2026-04-04/Ordre du jour.pdf", 1)]
    moved = _meeting(
        datetime(2026, 4, 11, 8, 0, tzinfo=UTC), files, recurrence_id="2026-04-04T08:00:00+00:00"
    )
    assert moved.moved and moved.folder == "Conseil d'administration/2026-04-11/"
    assert moved.readiness.agenda
    assert [d.meetings[0].id for d in link_documents(files, [moved], [])] == [moved.id]


def test_custom_convention_is_where_readiness_looks() -> None:
    pattern = "{body_folder}/{date:%Y}/{date:%m-%d} {code}/"
    files = [
        _file("Instances/Bureau/2026/04-04 BUREAU/ODJ.pdf", 1),
        _file("Instances/Bureau/2026-04-04/ODJ.pdf", 2),  # a sub-folder named with the date
        _file("Instances/Bureau/2026-04-05/ODJ.pdf", 3),  # another day's
    ]
    bureau = _meeting(datetime(2026, 4, 4, 8, 0, tzinfo=UTC), files, BUREAU, pattern)
    assert [f.id for f in bureau.documents] == [2, 1]
    assert bureau.folder == "Instances/Bureau/2026/04-04 BUREAU/"


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("AG/AGO 2027/PV.pdf", True),  # a folder named after the meeting (title)
        ("AG/PV AGO 2027.pdf", True),  # a file named with the title
        ("AG/Assemblée générale 2027/Rapport moral.pdf", True),  # the assembly's year
        ("AG/AGO 2026/PV.pdf", False),  # last year's assembly
        ("AG/Compte rendu 14.06.2027.pdf", True),  # the date, written the French way
        ("AG/20270614 émargement.pdf", True),
        ("AG/Archives/AGO 2027/PV.pdf", False),  # deeper than one sub-folder: not looked at
        ("AG/Budget 2027.pdf", False),  # a year alone in a file name says nothing
    ],
)
def test_meeting_folders_named_after_the_meeting(path: str, found: bool) -> None:
    ag = BodyInfo(id=3, code="AG", name="Assemblée générale", kind="ag", folder="AG")
    event_start = datetime(2027, 6, 14, 12, 0, tzinfo=UTC)
    meeting = _meeting(event_start, [_file(path, 1)], ag, summary="AGO 2027")
    assert bool(meeting.documents) is found
    (linked,) = link_documents([_file(path, 1)], [meeting], [])  # the documents page agrees
    assert bool(linked.meetings) is found


def test_title_and_year_placeholders_are_accepted() -> None:
    assert check_meeting_folder("{body_folder}/{title}") == "{body_folder}/{title}/"
    assert check_meeting_folder("{body_folder}/AGO {year}/") == "{body_folder}/AGO {year}/"
    ag = BodyInfo(id=3, code="AG", name="Assemblée générale", kind="ag", folder="AG")
    assert meeting_folder("{body_folder}/{title}/", ag, date(2027, 6, 14), "AGO 2027") == (
        "AG/AGO 2027/"
    )


def test_recently_modified_is_newest_first_without_folders() -> None:
    old, new = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    files = [_file("a.pdf", 1, old), _file("b.pdf", 2, new), _file("c/", 3, new), _file("d", 4)]
    assert [f.path for f in recently_modified(files, limit=5)] == ["b.pdf", "a.pdf"]
    assert [f.path for f in recently_modified(files, limit=1)] == ["b.pdf"]


# --- Prepare and readiness agree ------------------------------------------------------

SEGMENTS = st.sampled_from(
    ["{body_folder}", "{body}", "{code}", "Réunions", "{date:%Y}", "{date:%B}", "PV {code}"]
)
DATE_PARTS = st.sampled_from(
    ["{date:%Y-%m-%d}", "{date:%d.%m.%Y}", "{date:%Y}/{date:%m-%d}", "{date:%Y%m%d} {body}",
     "{date:%Y}/{date:%m}/{date:%d}", "{date}"]
)  # fmt: skip
PATTERNS = st.builds(
    lambda before, dated, after: "/".join([*before, dated, *after]) + "/",
    st.lists(SEGMENTS, max_size=2),
    DATE_PARTS,
    st.lists(SEGMENTS, max_size=1),
)
#: Instants around the year, DST changes in Europe/Paris (last Sundays of March and October)
#: and local midnight included: the folder's date is the local one.
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(PARIS)
)


@given(pattern=PATTERNS, start=INSTANTS, all_day=st.booleans())
def test_the_folder_prepare_creates_is_the_folder_readiness_looks_in(
    pattern: str, start: datetime, all_day: bool
) -> None:
    check_meeting_folder(pattern)
    begin = (
        datetime(start.year, start.month, start.day, tzinfo=UTC)
        if all_day
        else start.astimezone(UTC)
    )
    bare = _meeting(begin, [], pattern=pattern, all_day=all_day)
    assert bare.day == (begin.date() if all_day else start.date())
    agenda = _file(prepare.agenda_path(bare).lstrip("/"), 1)

    ready = _meeting(begin, [agenda], pattern=pattern, all_day=all_day)

    assert ready.readiness.agenda is True
    assert ready.documents == (agenda,)
    assert [m.id for m in link_documents([agenda], [ready], [])[0].meetings] == [ready.id]


@given(start=INSTANTS, days=st.integers(min_value=1, max_value=400))
def test_meetings_on_different_days_never_share_a_folder(start: datetime, days: int) -> None:
    first = meeting_folder("{body_folder}/{date:%Y}/{date:%m-%d} {body}/", CA, start.date())
    later = start.date() + timedelta(days=days)
    assert meeting_folder("{body_folder}/{date:%Y}/{date:%m-%d} {body}/", CA, later) != first
