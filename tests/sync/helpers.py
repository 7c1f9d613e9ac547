"""Helpers for sync tests against the demo server: connect, run, read the mirror, write remotely."""

from __future__ import annotations

from sqlalchemy import func, select

from integrations.caldav import CalendarClient
from integrations.http import HttpClient
from integrations.webdav import FilesClient
from sidecar.cli.demo import connect_demo_source
from sidecar.context import Services
from sidecar.demo import DEMO_LOGIN, DEMO_USERS
from sidecar.storage.models import CalendarObjectRecord, FileChange, FileRecord, Occurrence
from sidecar.sync.runner import RunOptions, RunReport, run_source


def connect(services: Services, url: str) -> int:
    return connect_demo_source(services, url)


def sync(services: Services, source_id: int, *, allow_mass_delete: bool = False) -> RunReport:
    options = RunOptions(allow_mass_delete=allow_mass_delete)
    return run_source(services.db, services.vault, source_id, options=options)


OPEN_CLIENTS: list[HttpClient] = []


def alice_http(url: str) -> HttpClient:
    """A client as alice; closed after each test by the autouse fixture in conftest.py."""
    client = HttpClient(url, DEMO_LOGIN, DEMO_USERS[DEMO_LOGIN], deadline=30)
    OPEN_CLIENTS.append(client)
    return client


def close_clients() -> None:
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()


def alice_files(url: str) -> FilesClient:
    return FilesClient(alice_http(url), DEMO_LOGIN)


def alice_calendars(url: str) -> CalendarClient:
    return CalendarClient(alice_http(url), DEMO_LOGIN)


def mirrored_files(services: Services) -> dict[str, str | None]:
    with services.db.session() as session:
        rows = session.execute(select(FileRecord.path, FileRecord.etag))
        return {path: etag for path, etag in rows}


def mirrored_fileids(services: Services) -> dict[str, str | None]:
    with services.db.session() as session:
        rows = session.execute(select(FileRecord.path, FileRecord.fileid))
        return {path: fileid for path, fileid in rows}


def mirrored_uids(services: Services) -> set[str]:
    with services.db.session() as session:
        return {uid for uid in session.scalars(select(CalendarObjectRecord.uid)) if uid}


def count(services: Services, model: type) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def changes(services: Services) -> list[tuple[str, str, str | None]]:
    with services.db.session() as session:
        rows = session.execute(
            select(FileChange.change, FileChange.path, FileChange.old_path).order_by(FileChange.id)
        )
        return list(rows)


__all__ = ["Occurrence"]
