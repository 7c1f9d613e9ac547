"""Sources: add one, connect to it, test it, discover its calendars and folders.

A source is one account on one server. Quorum learns the account's user id and calendar home at
connect time and keeps them in ``Source.capabilities``, so a sync run goes straight to work.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.appapi import AppApiCredentials, AppApiHttpClient
from integrations.caldav import CalendarClient
from integrations.errors import IntegrationError, NotDavServer, NotFoundError, ProtocolError
from integrations.http import HttpClient, OnRequest
from integrations.ocs import OcsClient
from integrations.types import CalendarInfo, FileEntry
from integrations.urls import check_url
from integrations.webdav import FilesClient
from sidecar.errors import NotFound, QuorumError
from sidecar.storage.models import Association, Collection, Source
from sidecar.vault import Vault

#: Calendar and folder names that tell what a collection is for (lower-case, accents kept).
CALENDAR_ROLES = {
    "meetings": ("conseil", "ca", "bureau", "ag", "réunion", "reunion", "board", "meeting"),
    "deadlines": ("échéance", "echeance", "deadline", "subvention", "grant", "dossier"),
}


@dataclass
class Connection:
    """The protocol clients of one source, sharing one HTTP session (one account)."""

    http: HttpClient
    files: FilesClient
    calendars: CalendarClient
    ocs: OcsClient

    def close(self) -> None:
        self.http.close()


def connect(
    source: Source,
    vault: Vault,
    *,
    deadline: float = 60.0,
    on_request: OnRequest | None = None,
    appapi: AppApiCredentials | None = None,
) -> Connection:
    """The protocol clients of ``source``: with its app password, or — for a source added in
    AppAPI mode (``capabilities["appapi_user"]``) — signed with the AppAPI headers as the
    Nextcloud account the admin chose, with no password stored at all.

    ``appapi`` defaults to this process's AppAPI settings (``QUORUM_APP_ID``/``_SECRET``…).
    """
    acting_as = appapi_user(source)
    http: HttpClient
    if acting_as:
        http = AppApiHttpClient(
            source.base_url, appapi or _process_credentials(), acting_as, deadline=deadline
        )
        http.on_request = on_request
    else:
        http = HttpClient(
            source.base_url,
            source.login,
            vault.decrypt(source.password_enc),
            deadline=deadline,
            on_request=on_request,
        )
    user = str(source.capabilities.get("user_id") or acting_as or source.login)
    return Connection(http, FilesClient(http, user), CalendarClient(http, user), OcsClient(http))


def appapi_user(source: Source) -> str:
    """The Nextcloud user an AppAPI-mode source acts as; "" for an app-password source."""
    found = (source.capabilities or {}).get("appapi_user")
    return found if isinstance(found, str) else ""


def _process_credentials() -> AppApiCredentials:
    from sidecar.appapi import check_settings, credentials
    from sidecar.config import load_settings

    settings = load_settings()
    if settings.mode != "appapi" or not settings.app_secret:
        raise QuorumError(
            "This source reads Nextcloud through AppAPI, but Quorum is not running as a "
            "Nextcloud app here (QUORUM_MODE=appapi with QUORUM_APP_SECRET)."
        )
    check_settings(settings)
    return credentials(settings)


def add_appapi_source(
    session: Session, association: Association, name: str, nextcloud_url: str, nc_user: str
) -> Source:
    """Store a source that reads the registering Nextcloud through AppAPI as ``nc_user``.

    No password is stored (``password_enc`` stays empty): AppAPI signs each request with the
    app's secret, and Nextcloud runs it with ``nc_user``'s rights.
    """
    nc_user = nc_user.strip()
    if not nc_user or ":" in nc_user or len(nc_user) > 200:
        raise QuorumError("Name the Nextcloud account Quorum should read as (its user id).")
    _refuse_taken_name(session, association, name)
    source = Source(
        association_id=association.id,
        name=name,
        base_url=nextcloud_url.rstrip("/") + "/",
        login=nc_user,
        password_enc=b"",
        capabilities={"appapi_user": nc_user},
    )
    session.add(source)
    session.flush()
    return source


def _refuse_taken_name(session: Session, association: Association, name: str) -> None:
    exists = session.scalar(
        select(Source).where(Source.association_id == association.id, Source.name == name)
    )
    if exists is not None:
        raise QuorumError(f"A source named {name!r} already exists; pick another name.")


def add_source(
    session: Session,
    vault: Vault,
    association: Association,
    name: str,
    url: str,
    login: str,
    password: str,
    *,
    allow_private: bool,
) -> Source:
    """Store a new source (the password encrypted); raises QuorumError on a bad URL or name."""
    try:
        url = check_url(url, allow_private=allow_private)
    except (ValueError, IntegrationError) as err:
        raise QuorumError(f"The address {url!r} cannot be used: {err}") from err
    _refuse_taken_name(session, association, name)
    source = Source(
        association_id=association.id,
        name=name,
        base_url=url.rstrip("/") + "/",
        login=login,
        password_enc=vault.encrypt(password),
        capabilities={},
    )
    session.add(source)
    session.flush()
    return source


@dataclass(frozen=True)
class Discovery:
    user_id: str
    calendar_home: str
    calendars: tuple[CalendarInfo, ...]
    folders: tuple[FileEntry, ...]
    nextcloud_version: str | None


def probe(conn: Connection) -> Discovery:
    """Connect and read what the source offers; raises IntegrationError with a precise reason.

    The first request is a PROPFIND on the files root: it tells a wrong password (401) and a
    server that does not speak WebDAV apart before anything else is tried.
    """
    try:
        root = conn.files.propfind("/", "1")
    except NotFoundError as err:
        raise NotDavServer(
            f"{conn.http.base_url} has no WebDAV files at {conn.files.root_path}: is this the "
            "Nextcloud address (without /index.php), and the right login?"
        ) from err
    except ProtocolError as err:
        raise NotDavServer(
            f"{conn.http.base_url} does not answer as a WebDAV server ({err.message})"
        ) from err
    version = _nextcloud_version(conn)
    home = conn.calendars.discover_home()
    calendars = conn.calendars.list_calendars(home)
    folders = tuple(e for e in root if e.is_folder and e.path != "/")
    return Discovery(conn.files.user, home, tuple(calendars), folders, version)


def _nextcloud_version(conn: Connection) -> str | None:
    try:
        return conn.ocs.capabilities().version
    except IntegrationError:
        return None  # a plain DAV server: no OCS, and that is fine


def record_discovery(session: Session, source: Source, found: Discovery) -> list[Collection]:
    """Create the collections found (calendars with a guessed role, the files root)."""
    caps = dict(source.capabilities)
    caps.update(
        user_id=found.user_id,
        calendar_home=found.calendar_home,
        nextcloud_version=found.nextcloud_version,
    )
    source.capabilities = caps
    known = {(c.kind, c.remote_path): c for c in source.collections}
    created: list[Collection] = []
    for cal in found.calendars:
        if ("calendar", cal.href) in known:
            continue
        role = guess_calendar_role(cal)
        created.append(
            Collection(
                kind="calendar",
                remote_path=cal.href,
                display_name=cal.display_name or cal.name,
                role=role,
                enabled=role is not None,
                components=",".join(cal.components),
            )
        )
    if ("folder", "/") not in known:
        created.append(
            Collection(kind="folder", remote_path="/", display_name="/", role="documents")
        )
    source.collections.extend(created)
    session.flush()
    return created


def guess_calendar_role(cal: CalendarInfo) -> str | None:
    text = f"{cal.name} {cal.display_name}".lower()
    words = set(text.replace("'", " ").replace("-", " ").split())
    for role, hints in CALENDAR_ROLES.items():
        if any(hint in words or (len(hint) > 3 and hint in text) for hint in hints):
            return role
    return None


def find_source(session: Session, association: Association, name: str) -> Source:
    source = session.scalar(
        select(Source).where(Source.association_id == association.id, Source.name == name)
    )
    if source is None:
        raise NotFound(f"No source named {name!r}. `quorum source list` shows the sources.")
    return source
