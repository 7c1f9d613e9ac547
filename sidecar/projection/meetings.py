"""Meetings: which calendar occurrences are meetings of which body, and how ready each one is.

Pure: events, bodies, files, manual overrides and proxies plus a clock in, ``Meeting`` values
out. Classification order: a manual override (occurrence, then whole series) wins, then the
body's own patterns, then the built-in French/English names, and only on calendars whose role
is ``meetings``. Ordinary events (a training, an outing) stay out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sidecar.projection import readiness as r
from sidecar.projection.documents import (
    DEFAULT_MEETING_FOLDER,
    FileIndex,
    MeetingPlace,
    as_index,
    meeting_files,
    meeting_place,
)
from sidecar.projection.inputs import BodyInfo, EventInstance, FileInfo

#: Built-in names by body kind, most specific kind first ("AGE" before "AG" before "CA").
KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "age",
        (
            "assemblee generale extraordinaire",
            "age",
            "extraordinary general meeting",
            "egm",
        ),
    ),
    (
        "ag",
        (
            "assemblee generale",
            "assemblee generale ordinaire",
            "ag",
            "ago",
            "age",
            "general assembly",
            "general meeting",
            "annual general meeting",
            "agm",
        ),
    ),
    (
        "ca",
        (
            "ca",
            "conseil d'administration",
            "conseil d administration",
            "reunion du ca",
            "ca extraordinaire",
            "board meeting",
            "board of directors",
            "board",
        ),
    ),
    ("bureau", ("bureau", "reunion de bureau", "executive committee", "comite directeur")),
)
#: Words that make an event an ordinary activity even on a meetings calendar.
ORDINARY_WORDS = (
    "formation",
    "training",
    "atelier",
    "workshop",
    "sortie",
    "fete",
    "apero",
    "pique-nique",
    "picnic",
    "webinaire",
    "webinar",
)
MEETINGS_ROLE = "meetings"


@dataclass(frozen=True)
class MeetingOverride:
    """An admin's decision for one occurrence, or a whole series when ``recurrence_id`` is ""."""

    uid: str
    recurrence_id: str
    body_id: int | None
    not_a_meeting: bool = False


@dataclass(frozen=True)
class Meeting:
    """One occurrence of a body's meeting, with its readiness and documents."""

    id: int  # the occurrence id
    uid: str
    recurrence_id: str
    body: BodyInfo
    title: str
    start: datetime
    end: datetime
    all_day: bool
    day: date  # local date, the key of the meeting's folder
    cancelled: bool
    moved: bool  # an override moved this occurrence to another day
    location: str
    calendar_name: str
    folder: str  # the meeting's folder under the convention, "<body folder>/<YYYY-MM-DD>/"
    documents: tuple[FileInfo, ...]
    answers: tuple[r.SeatAnswer, ...]
    readiness: r.Readiness
    place: MeetingPlace  # where its documents are looked for (see projection.documents)

    @property
    def counted(self) -> bool:
        """Whether the meeting counts in totals: a cancelled meeting never does."""
        return not self.cancelled


@dataclass(frozen=True)
class MeetingSummary:
    """What a list shows of a meeting: who, when and how ready, without its documents and
    members' answers (read from the stored read model, see ``sidecar.services.read_models``)."""

    id: int  # the occurrence id
    uid: str
    recurrence_id: str
    body: BodyInfo
    title: str
    start: datetime
    end: datetime
    all_day: bool
    cancelled: bool
    moved: bool
    readiness: r.Readiness

    @property
    def counted(self) -> bool:
        """Whether the meeting counts in totals: a cancelled meeting never does."""
        return not self.cancelled


def summary(meeting: Meeting) -> MeetingSummary:
    """The list form of an assembled meeting."""
    m = meeting
    return MeetingSummary(
        m.id,
        m.uid,
        m.recurrence_id,
        m.body,
        m.title,
        m.start,
        m.end,
        m.all_day,
        m.cancelled,
        m.moved,
        m.readiness,
    )


# --- classification --------------------------------------------------------------------


def _override_for(
    event: EventInstance, overrides: Iterable[MeetingOverride]
) -> MeetingOverride | None:
    """The occurrence's own override beats the series' one."""
    series = None
    for item in overrides:
        if item.uid != event.uid:
            continue
        if item.recurrence_id and item.recurrence_id == event.recurrence_id:
            return item
        if not item.recurrence_id:
            series = item
    return series


def _texts(event: EventInstance) -> tuple[str, ...]:
    return (event.summary, *event.categories)


def _by_patterns(event: EventInstance, bodies: Sequence[BodyInfo]) -> BodyInfo | None:
    for body in bodies:
        if body.match_patterns and any(r.has_word(t, body.match_patterns) for t in _texts(event)):
            return body
    return None


def _by_names(event: EventInstance, bodies: Sequence[BodyInfo]) -> BodyInfo | None:
    if any(r.has_word(t, ORDINARY_WORDS) for t in _texts(event)):
        return None
    for kind, words in KIND_WORDS:
        if not any(r.has_word(t, words) for t in _texts(event)):
            continue
        found = _body_of_kind(kind, bodies)
        if found is not None:
            return found
    return None


