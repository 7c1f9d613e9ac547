"""Readiness of one meeting: notice, agenda, remote link, answers, proxies, quorum, minutes.

Pure functions over the projection's inputs and a clock. Days are counted between *local*
calendar dates in the association's time zone, so a 15-day notice means the same thing
whatever the hour of the meeting or a daylight-saving change in between.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sidecar.projection.inputs import Attendee, BodyInfo, EventInstance, FileInfo, Seat
from sidecar.projection.links import is_safe_url, safe_url

AGENDA_WORDS = ("ordre du jour", "odj", "agenda", "convocation")
MINUTES_WORDS = ("proces-verbal", "proces verbal", "pv", "compte rendu", "compte-rendu", "minutes")
#: Hosts and paths of visio services; a Nextcloud Talk room is ``/call/<token>``.
VISIO_HINTS = (
    "/call/",
    "visio",
    "meet",
    "jitsi",
    "zoom.us",
    "teams.microsoft",
    "teams.live",
    "bigbluebutton",
    "bbb",
    "whereby",
    "webex",
    "framatalk",
)
URL_RE = re.compile(r"https?://[^\s<>\"',;]+", re.IGNORECASE)

ACCEPTED, DECLINED, TENTATIVE, DELEGATED, NO_ANSWER = (
    "accepted",
    "declined",
    "tentative",
    "delegated",
    "no_answer",
)
_ANSWERS = {"ACCEPTED": ACCEPTED, "DECLINED": DECLINED, "TENTATIVE": TENTATIVE}


@dataclass(frozen=True)
class SeatAnswer:
    """One member of the body and what they answered (``invited`` False: not an attendee)."""

    seat: Seat
    answer: str  # accepted | declined | tentative | delegated | no_answer
    invited: bool


@dataclass(frozen=True)
class Rsvp:
    accepted: int = 0
    declined: int = 0
    tentative: int = 0
    no_answer: int = 0
    delegated: int = 0


@dataclass(frozen=True)
class Proxy:
    """A member represented by another; ``valid`` False says why in ``problem``."""

    giver: str  # e-mail
    holder: str
    source: str  # calendar | manual
    valid: bool
    problem: str | None = None  # not_allowed | over_cap | holder_not_member


@dataclass(frozen=True)
class Quorum:
    required: int
    expected: int  # accepted + valid proxies held by accepted members
    possible: int  # expected + whoever may still come (tentative, no answer)
    state: str  # reached | at_risk | not_reached


@dataclass(frozen=True)
class ManualProxy:
    """A proxy entered in the UI (a paper "pouvoir"), for one occurrence."""

    uid: str
    recurrence_id: str
    giver: str
    holder: str


@dataclass(frozen=True)
class Readiness:
    notice_ok: bool | None  # None: nobody knows when the convocation was sent
    notice_days: int | None  # whole days between the convocation and the meeting
    notice_sent: datetime | None
    agenda: bool
    remote_link: str | None
    rsvp: Rsvp
    proxies: tuple[Proxy, ...]
    quorum: Quorum
    minutes: str  # present | pending | overdue | not_due
    remote_text: str | None = None  # a CONFERENCE refused as a link, shown as text only


# --- text ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)  # the same summaries and names come back on every page
def normalise(text: str) -> str:
    """Lower-case, accents and typographic apostrophes removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("_", " "))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def has_word(text: str, words: Iterable[str]) -> bool:
    """Whether one of ``words`` appears in ``text`` as whole words (so "ca" ≠ "cancel")."""
    return _words_pattern(tuple(words)).search(normalise(text)) is not None


@functools.lru_cache(maxsize=256)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled pattern for a list of words: any of them, as whole words."""
    choices = "|".join(re.escape(normalise(w)) for w in words) if words else "(?!)"
    return re.compile(rf"(?<![a-z0-9])(?:{choices})(?![a-z0-9])")


# --- dates -----------------------------------------------------------------------------


def local_date(moment: datetime, all_day: bool, tz: tzinfo) -> date:
    """The calendar date people see; all-day values are stored at midnight UTC of the date."""
    return moment.date() if all_day else moment.astimezone(tz).date()


CONVOCATION_WORDS = ("convocation", "convocations", "notice of meeting")
#: "Convocation envoyée le 02/01/2027", "Convocation : 2027-01-02" in an event's description.
_NOTICE_FIELD = re.compile(
    r"convocations?\b[^\n\d]{0,40}?(\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{4})",
    re.IGNORECASE,
)


def notice_field(text: str, tz: tzinfo) -> datetime | None:
    """The convocation date written in the event ("Convocation envoyée le 02/01/2027")."""
    found = _NOTICE_FIELD.search(text or "")
    if found is None:
        return None
    value = found.group(1)
    try:
        if "-" in value:
            day = date.fromisoformat(value)
        else:
            d, m, y = (int(part) for part in re.split(r"[/.]", value))
            day = date(y, m, d)
    except ValueError:
        return None
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)


def convocation_files(documents: Iterable[FileInfo]) -> list[FileInfo]:
    """The meeting's documents named as its convocation."""
    return [f for f in documents if not f.is_folder and has_word(_stem(f.name), CONVOCATION_WORDS)]


