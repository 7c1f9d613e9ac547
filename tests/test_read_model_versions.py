"""Whether the read models are fresh, told without reading their inputs (issue 14).

Every page that shows meetings used to read everything the read models depend on (one
statement of nine parts, about 0.9 ms of a request on PostgreSQL) to find that nothing had
changed. Now every write to those inputs counts itself in the association's
``inputs_version`` (in the writing transaction), and a process that checked the read models
at that version serves them without reading the inputs again. These tests play two processes
on one database: one reads, the other writes, and each kind of write must be seen by the
reader at its next read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from sidecar.context import Services, resolve_association
from sidecar.projection.meetings import MeetingSummary, summary
from sidecar.services import meetings as service
from sidecar.services import roster
from sidecar.storage.models import Association, Body, Collection, FileRecord
from sidecar.storage.read_models import WATCH_AGAIN_AFTER
from tests.sql_statements import statements

INPUTS = "read_model_states"
NOW = datetime.now(UTC)


@pytest.fixture
def writer(synced: Services) -> Iterator[Services]:
    """A second process on the same database (its own pool and its own memory)."""
    other = Services.from_settings(synced.settings)
    yield other
    other.db.dispose()


def _summaries(services: Services) -> list[MeetingSummary]:
    with services.db.session() as session:
        aid = resolve_association(session, None).id
        return service.list_summaries(session, aid, NOW, limit=50)


def _full(services: Services) -> list[MeetingSummary]:
    with services.db.session() as session:
        aid = resolve_association(session, None).id
        return [summary(m) for m in service.list_meetings(session, aid, NOW, limit=50)]


def test_a_warm_read_does_not_read_the_inputs_again(synced: Services) -> None:
    _summaries(synced)
    with statements(synced) as seen:
        _summaries(synced)
    assert [s for s in seen if INPUTS in s] == []


def _seat(services: Services) -> None:
    with services.db.session() as session:
        aid = resolve_association(session, None).id
        body = roster.find_body(session, aid, "CA")
        roster.seat(session, body, name="Nouvelle Venue", email="nouvelle@example.org")


def _rule(services: Services) -> None:
    with services.db.session() as session:
        body = session.scalars(select(Body).where(Body.code == "CA")).one()
        body.quorum_first = "1/1"


def _not_a_meeting(services: Services) -> None:
    first = _summaries(services)[0]
    with services.db.session() as session:
        aid = resolve_association(session, None).id
        service.set_override(
            session, aid, first.uid, first.recurrence_id, body_id=None, not_a_meeting=True
        )


def _calendar_off(services: Services) -> None:
    with services.db.session() as session:
        for calendar in session.scalars(select(Collection).where(Collection.kind == "calendar")):
            calendar.enabled = False


def _timezone(services: Services) -> None:
    with services.db.session() as session:
        resolve_association(session, None).timezone = "Pacific/Kiritimati"


def _agenda(services: Services) -> None:
    meeting = next(m for m in _full(services) if not m.readiness.agenda and not m.cancelled)
    with services.db.session() as session:
        folder = session.scalars(select(Collection).where(Collection.kind == "folder")).first()
        assert folder is not None
        [full] = [
            m
            for m in service.list_meetings(
                session, resolve_association(session, None).id, NOW, limit=50
            )
            if m.id == meeting.id
        ]
        session.add(
            FileRecord(
                collection_id=folder.id,
                path=f"/{full.folder}Ordre du jour.pdf",
                is_folder=False,
                etag='"new"',
            )
        )


@pytest.mark.parametrize(
    "change",
    [_seat, _rule, _not_a_meeting, _calendar_off, _timezone, _agenda],
    ids=lambda f: f.__name__.strip("_"),
)
def test_each_kind_of_write_is_seen_by_the_other_process_at_its_next_read(
    synced: Services, writer: Services, change: Callable[[Services], None]
) -> None:
    before = _summaries(synced)
    _summaries(synced)  # warm: the reader knows the version it checked
    change(writer)
    after = _summaries(synced)
    assert after == _full(writer)
    assert after != before


def test_a_write_that_is_not_counted_is_seen_after_a_while(
    synced: Services, writer: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write made outside the ORM (raw SQL, another tool) does not count itself: the
    reader checks the inputs again at least every WATCH_AGAIN_AFTER seconds anyway."""
    _summaries(synced)
    with writer.db.session() as session:
        session.execute(update(Body).where(Body.code == "CA").values(quorum_first="1/1"))
    assert _summaries(synced) != _full(writer)  # within the interval: as checked
    monkeypatch.setattr("sidecar.storage.read_models.WATCH_AGAIN_AFTER", 0.0)
    assert _summaries(synced) == _full(writer)
    assert WATCH_AGAIN_AFTER <= 60


