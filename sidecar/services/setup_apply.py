"""Guided setup, the I/O half: read a sample of a source, and apply the admin's choices.

:func:`read_sample` reads event names and attendees of every calendar (one REPORT each) and the
folder tree (one PROPFIND, or two levels when the server refuses a whole-tree listing); nothing
of it is stored. :func:`apply_setup` then gives every calendar its role (``ignore`` ones are not
synced), records the role of every top folder, derives the grants folder and the sensitive
folders from them, and creates the bodies the meetings show with the people invited to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from integrations.types import CalendarInfo, CalendarObject, FileEntry
from sidecar.errors import ConfigError
from sidecar.security.vault import Vault
from sidecar.services import sources as sources_service
from sidecar.services.conventions import set_meeting_folder
from sidecar.services.setup import (
    CALENDAR_ROLES,
    FOLDER_ROLES,
    CalendarSample,
    FolderSample,
    SampleEvent,
    SetupProposal,
    SourceSample,
    propose,
)
from sidecar.storage.models import Association, Body, Collection, Member, Membership, Source
from sidecar.sync.connection import Connection, connect

log = logging.getLogger(__name__)

MAX_OBJECTS = 500  # per calendar: enough to see what it is for
MAX_BELOW = 400  # paths kept below one top folder
TREE_MAX_BYTES = 8 * 1024 * 1024
FOLDER_ROLES_KEY = "folder_roles"
SETUP_KEY = "setup"


# --- reading ----------------------------------------------------------------------------


def read_sample(conn: Connection, found: sources_service.Discovery) -> SourceSample:
    """What the setup needs to propose roles, read live from the source."""
    calendars = tuple(_calendar_sample(conn, cal) for cal in found.calendars)
    folders = _folder_samples(conn, found.folders)
    return SourceSample(calendars, folders, _users_by_email(conn))


def _calendar_sample(conn: Connection, cal: CalendarInfo) -> CalendarSample:
    try:
        objects: Sequence[CalendarObject] = conn.calendars.sync_collection(cal.href, None).changed
    except IntegrationError:
        listed = conn.calendars.list_etags(cal.href)[:MAX_OBJECTS]
        objects = conn.calendars.multiget(cal.href, [o.href for o in listed])
    events = tuple(e for obj in objects[:MAX_OBJECTS] if (e := sample_event(obj.data or "")))
    return CalendarSample(cal.href, cal.name, cal.display_name, cal.components, events)


def sample_event(ics: str) -> SampleEvent | None:
    """The master component of one calendar object, or None when it cannot be read."""
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except (ValueError, IndexError, KeyError):
        return None
    for comp in calendar.walk():
        if comp.name in ("VEVENT", "VTODO") and "RECURRENCE-ID" not in comp:
            start = comp.get("DTSTART") or comp.get("DUE")
            value = start.dt if start is not None else None
            return SampleEvent(
                summary=str(comp.get("SUMMARY", "")),
                component=str(comp.name),
                all_day=value is not None and not isinstance(value, datetime),
                attendees=tuple(_attendee(a) for a in _as_list(comp.get("ATTENDEE"))),
                organizer=_address(comp.get("ORGANIZER")),
                recurring="RRULE" in comp or "RDATE" in comp,
            )
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _address(value: Any) -> str:
    text = str(value or "").strip()
    return text[7:].lower() if text.lower().startswith("mailto:") else text.lower()


def _attendee(prop: Any) -> tuple[str, str]:
    return _address(prop), str(getattr(prop, "params", {}).get("CN", ""))


def _folder_samples(conn: Connection, tops: Sequence[FileEntry]) -> tuple[FolderSample, ...]:
    try:
        entries = conn.files.propfind("/", "infinity", max_body=TREE_MAX_BYTES)
    except IntegrationError:  # refused or too large: two levels are enough to propose
        entries = []
        for top in tops:
            level = conn.files.propfind(top.path, "1")
            entries += level
            for child in level:
                if child.is_folder and child.path != top.path:
                    entries += conn.files.propfind(child.path, "1")
    return tuple(
        FolderSample(top.path, _below(top.path, entries))
        for top in tops
        if not top.name.startswith(".")
    )


def _below(top: str, entries: Sequence[FileEntry]) -> tuple[str, ...]:
    found = sorted(
        {e.path[len(top) :] for e in entries if e.path.startswith(top) and e.path != top}
    )
    return tuple(found[:MAX_BELOW])


def _users_by_email(conn: Connection) -> dict[str, str]:
    """Nextcloud ids by e-mail, from the groups this account may list (none is fine)."""
    found: dict[str, str] = {}
    try:
        for gid in conn.ocs.groups()[:50]:
            for user in conn.ocs.group_members(gid):
                if user.email:
                    found.setdefault(user.email.lower(), user.id)
    except IntegrationError as err:  # a plain DAV server, or an account without rights
        log.info("setup: group members not readable (%s)", err)
    return found


def discover_and_propose(
    session: Session,
    source: Source,
    vault: Vault,
    *,
    deadline: float = 60.0,
    connect: Callable[..., Connection] = connect,
) -> SetupProposal:
    """Connect, register what the source offers, and propose a role for each of it."""
    conn = connect(source, vault, deadline=deadline)
    try:
        found = sources_service.probe(conn)
        sources_service.record_discovery(session, source, found)
        sample = read_sample(conn, found)
    finally:
        conn.close()
    return propose(sample)


# --- applying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupResult:
    """What applying the setup changed, for the admin to read."""

    calendars: Mapping[str, str]  # label → role
    folders: Mapping[str, str]  # path → role
    bodies_created: tuple[str, ...]
    members_seated: int


def _check(choices: Mapping[str, str], allowed: Sequence[str], what: str) -> None:
    for key, role in choices.items():
        if role not in allowed:
            raise ConfigError(
                f"Unknown role {role!r} for {what} {key!r}: choose one of {', '.join(allowed)}.",
                code="setup.role",
                role=role,
                allowed=", ".join(allowed),
            )


def apply_setup(
    session: Session,
    association: Association,
    source: Source,
    proposal: SetupProposal,
    *,
    calendar_roles: Mapping[str, str] | None = None,
    folder_roles: Mapping[str, str] | None = None,
    create_bodies: bool = True,
) -> SetupResult:
    """Apply the proposal, with the admin's changes (``*_roles``: key → role) over it."""
    cal_roles = {p.key: p.role for p in proposal.calendars} | dict(calendar_roles or {})
    dir_roles = {p.key: p.role for p in proposal.folders} | dict(folder_roles or {})
    _check(cal_roles, CALENDAR_ROLES, "calendar")
    _check(dir_roles, FOLDER_ROLES, "folder")
    labels = {}
    for coll in source.collections:
        if coll.kind == "calendar" and coll.remote_path in cal_roles:
            role = cal_roles[coll.remote_path]
            coll.role = role
            coll.enabled = role != "ignore"
            labels[coll.display_name or coll.remote_path] = role
    _apply_folders(association, dir_roles)
    if proposal.meeting_folder and not (association.settings or {}).get("meeting_folder"):
        set_meeting_folder(association, proposal.meeting_folder)
    created: tuple[str, ...] = ()
    seated = 0
    if create_bodies:
        created, seated = _apply_bodies(session, association, proposal)
    settings = dict(association.settings or {})
    settings[SETUP_KEY] = {"source": source.name, "at": datetime.now(UTC).isoformat()}
    association.settings = settings
    session.flush()
    return SetupResult(labels, dir_roles, created, seated)