def notice_sent(
    event: EventInstance, documents: Iterable[FileInfo] = (), tz: tzinfo | None = None
) -> datetime | None:
    """When this occurrence's convocation went out, from its own evidence only (None: unknown).

    In order: the date written in the event ("Convocation envoyée le …"), the convocation file
    in the meeting's folder (its modification date, or when Quorum first saw it if earlier),
    then the occurrence's own stamps. An occurrence of a recurring series never takes CREATED
    (the series' one is months old and would make every late convocation look in time): an
    override (a component of its own) takes its DTSTAMP / LAST-MODIFIED, and a plain instance
    takes nothing, since all its stamps are the series'. Quorum reads no mail, so the date an
    e-mail convocation was sent is never known.
    """
    written = notice_field(event.description, tz or local_zone(event))
    if written is not None:
        return written
    dated = [
        min(t for t in (f.mtime, f.first_seen) if t is not None)
        for f in convocation_files(documents)
        if f.mtime is not None or f.first_seen is not None
    ]
    if dated:
        return min(dated)
    if event.series_instance:
        return None
    stamps: tuple[datetime | None, ...] = (event.created, event.dtstamp, event.first_seen)
    if event.recurrence_id:
        stamps = (event.dtstamp, event.last_modified)
    known = [t for t in stamps if t is not None]
    return min(known) if known else None


def local_zone(event: EventInstance) -> tzinfo:
    """UTC, the zone of the stored instants, when the association's is not given."""
    return event.start.tzinfo if event.start and event.start.tzinfo else UTC


def notice(
    event: EventInstance, body: BodyInfo, tz: tzinfo, documents: Iterable[FileInfo] = ()
) -> tuple[bool | None, int | None, datetime | None]:
    """(in time?, whole days given, sent at) for the body's notice period."""
    sent = notice_sent(event, documents, tz)
    if sent is None or event.start is None:
        return None, None, sent
    days = (local_date(event.start, event.all_day, tz) - sent.astimezone(tz).date()).days
    return days >= body.notice_days, days, sent


# --- documents and links ---------------------------------------------------------------


def is_agenda(file: FileInfo) -> bool:
    return not file.is_folder and has_word(_stem(file.name), AGENDA_WORDS)


def is_minutes(file: FileInfo) -> bool:
    return not file.is_folder and has_word(_stem(file.name), MINUTES_WORDS)


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


def remote_link(event: EventInstance) -> str | None:
    """A visio or Talk URL: any CONFERENCE counts, other fields only visio-looking URLs; only
    what :func:`~sidecar.projection.links.safe_url` makes a link (a ``javascript:`` CONFERENCE
    is no video link: see :func:`remote_text`)."""
    for value in event.conference:
        if (link := safe_url(value)) is not None:
            return link
    for text in (event.location, event.description, event.url):
        for url in URL_RE.findall(text or ""):
            if any(hint in url.lower() for hint in VISIO_HINTS) and is_safe_url(url):
                return str(url)
    return None


def remote_text(event: EventInstance) -> str | None:
    """The CONFERENCE that cannot be a link (``javascript:``…) when there is no remote link:
    its words, for the meeting page to show as text."""
    if not event.conference or remote_link(event) is not None:
        return None
    return event.conference[0]


def minutes_state(end: datetime, cancelled: bool, found: bool, due_days: int, now: datetime) -> str:
    """Minutes are due only once a meeting that took place is over."""
    if found:
        return "present"
    if cancelled or end > now:
        return "not_due"
    return "overdue" if now > end + timedelta(days=due_days) else "pending"


# --- answers, proxies, quorum ----------------------------------------------------------


