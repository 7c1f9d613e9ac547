"""Issue 13, items 4 and 8: occurrences keyed by (UID, RECURRENCE-ID), THISANDFUTURE applied to
every later instance, and the iCalendar derivations (end before start, exact durations across
DST, BOM, empty data, a task without DUE). Pure: parse_object with a fixed window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sidecar.sync.expand import parse_object

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def ics(*components: str) -> str:
    body = "".join(f"BEGIN:{c.split(chr(10), 1)[0]}\n{c.split(chr(10), 1)[1]}" for c in components)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n{body}END:VCALENDAR\n"


SERIES = """VEVENT
UID:ca
DTSTAMP:20260101T000000Z
DTSTART:20270105T180000Z
DTEND:20270105T200000Z
RRULE:FREQ=WEEKLY;COUNT=6
SUMMARY:CA
END:VEVENT
"""
MOVED_FROM_THIRD = """VEVENT
UID:ca
DTSTAMP:20260101T000000Z
RECURRENCE-ID;RANGE=THISANDFUTURE:20270119T180000Z
DTSTART:20270119T190000Z
DTEND:20270119T210000Z
SUMMARY:CA (nouvel horaire)
END:VEVENT
"""


def test_thisandfuture_moves_every_later_instance_and_keeps_each() -> None:
    parsed = parse_object(ics(SERIES, MOVED_FROM_THIRD), window=WINDOW)
    keys = {(o.uid, o.recurrence_id) for o in parsed.occurrences}
    assert len(keys) == 6, "six instances, six keys: none collapsed into the override"
    starts = sorted(o.start for o in parsed.occurrences if o.start is not None)
    assert [s.hour for s in starts] == [18, 18, 19, 19, 19, 19]
    by_rid = {o.recurrence_id: o for o in parsed.occurrences}
    # Each later instance keeps its own original slot as identity.
    assert by_rid["2027-02-09T18:00:00+00:00"].start == datetime(2027, 2, 9, 19, tzinfo=UTC)
    assert by_rid["2027-02-09T18:00:00+00:00"].summary == "CA (nouvel horaire)"


def test_an_object_with_two_uids_keeps_both() -> None:
    one = (
        "VEVENT\nUID:a\nDTSTAMP:20260101T000000Z\nDTSTART:20270105T180000Z\nSUMMARY:A\nEND:VEVENT\n"
    )
    two = (
        "VEVENT\nUID:b\nDTSTAMP:20260101T000000Z\nDTSTART:20270105T180000Z\nSUMMARY:B\nEND:VEVENT\n"
    )
    parsed = parse_object(ics(one, two), window=WINDOW)
    assert sorted(o.uid for o in parsed.occurrences) == ["a", "b"]


def test_the_rows_of_an_object_are_keyed_by_uid_and_recurrence_id() -> None:
    from sidecar.storage.models import Collection
    from sidecar.sync.calendars import ObjectChange, _occurrence_rows

    one = (
        "VEVENT\nUID:a\nDTSTAMP:20260101T000000Z\nDTSTART:20270105T180000Z\nSUMMARY:A\nEND:VEVENT\n"
    )
    two = (
        "VEVENT\nUID:b\nDTSTAMP:20260101T000000Z\nDTSTART:20270105T180000Z\nSUMMARY:B\nEND:VEVENT\n"
    )
    text = ics(one, two)
    change = ObjectChange("/c/x.ics", '"1"', text, parse_object(text, window=WINDOW), None)
    rows = _occurrence_rows(Collection(id=1), 7, change)
    assert sorted(row["uid"] for row in rows) == ["a", "b"]


def test_thisandfuture_instances_are_distinct_in_storage_too() -> None:
    from sidecar.storage.models import Collection
    from sidecar.sync.calendars import ObjectChange, _occurrence_rows

    text = ics(SERIES, MOVED_FROM_THIRD)
    change = ObjectChange("/c/x.ics", '"1"', text, parse_object(text, window=WINDOW), None)
    assert len(_occurrence_rows(Collection(id=1), 7, change)) == 6


def _event(extra: str) -> str:
    return ics(f"VEVENT\nUID:e\nDTSTAMP:20260101T000000Z\n{extra}SUMMARY:E\nEND:VEVENT\n")


def test_an_end_before_its_start_is_flagged_not_shifted() -> None:
    parsed = parse_object(
        _event("DTSTART:20270105T180000Z\nDTEND:20270105T170000Z\n"), window=WINDOW
    )
    occurrence = parsed.occurrences[0]
    assert occurrence.start == datetime(2027, 1, 5, 18, tzinfo=UTC)
    assert occurrence.end == datetime(2027, 1, 5, 17, tzinfo=UTC), "kept as written"
    assert any("ends before it starts" in w for w in parsed.warnings)


def test_pt24h_is_exact_and_p1d_is_a_calendar_day_across_dst() -> None:
    # 2027-03-28: Europe/Paris springs forward (23-hour day).
    start = "DTSTART;TZID=Europe/Paris:20270327T120000\n"
    exact = parse_object(_event(start + "DURATION:PT24H\n"), window=WINDOW).occurrences[0]
    day = parse_object(_event(start + "DURATION:P1D\n"), window=WINDOW).occurrences[0]
    assert exact.start is not None and exact.end is not None
    assert exact.end - exact.start == timedelta(hours=24)
    assert day.start is not None and day.end is not None
    assert day.end - day.start == timedelta(hours=23), "same wall-clock time the next day"


def test_pt24h_is_exact_in_a_recurring_series_too() -> None:
    text = _event(
        "DTSTART;TZID=Europe/Paris:20270320T120000\nDURATION:PT24H\nRRULE:FREQ=WEEKLY;COUNT=2\n"
    )
    for occurrence in parse_object(text, window=WINDOW).occurrences:
        assert occurrence.start is not None and occurrence.end is not None
        assert occurrence.end - occurrence.start == timedelta(hours=24)


def test_a_leading_bom_is_accepted() -> None:
    parsed = parse_object("\ufeff" + _event("DTSTART:20270105T180000Z\n"), window=WINDOW)
    assert parsed.uid == "e"


def test_a_task_without_due_has_no_deadline() -> None:
    text = ics(
        "VTODO\nUID:t\nDTSTAMP:20260101T000000Z\nDTSTART:20270105T180000Z\nSUMMARY:T\nEND:VTODO\n"
    )
    occurrence = parse_object(text, window=WINDOW).occurrences[0]
    assert occurrence.end is None and "due" not in occurrence.details
    assert occurrence.start is None, "DTSTART is when work may begin, not a deadline"