def test_the_count_is_written_at_commit_not_held_from_the_first_flush(
    synced: Services, writer: Services
) -> None:
    """A sync applies its changes in one transaction (tens of seconds at the large size) and
    flushes its first collection early: had the count been written then, the association's
    row would stay locked until the commit, and every other writer of that association (a
    board member saving a body, the alerts cycle) would wait for the sync. It is written at
    the commit."""
    if not synced.settings.effective_database_url.startswith("postgresql"):
        pytest.skip("SQLite locks the whole database for a write transaction anyway")
    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        before = session.scalar(select(Association.inputs_version).where(Association.id == aid))
    with synced.db.session() as session:
        body = session.scalars(select(Body).where(Body.code == "CA")).one()
        body.quorum_first = "1/1"
        session.flush()  # as the sync's first collection: changes written, not committed
        with writer.db.engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '2s'")
            other.execute(
                update(Association).where(Association.id == aid).values(alerts_checked_at=NOW)
            )
            other.commit()  # not held up: the association's row is not locked yet
    with synced.db.session() as session:
        after = session.scalar(select(Association.inputs_version).where(Association.id == aid))
    assert after == (before or 0) + 1


def test_the_documents_page_shows_a_new_file_at_the_other_process_next_read(
    synced: Services, writer: Services
) -> None:
    """The documents page keeps the latest files and when the mirror began per fingerprint:
    a file written by the other process is among the latest at the next read."""
    from sidecar.services import documents

    def recent(services: Services) -> list[str]:
        with services.db.session() as session:
            association = resolve_association(session, None)
            found = documents.activity(session, association, NOW - timedelta(days=3650), NOW)
        return [r.document.file.path for r in found.recent]

    before = recent(synced)
    assert recent(synced) == before  # warm
    with writer.db.session() as session:
        folder = session.scalars(select(Collection).where(Collection.kind == "folder")).first()
        assert folder is not None
        session.add(
            FileRecord(
                collection_id=folder.id,
                path="/Nouveau compte rendu.pdf",
                is_folder=False,
                etag='"nouveau"',
                mtime=NOW,
            )
        )
    assert recent(synced)[0] == "/Nouveau compte rendu.pdf"


def test_a_new_source_address_is_seen_by_the_meeting_page(
    synced: Services, writer: Services
) -> None:
    """One meeting's page keeps its Nextcloud address per fingerprint, which covers every
    source's address."""
    from sidecar.services import read_models
    from sidecar.storage.models import Source
    from sidecar.web.meetings import _nextcloud_url

    def url(services: Services) -> str | None:
        with services.db.session() as session:
            association = resolve_association(session, None)
            read_models.ensure_fresh(session, association, NOW)  # as the meeting's read does
            return _nextcloud_url(session, association.id)

    before = url(synced)
    assert before is not None and url(synced) == before  # warm
    with writer.db.session() as session:
        source = session.scalars(select(Source).order_by(Source.id)).first()
        assert source is not None
        source.base_url = "https://cloud.example.org/"
    assert url(synced) == "https://cloud.example.org"
