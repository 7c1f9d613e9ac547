"""Reading mirrored files back from Nextcloud: which source a file comes from, one connection
per source for a batch of reads, closed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.context import Services
from sidecar.errors import NotFound
from sidecar.storage.models import Collection, FileRecord, Source
from sidecar.sync import connection as sources_service


class Connections:
    """One connection per source, opened on first use and closed at the end of a scan."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.open: dict[int, sources_service.Connection] = {}

    def for_file(self, session: Session, file_id: int) -> sources_service.Connection:
        return self.for_source(source_of(session, file_id))

    def for_source(self, source: Source) -> sources_service.Connection:
        if source.id not in self.open:
            self.open[source.id] = sources_service.connect(
                source, self.services.vault, deadline=self.services.settings.http_timeout
            )
        return self.open[source.id]

    def close(self) -> None:
        for conn in self.open.values():
            conn.close()


def source_of(session: Session, file_id: int) -> Source:
    """The source a mirrored file comes from."""
    source = session.scalar(
        select(Source)
        .join(Collection, Collection.source_id == Source.id)
        .join(FileRecord, FileRecord.collection_id == Collection.id)
        .where(FileRecord.id == file_id)
    )
    if source is None:
        raise NotFound("This file is no longer in the mirror: sync again.", code="file.gone")
    return source


@contextmanager
def connections(services: Services) -> Iterator[Connections]:
    found = Connections(services)
    try:
        yield found
    finally:
        found.close()
