"""Windows of stored meetings read only the rows they may hold (issue 14, large size).

The meetings are read through their (association, start) index. A window of meetings still to
end (the overview, the upcoming list) scanned every meeting that started in the past to find
the few still running, and a window of ended meetings (the past list, newest first) every
meeting to come: 8,000 and 24,000 rows at the large benchmark size, 2.5 ms of PostgreSQL and
up to 14 ms of SQLite per page. A meeting ends at or after its start, and none lasts longer
than the longest the read models hold: both windows now bound the start they scan, and give
the same meetings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from sidecar.context import Services, resolve_association
from sidecar.storage import read_models as storage
from sidecar.storage.read_models import MeetingEntry, Window

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def _entry(number: int, start: datetime, hours: float) -> MeetingEntry:
    return MeetingEntry(
        occurrence_id=number,
        body_id=1,
        body_code="CA",
        title=f"Réunion {number}",
        start=start,
        end=start + timedelta(hours=hours),
        day=start.date(),
        original_day=None,
        cancelled=False,
        uid=f"uid-{number}",
    )


#: Weekly two-hour meetings for a year either side of NOW, and one seminar of three days that
#: started two days ago and is still running.
ENTRIES = [
    *(_entry(n, NOW + timedelta(weeks=n - 52, hours=1), 2) for n in range(1, 105)),
    _entry(500, NOW - timedelta(days=2), 72),
]


@pytest.fixture
def stored(services: Services) -> tuple[Services, int]:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        state = storage.lock_state(session, association.id, NOW)
        storage.replace(session, association.id, ENTRIES, [])
        state.fingerprint = "built"
        state.longest_meeting = storage.longest(ENTRIES)
        return services, association.id


def _read(services: Services, association_id: int, window: Window) -> tuple[list[int], list[str]]:
    seen: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_rest: object) -> None:
        seen.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        with services.db.session() as session:
            storage.built(session, resolve_association(session, None), "built")
            found = [e.occurrence_id for e in storage.meetings(session, association_id, window)]
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)
    return found, [s for s in seen if "FROM read_meetings" in s]


def _expected(keep: object) -> list[int]:
    return [e.occurrence_id for e in sorted(ENTRIES, key=lambda e: e.start) if keep(e)]  # type: ignore[operator]


def test_the_longest_meeting_is_kept_with_the_read_models() -> None:
    assert storage.longest(ENTRIES) == 72 * 3600
    assert storage.longest([]) is None


def test_meetings_still_to_end_include_the_one_running_for_days(
    stored: tuple[Services, int],
) -> None:
    services, aid = stored
    found, statements = _read(services, aid, Window(ending_after=NOW, limit=3))
    assert found == _expected(lambda e: e.end >= NOW)[:3]
    assert found[0] == 500  # started two days ago, ends tomorrow
    [statement] = statements
    assert "read_meetings.start >=" in statement  # the scan starts at NOW minus three days


def test_ended_meetings_newest_first_read_no_meeting_to_come(stored: tuple[Services, int]) -> None:
    services, aid = stored
    found, statements = _read(services, aid, Window(ending_before=NOW, newest_first=True, limit=4))
    assert found == list(reversed(_expected(lambda e: e.end < NOW)))[:4]
    [statement] = statements
    assert "read_meetings.start <" in statement
