"""Sources: add one, connect to it, test it, discover its calendars and folders.

A source is one account on one server. Quorum learns the account's user id and calendar home at
connect time and keeps them in ``Source.capabilities``, so a sync run goes straight to work.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import (
    BlockedAddress,
    IntegrationError,
    NotDavServer,
    NotFoundError,
    ProtocolError,
)
from integrations.http import redact
from integrations.types import CalendarInfo, FileEntry
from integrations.urls import check_url
from sidecar.errors import NotFound, QuorumError
from sidecar.security.vault import Vault
from sidecar.storage.models import Association, Collection, Source
from sidecar.sync.connection import Connection, appapi_user

#: Calendar and folder names that tell what a collection is for (lower-case, accents kept).
CALENDAR_ROLES = {
    "meetings": ("conseil", "ca", "bureau", "ag", "réunion", "reunion", "board", "meeting"),
    "deadlines": ("échéance", "echeance", "deadline", "subvention", "grant", "dossier"),
}


def add_appapi_source(
    session: Session, association: Association, name: str, nextcloud_url: str, nc_user: str
) -> Source:
    """Store a source that reads the registering Nextcloud through AppAPI as ``nc_user``.

    No password is stored (``password_enc`` stays empty): AppAPI signs each request with the
    app's secret, and Nextcloud runs it with ``nc_user``'s rights.
    """
    nc_user = nc_user.strip()
    if not nc_user or ":" in nc_user or len(nc_user) > 200:
        raise QuorumError(
            "Name the Nextcloud account Quorum should read as (its user id).", code="source.nc_user"
        )
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
        raise QuorumError(
            f"A source named {name!r} already exists; pick another name.",
            code="source.name_taken",
            name=name,
        )


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
    url = checked_url(url, allow_private=allow_private)
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


def checked_url(url: str, *, allow_private: bool) -> str:
    """The address, checked; a refusal says what to do, naming the setting that allows it."""
    try:
        return check_url(url, allow_private=allow_private)
    except BlockedAddress as err:
        hint = ""
        if not allow_private and "link-local" not in str(err) and "metadata" not in str(err):
            hint = (
                " If this Nextcloud really runs on this machine or your private network, set "
                "QUORUM_ALLOW_PRIVATE_ADDRESSES=true and try again."
            )
        raise QuorumError(
            f"The address {redact(url)!r} cannot be used: {err}{hint}",
            code="source.address_private",
            url=redact(url),
            reason=err,
        ) from err
    except (ValueError, IntegrationError) as err:
        # Never echo the address as typed: it may carry a login and password.
        raise QuorumError(
            f"The address {redact(url)!r} cannot be used: {err}",
            code="source.address",
            url=redact(url),
            reason=err,
        ) from err


def update_source(
    session: Session,
    vault: Vault,
    source: Source,
    *,
    password: str | None = None,
    url: str | None = None,
    login: str | None = None,
    allow_private: bool,
) -> Source:
    """Change a source's app password (and address or login); its state starts afresh.

    Jobs paused because the old password was refused are resumed: the next run tells whether
    the new one works.
    """
    from sidecar.storage.models import SyncJob

    if appapi_user(source):
        raise QuorumError(
            "This source reads through AppAPI: it has no app password to change.",
            code="source.appapi_password",
        )
    if url:
        source.base_url = checked_url(url, allow_private=allow_private).rstrip("/") + "/"
    if login:
        source.login = login.strip()
    if password is not None:
        if not password:
            raise QuorumError("The new app password is empty.", code="source.new_password_empty")
        source.password_enc = vault.encrypt(password)
    source.status, source.status_message, source.retry_after = "new", None, None
    for job in session.scalars(select(SyncJob).where(SyncJob.source_id == source.id)):
        job.paused_reason = None
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
        raise NotFound(
            f"No source named {name!r}. `quorum source list` shows the sources.",
            code="source.unknown",
            name=name,
        )
    return source