def _apply_folders(association: Association, roles: Mapping[str, str]) -> None:
    settings = dict(association.settings or {})
    settings[FOLDER_ROLES_KEY] = dict(sorted(roles.items()))
    grants = [path for path, role in sorted(roles.items()) if role == "grants"]
    if grants:
        settings["grants_folder"] = grants[0].strip("/") + "/"
    sensitive = [
        path.strip("/") + "/" for path, role in sorted(roles.items()) if role == "sensitive"
    ]
    settings["sensitive_folders"] = sensitive
    association.settings = settings


def _apply_bodies(
    session: Session, association: Association, proposal: SetupProposal
) -> tuple[tuple[str, ...], int]:
    """Create the proposed bodies that do not exist yet, seating the people invited."""
    existing = {
        b.code.casefold(): b
        for b in session.scalars(select(Body).where(Body.association_id == association.id))
    }
    kinds = {b.kind for b in existing.values()}
    created: list[str] = []
    seated = 0
    for item in proposal.bodies:
        if item.code.casefold() in existing or item.kind in kinds:
            continue  # the admin's own body of that kind stays as it is
        body = Body(
            association_id=association.id,
            code=item.code,
            name=item.name,
            kind=item.kind,
            folder=item.folder,
        )
        session.add(body)
        for email, name, nc_user in item.members:
            member = _member(session, association, email, name, nc_user)
            body.memberships.append(Membership(member=member, role="membre"))
            seated += 1
        session.flush()
        created.append(item.code)
    return tuple(created), seated


def _member(
    session: Session, association: Association, email: str, name: str, nc_user: str
) -> Member:
    found = session.scalar(
        select(Member).where(Member.association_id == association.id, Member.email == email)
    )
    if found is None:
        found = Member(association_id=association.id, email=email, name=name, language="fr")
        session.add(found)
    if nc_user and not found.nc_user:
        found.nc_user = nc_user
    session.flush()
    return found


def folder_roles(association: Association) -> dict[str, str]:
    """The role of each top folder recorded by the setup (empty before it ran)."""
    found = (association.settings or {}).get(FOLDER_ROLES_KEY)
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def unassigned_calendars(source: Source) -> list[Collection]:
    """Calendars of ``source`` with no role yet: neither synced with a meaning nor ignored."""
    return [c for c in source.collections if c.kind == "calendar" and not c.role]