def _body_of_kind(kind: str, bodies: Sequence[BodyInfo]) -> BodyInfo | None:
    """The first body of ``kind``; an extraordinary AG falls back to the AG body."""
    for wanted in (kind, "ag") if kind == "age" else (kind,):
        for body in bodies:
            if body.kind == wanted:
                return body
    return None


def classify(
    event: EventInstance,
    bodies: Sequence[BodyInfo],
    overrides: Iterable[MeetingOverride] = (),
) -> BodyInfo | None:
    """The body whose meeting ``event`` is, or None for an ordinary event."""
    if event.component != "VEVENT" or event.start is None:
        return None
    override = _override_for(event, overrides)
    if override is not None:
        if override.not_a_meeting:
            return None
        chosen = next((b for b in bodies if b.id == override.body_id), None)
        if chosen is not None:
            return chosen
    if event.calendar_role != MEETINGS_ROLE:
        return None
    return _by_patterns(event, bodies) or _by_names(event, bodies)


# --- assembly --------------------------------------------------------------------------


def _original_day(event: EventInstance, tz: tzinfo) -> date | None:
    if not event.recurrence_id:
        return None
    try:
        original = datetime.fromisoformat(event.recurrence_id)
    except ValueError:
        return None
    return r.local_date(original, event.all_day, tz)


def locate(
    event: EventInstance, body: BodyInfo, tz: tzinfo, folder_pattern: str = DEFAULT_MEETING_FOLDER
) -> tuple[date, date | None, MeetingPlace]:
    """A meeting's local day, the day it was moved from (if any), and where its files are."""
    assert event.start is not None  # classify() keeps only events with a start
    day = r.local_date(event.start, event.all_day, tz)
    original = _original_day(event, tz)
    days = [d for d in (day, original) if d is not None]
    place = meeting_place(folder_pattern, body, days, event.summary)
    return day, original, place


def build_meeting(
    event: EventInstance,
    body: BodyInfo,
    files: Sequence[FileInfo] | FileIndex,
    now: datetime,
    tz: tzinfo,
    manual_proxies: Iterable[r.ManualProxy] = (),
    folder_pattern: str = DEFAULT_MEETING_FOLDER,
) -> Meeting:
    """Assemble one meeting and compute its readiness; ``folder_pattern``: the convention.

    ``files``: the mirrored files, best as a :class:`FileIndex` built once for many meetings.
    """
    assert event.start is not None  # classify() keeps only events with a start
    start = event.start
    end = max(event.end or start, start)  # a DTEND before DTSTART ends it when it starts
    day, original, place = locate(event, body, tz, folder_pattern)
    docs = meeting_files(place, files)
    cancelled = (event.status or "").upper() == "CANCELLED"
    seat_answers = r.answers(body, event)
    mine = [
        p for p in manual_proxies if p.uid == event.uid and p.recurrence_id == event.recurrence_id
    ]
    proxies = r.proxies(body, event, mine)
    notice_ok, notice_days, sent = r.notice(event, body, tz, docs)
    readiness = r.Readiness(
        notice_ok=notice_ok,
        notice_days=notice_days,
        notice_sent=sent,
        agenda=bool(event.attach) or any(r.is_agenda(f) for f in docs),
        remote_link=r.remote_link(event),
        remote_text=r.remote_text(event),
        rsvp=r.rsvp(seat_answers),
        proxies=proxies,
        quorum=r.quorum(body.quorum_first, seat_answers, proxies),
        minutes=r.minutes_state(
            end, cancelled, any(r.is_minutes(f) for f in docs), body.minutes_due_days, now
        ),
    )
    return Meeting(
        id=event.occurrence_id,
        uid=event.uid,
        recurrence_id=event.recurrence_id,
        body=body,
        title=event.summary,
        start=start,
        end=end,
        all_day=event.all_day,
        day=day,
        cancelled=cancelled,
        moved=original is not None and original != day,
        location=event.location,
        calendar_name=event.calendar_name,
        folder=place.folders[0],
        documents=docs,
        answers=seat_answers,
        readiness=readiness,
        place=place,
    )


def project_meetings(
    events: Iterable[EventInstance],
    bodies: Sequence[BodyInfo],
    files: Sequence[FileInfo] | FileIndex,
    now: datetime,
    tz: tzinfo,
    *,
    overrides: Iterable[MeetingOverride] = (),
    manual_proxies: Iterable[r.ManualProxy] = (),
    folder_pattern: str = DEFAULT_MEETING_FOLDER,
) -> list[Meeting]:
    """Every meeting among ``events``, in start order; ``folder_pattern``: see documents."""
    overrides, manual_proxies = tuple(overrides), tuple(manual_proxies)
    index = as_index(files)  # once: each meeting then finds its files by look-up
    meetings = []
    for event in events:
        body = classify(event, bodies, overrides)
        if body is not None:
            meeting = build_meeting(event, body, index, now, tz, manual_proxies, folder_pattern)
            meetings.append(meeting)
    return sorted(meetings, key=lambda m: (m.start, m.id))
