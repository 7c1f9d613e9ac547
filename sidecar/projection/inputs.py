"""Plain, frozen inputs of the projection: calendar instances, files, bodies and members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Attendee:
    email: str  # lower-case, without "mailto:"
    name: str
    partstat: str  # ACCEPTED | DECLINED | TENTATIVE | NEEDS-ACTION | DELEGATED
    role: str
    delegated_to: tuple[str, ...] = ()
    delegated_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventInstance:
    """One occurrence of a VEVENT or VTODO (UID + RECURRENCE-ID), times as aware UTC."""

    occurrence_id: int
    calendar_id: int
    calendar_role: str | None
    calendar_name: str
    uid: str
    recurrence_id: str
    component: str  # VEVENT | VTODO
    summary: str
    start: datetime | None  # all-day: midnight UTC of the date
    end: datetime | None
    all_day: bool
    status: str | None  # CONFIRMED | TENTATIVE | CANCELLED | NEEDS-ACTION | COMPLETED ...
    categories: tuple[str, ...] = ()
    location: str = ""
    description: str = ""
    url: str = ""
    conference: tuple[str, ...] = ()
    attach: tuple[str, ...] = ()
    organizer: str = ""
    attendees: tuple[Attendee, ...] = ()
    created: datetime | None = None
    dtstamp: datetime | None = None
    first_seen: datetime | None = None  # when Quorum's sync first saw the object
    last_modified: datetime | None = None
    series_instance: bool = False  # an instance of a series with no component of its own
    due: str | None = None  # VTODO DUE as ISO text (date or datetime)
    completed: datetime | None = None


@dataclass(frozen=True)
class FileInfo:
    """A mirrored file or folder; ``path`` relative to the files root, folders end with "/"."""

    id: int
    path: str
    is_folder: bool
    fileid: str | None = None
    etag: str | None = None
    size: int | None = None
    mtime: datetime | None = None
    content_type: str | None = None
    owner: str | None = None
    share_types: tuple[int, ...] = ()
    first_seen: datetime | None = None
    last_changed: datetime | None = None

    @property
    def name(self) -> str:
        stripped = self.path.rstrip("/")
        return stripped.rsplit("/", 1)[-1] if stripped else ""


@dataclass(frozen=True)
class MemberInfo:
    id: int
    name: str
    email: str
    nc_user: str | None = None
    language: str = "fr"


@dataclass(frozen=True)
class Seat:
    member: MemberInfo
    role: str  # présidente, trésorier, secrétaire, membre...


@dataclass(frozen=True)
class BodyInfo:
    """A deliberative body and its statutory rules (see docs/design.md for the French defaults)."""

    id: int
    code: str
    name: str
    kind: str  # ca | bureau | ag | age | custom
    notice_days: int = 15
    quorum_first: str = "1/2"  # a fraction "1/2", a count "5", or "0" for none
    quorum_second: str = "0"
    proxies_allowed: bool = True
    proxy_cap: int = 1
    remote_allowed: bool = False
    minutes_due_days: int = 30
    match_patterns: tuple[str, ...] = ()
    folder: str | None = None
    seats: tuple[Seat, ...] = ()
