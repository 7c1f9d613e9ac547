"""Parsing and bounded expansion of calendar objects (pure, fixed windows)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.sync import expand
from sidecar.sync.expand import MAX_INSTANCES, ExpansionError, parse_object

WINDOW = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2027, 8, 1, tzinfo=UTC))
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nextcloud"


def _cal(*lines: str) -> str:
    body = "\r\n".join(lines)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t\r\n{body}\r\nEND:VCALENDAR\r\n"


def test_recorded_nextcloud_series_with_exdate_and_override() -> None:
    fx = json.loads((FIXTURES / "61-caldav-get-recurring-event.json").read_text())
    parsed = parse_object(fx["response"]["body"], window=WINDOW)
    starts = [o.start for o in parsed.occurrences]
    assert datetime(2027, 1, 2, 9, tzinfo=UTC) not in starts, "EXDATE honoured"
    assert datetime(2027, 2, 7, 9, tzinfo=UTC) in starts, "override moved to Sunday"
    assert datetime(2027, 2, 6, 9, tzinfo=UTC) not in starts
    # 10:00 Paris is 08:00 UTC in summer time and 09:00 UTC in winter time.
    assert datetime(2026, 10, 3, 8, tzinfo=UTC) in starts
    assert datetime(2026, 12, 5, 9, tzinfo=UTC) in starts
    first = parsed.occurrences[0]
    bernard = next(a for a in first.details["attendees"] if a["email"].startswith("bernard"))
    assert bernard["name"] == "Lefèvre, Bernard" and bernard["partstat"] == "ACCEPTED"
    gerard = next(a for a in first.details["attendees"] if a["email"].startswith("gerard"))
    assert gerard["delegated_to"] == ["helene.roussel@jardins-partages.example"]


def test_all_day_and_floating() -> None:
    parsed = parse_object(
        _cal(
            "BEGIN:VEVENT",
            "UID:a",
            "DTSTAMP:20261101T000000Z",
            "DTSTART;VALUE=DATE:20261208",
            "SUMMARY:Date limite",
            "END:VEVENT",
        ),
        window=WINDOW,
    )
    (occ,) = parsed.occurrences
    assert occ.all_day and occ.start == datetime(2026, 12, 8, tzinfo=UTC)
    floating = parse_object(
        _cal("BEGIN:VEVENT", "UID:b", "DTSTART:20261208T180000", "SUMMARY:x", "END:VEVENT"),
        window=WINDOW,
        default_tz="Europe/Paris",
    )
    assert floating.occurrences[0].start == datetime(2026, 12, 8, 17, tzinfo=UTC)


def test_secondly_rules_are_refused_not_expanded() -> None:
    with pytest.raises(ExpansionError, match="too fine-grained"):
        parse_object(
            _cal(
                "BEGIN:VEVENT",
                "UID:c",
                "DTSTART:20000101T000000Z",
                "RRULE:FREQ=SECONDLY",
                "SUMMARY:x",
                "END:VEVENT",
            ),
            window=WINDOW,
        )


def test_instance_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # The count decides here, not the clock: a loaded machine must not trip the time budget first.
    monkeypatch.setattr(expand, "TIME_BUDGET_SECONDS", 3600.0)
    parsed = parse_object(
        _cal(
            "BEGIN:VEVENT",
            "UID:d",
            "DTSTART:20260901T000000Z",
            "RRULE:FREQ=HOURLY",
            "SUMMARY:x",
            "END:VEVENT",
        ),
        window=WINDOW,
    )
    assert len(parsed.occurrences) == MAX_INSTANCES
    assert parsed.warnings


def test_time_budget_stops_an_expansion_by_the_clock_not_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fake clock that moves one second per look: the budget (2 s) stops the series after a
    few instances, whatever the machine's speed."""
    ticks = itertools.count()
    monkeypatch.setattr("sidecar.sync.expand.time.monotonic", lambda: float(next(ticks)))
    hourly = _cal("BEGIN:VEVENT", "UID:t", "DTSTART:20260901T000000Z", "RRULE:FREQ=HOURLY",
                  "SUMMARY:x", "END:VEVENT")  # fmt: skip
    with pytest.raises(ExpansionError, match="took too long"):
        parse_object(hourly, window=WINDOW)


def test_garbage_and_oversized_objects_get_a_reason() -> None:
    with pytest.raises(ExpansionError, match="not a valid iCalendar"):
        parse_object("this is not a calendar", window=WINDOW)
    with pytest.raises(ExpansionError, match="larger than"):
        parse_object("X" * 2_000_000, window=WINDOW)
    with pytest.raises(ExpansionError, match="no VEVENT"):
        parse_object(_cal("BEGIN:VJOURNAL", "UID:e", "END:VJOURNAL"), window=WINDOW)


def test_cancelled_status_is_kept_for_the_projection_to_filter() -> None:
    parsed = parse_object(
        _cal(
            "BEGIN:VEVENT",
            "UID:f",
            "DTSTART:20261210T170000Z",
            "STATUS:CANCELLED",
            "SUMMARY:CA extraordinaire",
            "END:VEVENT",
        ),
        window=WINDOW,
    )
    assert parsed.occurrences[0].status == "CANCELLED"


def test_todo_with_due_date() -> None:
    parsed = parse_object(
        _cal(
            "BEGIN:VTODO",
            "UID:g",
            "DUE;VALUE=DATE:20270630",
            "SUMMARY:Compte-rendu financier",
            "END:VTODO",
        ),
        window=WINDOW,
    )
    (occ,) = parsed.occurrences
    assert occ.component == "VTODO" and occ.all_day
    assert occ.start == datetime(2027, 6, 30, tzinfo=UTC) and occ.details["due"] == "2027-06-30"


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(min_value=datetime(2026, 9, 2).date(), max_value=datetime(2027, 7, 30).date()),
    hour=st.integers(min_value=0, max_value=23),
)
def test_paris_wall_time_survives_dst(day: object, hour: int) -> None:
    """An event at HH:00 Paris time is stored at the UTC instant zoneinfo gives, DST or not."""
    from zoneinfo import ZoneInfo

    assert isinstance(day, type(WINDOW[0].date()))
    stamp = f"{day:%Y%m%d}T{hour:02d}0000"
    parsed = parse_object(
        _cal(
            "BEGIN:VEVENT",
            "UID:h",
            f"DTSTART;TZID=Europe/Paris:{stamp}",
            "SUMMARY:x",
            "END:VEVENT",
        ),
        window=WINDOW,
    )
    (occ,) = parsed.occurrences
    local = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/Paris"))
    assert occ.start == local.astimezone(UTC)


def test_series_instances_are_told_apart_from_overrides() -> None:
    """Plain instances carry the series' stamps: the projection must know they are not theirs."""
    parsed = parse_object(
        _cal(
            "BEGIN:VEVENT",
            "UID:cd",
            "DTSTAMP:20260901T090000Z",
            "CREATED:20260901T090000Z",
            "DTSTART:20261001T180000Z",
            "RRULE:FREQ=MONTHLY;COUNT=3",
            "SUMMARY:Comité directeur",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:cd",
            "RECURRENCE-ID:20261101T180000Z",
            "DTSTAMP:20261030T090000Z",
            "LAST-MODIFIED:20261030T090000Z",
            "DTSTART:20261102T180000Z",
            "SUMMARY:Comité directeur (décalé)",
            "END:VEVENT",
        ),
        window=WINDOW,
    )
    flags = {o.start.month if o.start else 0: o.details.get("series_instance", False)
             for o in parsed.occurrences}  # fmt: skip
    assert flags == {10: True, 11: False, 12: True}