def _attendee_of(seat: Seat, attendees: Iterable[Attendee]) -> Attendee | None:
    """Match by e-mail, or by Nextcloud user id (principal URIs end with ``/users/<id>``)."""
    email = seat.member.email.lower()
    user = (seat.member.nc_user or "").lower()
    for attendee in attendees:
        address = attendee.email.lower()
        if address == email:
            return attendee
        if user and (address == user or address.rstrip("/").endswith(f"/users/{user}")):
            return attendee
    return None


def answers(body: BodyInfo, event: EventInstance) -> tuple[SeatAnswer, ...]:
    """Each seat's answer; someone not invited has, by definition, not answered."""
    result = []
    for seat in body.seats:
        found = _attendee_of(seat, event.attendees)
        if found is None:
            result.append(SeatAnswer(seat, NO_ANSWER, invited=False))
        elif found.partstat == "DELEGATED":
            result.append(SeatAnswer(seat, DELEGATED, invited=True))
        else:
            result.append(SeatAnswer(seat, _ANSWERS.get(found.partstat, NO_ANSWER), True))
    return tuple(result)


def rsvp(seat_answers: Iterable[SeatAnswer]) -> Rsvp:
    counts = {ACCEPTED: 0, DECLINED: 0, TENTATIVE: 0, NO_ANSWER: 0, DELEGATED: 0}
    for item in seat_answers:
        counts[item.answer] += 1
    return Rsvp(**counts)


def _delegations(event: EventInstance) -> list[tuple[str, str]]:
    """(giver, holder) pairs from DELEGATED-TO, and DELEGATED-FROM when only the holder says it."""
    pairs: list[tuple[str, str]] = []
    for a in event.attendees:
        pairs += [(a.email, to) for to in a.delegated_to]
        pairs += [(frm, a.email) for frm in a.delegated_from]
    return list(dict.fromkeys(pairs))


def proxies(
    body: BodyInfo, event: EventInstance, manual: Iterable[ManualProxy] = ()
) -> tuple[Proxy, ...]:
    """Every proxy given for this meeting, each marked valid or not under the body's rules."""
    members = {s.member.email.lower() for s in body.seats}
    given = [(g, h, "calendar") for g, h in _delegations(event)]
    given += [(m.giver.lower(), m.holder.lower(), "manual") for m in manual]
    held: dict[str, int] = {}
    result: list[Proxy] = []
    seen: set[str] = set()
    for giver, holder, source in given:
        if giver in seen or giver not in members:
            continue  # one proxy per giver; non-members' delegations mean nothing here
        seen.add(giver)
        problem = _proxy_problem(body, holder, members, held)
        result.append(Proxy(giver, holder, source, problem is None, problem))
    return tuple(result)


def _proxy_problem(
    body: BodyInfo, holder: str, members: set[str], held: dict[str, int]
) -> str | None:
    if not body.proxies_allowed:
        return "not_allowed"
    if holder not in members:
        return "holder_not_member"
    held[holder] = held.get(holder, 0) + 1
    return "over_cap" if held[holder] > body.proxy_cap else None


def required(rule: str, seats: int) -> int:
    """Members needed present or represented: a fraction ("1/2"), a percentage, or a count."""
    text = rule.strip().replace(" ", "")
    try:
        if "/" in text:
            num, den = (int(x) for x in text.split("/", 1))
            return math.ceil(seats * num / den) if den else 0
        if text.endswith("%"):
            return math.ceil(seats * float(text[:-1]) / 100)
        return int(text or 0)
    except ValueError:
        return math.ceil(seats / 2)  # an unreadable rule falls back to the legal default


def quorum(
    rule: str, seat_answers: tuple[SeatAnswer, ...], valid_proxies: Iterable[Proxy]
) -> Quorum:
    """Expected = accepted + proxies held by accepted members; at risk while still reachable."""
    accepted = {a.seat.member.email.lower() for a in seat_answers if a.answer == ACCEPTED}
    maybe = {
        a.seat.member.email.lower() for a in seat_answers if a.answer in (TENTATIVE, NO_ANSWER)
    }
    # a member is counted once: in person if they come, else through their proxy
    carried = [p for p in valid_proxies if p.valid and p.giver not in accepted]
    maybe -= {p.giver for p in carried}
    expected = len(accepted) + sum(1 for p in carried if p.holder in accepted)
    # a proxy held by someone who may still come may still count
    possible = expected + len(maybe) + sum(1 for p in carried if p.holder in maybe)
    need = required(rule, len(seat_answers))
    if expected >= need:
        state = "reached"
    elif possible >= need:
        state = "at_risk"
    else:
        state = "not_reached"
    return Quorum(need, expected, possible, state)
