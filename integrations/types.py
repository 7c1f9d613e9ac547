"""Plain data returned by the protocol clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FileEntry:
    """One file or folder from a WebDAV PROPFIND.

    ``path`` is the percent-decoded path relative to the user's files root: ``"/"`` for the root,
    folders end with ``"/"`` (``"/Subventions/Ville de Lyon 2027/"``), files do not.
    ``etag`` is kept exactly as the server sent it, quotes included (``'"5f3c…"'``).
    """

    path: str
    is_folder: bool
    etag: str | None
    fileid: str | None = None
    size: int | None = None
    mtime: datetime | None = None
    content_type: str | None = None
    owner: str | None = None
    permissions: str | None = None
    share_types: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        stripped = self.path.rstrip("/")
        return stripped.rsplit("/", 1)[-1] if stripped else ""


@dataclass(frozen=True)
class CalendarInfo:
    """One calendar collection of a calendar home."""

    href: str  # absolute path on the server, decoded, ending with "/"
    name: str  # last path segment ("conseil")
    display_name: str
    components: tuple[str, ...] = ("VEVENT",)
    sync_token: str | None = None
    ctag: str | None = None
    color: str | None = None
    timezone: str | None = None  # the VCALENDAR text of calendar-timezone, if set


@dataclass(frozen=True)
class CalendarObject:
    """One calendar object resource: ``data`` is None when only the ETag was asked for."""

    href: str
    etag: str | None
    data: str | None = None


@dataclass(frozen=True)
class SyncDelta:
    """The answer to a ``sync-collection`` REPORT."""

    token: str | None
    changed: tuple[CalendarObject, ...] = ()
    removed: tuple[str, ...] = ()
    truncated: bool = False  # a 507 on the server side: ask again from ``token``
    #: Entries the server reported with another status (500, 403...) or without their data:
    #: they changed, but what they became is unknown (fetch them again, or keep the old token).
    failed: tuple[str, ...] = ()
    #: Responses that could not even be tied to an object (no DAV href, a foreign or unsafe one).
    unreadable: int = 0


@dataclass(frozen=True)
class NcUser:
    id: str
    display_name: str
    email: str | None = None
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Share:
    """One Nextcloud share from the OCS sharing API (``share_type`` 0 user, 1 group, 3 link, 4 email)."""

    id: str
    share_type: int
    path: str
    item_type: str  # "file" | "folder"
    owner: str
    share_with: str | None
    share_with_displayname: str | None
    permissions: int
    has_password: bool
    expiration: datetime | None
    url: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Capabilities:
    version: str
    talk: bool = False
    notifications: bool = False
    activity: bool = False
    raw: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
