"""Prepare a meeting: create its folder in Nextcloud and draft an agenda there.

The folder is the meeting's folder under the association's convention (by default
``<body folder>/<YYYY-MM-DD>/``, see :mod:`sidecar.services.conventions`), the one the readiness check
looks in; each missing level is created with MKCOL. The agenda is drafted from
``templates/documents/ordre_du_jour.md`` and written with ``If-None-Match: *``, so a document
someone already put there is never overwritten: the server answers 412 and Quorum says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import NotFoundError, PreconditionFailed
from integrations.webdav import FilesClient
from sidecar.config import templates_dir
from sidecar.errors import QuorumError
from sidecar.projection.inputs import BodyInfo
from sidecar.projection.meetings import Meeting
from sidecar.security.links import safe_url
from sidecar.security.vault import Vault
from sidecar.storage.models import Association, Collection, Source
from sidecar.sync.connection import Connection, connect

AGENDA_NAME = "Ordre du jour.md"
AGENDA_TEMPLATE = "ordre_du_jour.md"


@dataclass(frozen=True)
class Prepared:
    """What preparing a meeting did: folders created, and whether the agenda was written."""

    folder: str
    agenda_path: str
    created_folders: tuple[str, ...]
    agenda_created: bool  # False: an agenda already existed, it was left untouched


def documents_dir() -> Path:
    """Document templates (the agenda's), beside the pages' templates."""
    return templates_dir() / "documents"


def quorum_rule(rule: str, required: int, seats: int) -> str:
    """The quorum clause in words (French, like the document), with the count it means now."""
    rule = rule.strip()
    if rule in ("", "0"):
        return "aucun quorum requis"
    if "/" in rule:
        return (
            f"{rule} des membres présents ou représentés en première convocation "
            f"(soit {required} sur {seats})"
        )
    return f"{rule} membres présents ou représentés en première convocation"


def proxy_rule(body: BodyInfo) -> str:
    """The proxy clause in words."""
    if not body.proxies_allowed:
        return "non autorisés"
    return f"autorisés, {body.proxy_cap} au plus par membre présent"


def agenda_text(meeting: Meeting, association: str, tz: ZoneInfo, today: date) -> str:
    """The agenda draft for ``meeting`` (Markdown), from the document template."""
    env = Environment(
        loader=FileSystemLoader(documents_dir()),
        autoescape=False,  # noqa: S701  Markdown written to Nextcloud, never served as HTML
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    local = meeting.start.astimezone(tz)
    body = meeting.body
    return env.get_template(AGENDA_TEMPLATE).render(
        association=association,
        body=body,
        day=meeting.day.strftime("%d/%m/%Y"),
        time=None if meeting.all_day else local.strftime("%H:%M"),
        location=meeting.location,
        # never a link safe_url refuses: Markdown viewers make links of what looks like one
        remote_link=safe_url(meeting.readiness.remote_link),
        quorum_rule=quorum_rule(
            body.quorum_first, meeting.readiness.quorum.required, len(body.seats)
        ),
        proxy_rule=proxy_rule(body),
        seats=body.seats,
        prepared_on=today.strftime("%d/%m/%Y"),
    )


def ensure_folder(files: FilesClient, folder: str) -> tuple[str, ...]:
    """Create each missing level of ``folder`` (MKCOL); the levels created, outermost first."""
    created: list[str] = []
    path = ""
    for part in (p for p in folder.strip("/").split("/") if p):
        path = f"{path}/{part}"
        try:
            files.propfind(path, "0")
        except NotFoundError:
            files.mkcol(path)
            created.append(path)
    return tuple(created)


def agenda_path(meeting: Meeting) -> str:
    """Where the drafted agenda goes: in the meeting's folder, under :data:`AGENDA_NAME`."""
    return f"/{meeting.folder.strip('/')}/{AGENDA_NAME}"


def prepare_in(files: FilesClient, meeting: Meeting, text: str) -> Prepared:
    """Create the meeting's folder and write the agenda, never overwriting anything."""
    created = ensure_folder(files, meeting.folder)
    agenda = agenda_path(meeting)
    try:
        files.put(agenda, text.encode("utf-8"), if_none_match=True, content_type="text/markdown")
    except PreconditionFailed:
        return Prepared(meeting.folder, agenda, created, agenda_created=False)
    return Prepared(meeting.folder, agenda, created, agenda_created=True)


def files_source(session: Session, association_id: int) -> Source:
    """The source whose files Quorum mirrors (the first with an enabled folder collection)."""
    found = session.scalar(
        select(Source)
        .join(Collection, Collection.source_id == Source.id)
        .where(
            Source.association_id == association_id,
            Collection.kind == "folder",
            Collection.enabled.is_(True),
        )
        .order_by(Source.id)
        .limit(1)
    )
    if found is None:
        raise QuorumError(
            "No Nextcloud folder is mirrored yet: add a source (`quorum source add`) first.",
            code="prepare.no_folder",
        )
    return found


def prepare_meeting(
    session: Session,
    association: Association,
    meeting: Meeting,
    vault: Vault,
    today: date,
    connect: Callable[..., Connection] = connect,
) -> Prepared:
    """Prepare ``meeting`` in the association's Nextcloud; IntegrationError if the server fails."""
    if meeting.cancelled:
        raise QuorumError(
            "This meeting is cancelled: there is nothing to prepare.", code="prepare.cancelled"
        )
    text = agenda_text(meeting, association.name, ZoneInfo(association.timezone), today)
    conn = connect(files_source(session, association.id), vault)
    try:
        return prepare_in(conn.files, meeting, text)
    finally:
        conn.close()
