"""What recurring-ical-events leaves to us about each instance: its identity and its end.

Two RFC 5545 points the expander does not settle (measured on recurring-ical-events 3.8.2):

- An instance moved by a ``RANGE=THISANDFUTURE`` override carries the *override's*
  RECURRENCE-ID, so every later instance would share one key. Its own identity is its original
  start: as far from the override's RECURRENCE-ID as it now starts from the override's DTSTART.
- ``DURATION`` is turned into DTEND by wall-clock arithmetic, so ``PT24H`` across a DST change
  lasts 23 or 25 hours. RFC 5545 §3.3.6: days and weeks are nominal (same wall-clock time),
  hours, minutes and seconds are exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import icalendar

_DURATION = re.compile(r"^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass(frozen=True)
class Duration:
    """A DURATION split into its nominal part (days) and its exact part."""

    days: int
    exact: timedelta

    def end(self, start: date | datetime) -> date | datetime:
        """``start`` + this duration: days on the wall clock, the rest in absolute time."""
        if not isinstance(start, datetime):
            return start + timedelta(days=self.days) + self.exact
        nominal = start + timedelta(days=self.days)  # same tzinfo: wall-clock arithmetic
        if nominal.tzinfo is None or not self.exact:
            return nominal + self.exact
        return (nominal.astimezone(UTC) + self.exact).astimezone(nominal.tzinfo)


def parse_duration(text: str) -> Duration | None:
    """``P1D`` → 1 nominal day; ``PT24H`` → 24 exact hours; None when unreadable."""
    match = _DURATION.match(text.strip().upper())
    if not match or text.strip().upper() in ("P", "PT", "+P", "-P"):
        return None
    sign = -1 if match.group(1) == "-" else 1
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups()[1:])
    exact = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return Duration(sign * (weeks * 7 + days), sign * exact)


@dataclass
class Series:
    """What the instances of one object need from its components (by UID)."""

    moves: dict[tuple[str, date], date] = field(default_factory=dict)
    durations: dict[tuple[str, date | None], Duration] = field(default_factory=dict)
    overridden: set[tuple[str, date]] = field(default_factory=set)

    @classmethod
    def of(cls, calendar: icalendar.Calendar, component: str, ics: str = "") -> Series:
        """``ics`` is the object's text: icalendar writes ``PT24H`` back as ``P1D``, so the
        DURATION values are read from the text, in document order."""
        series = cls()
        raw = raw_durations(ics, component)
        for index, comp in enumerate(calendar.walk(component)):
            uid = str(comp.get("UID", ""))
            rid = comp.get("RECURRENCE-ID")
            key = rid.dt if rid is not None else None
            if rid is not None:
                series.overridden.add((uid, rid.dt))
                start = comp.get("DTSTART")
                if start is not None and rid.params.get("RANGE") == "THISANDFUTURE":
                    series.moves[(uid, rid.dt)] = start.dt
            text = raw[index] if index < len(raw) else None
            parsed = parse_duration(text) if text and comp.get("DURATION") is not None else None
            if parsed is not None:
                series.durations[(uid, key)] = parsed
        return series

    def original_start(self, comp: Any) -> date | None:
        """The instance's own RECURRENCE-ID value (see the module docstring)."""
        rid = comp.get("RECURRENCE-ID")
        if rid is None:
            return None
        original: date = rid.dt
        moved_to = self.moves.get((str(comp.get("UID", "")), original))
        start = comp.get("DTSTART")
        if moved_to is not None and start is not None and type(start.dt) is type(moved_to):
            original = original + (start.dt - moved_to)
        return original

    def end(self, comp: Any) -> date | datetime | None:
        """DTEND, or DTSTART + DURATION computed by the RFC: the DURATION of the override the
        instance comes from, else of its master."""
        uid = str(comp.get("UID", ""))
        rid = comp.get("RECURRENCE-ID")
        if rid is not None and (uid, rid.dt) in self.overridden:
            duration = self.durations.get((uid, rid.dt))
        else:
            duration = self.durations.get((uid, None))
        start = comp.get("DTSTART")
        if duration is not None and start is not None:
            return duration.end(start.dt)
        end = comp.get("DTEND")
        return end.dt if end is not None else None


_NEEDED = frozenset({"BEGIN", "END", "DURATION"})


def raw_durations(ics: str, component: str) -> list[str | None]:
    """The DURATION text of each ``component`` of ``ics`` (None where absent), in order; a
    VALARM's DURATION inside it is not the component's."""
    found: list[str | None] = []
    if "DURATION" not in ics.upper():
        return found  # most objects (parsing every line again cost a quarter of a first sync)
    stack: list[str] = []
    for line in icalendar.parser.Contentlines.from_ical(ics):  # type: ignore[no-untyped-call]
        # A property name holds neither ":" nor ";": only these three lines are parsed.
        if not line or line.split(":", 1)[0].split(";", 1)[0].upper() not in _NEEDED:
            continue
        try:
            name, _params, value = line.parts()
        except ValueError:
            continue
        name = name.upper()
        if name == "BEGIN":
            stack.append(value.upper())
            found.extend([None] if value.upper() == component else [])
        elif name == "END":
            stack = stack[:-1]
        elif name == "DURATION" and stack and stack[-1] == component and found:
            found[-1] = str(value)
    return found


def instant(value: date | datetime, tz: tzinfo) -> datetime:
    """Aware UTC instant; all-day dates become midnight UTC of that date, floating times use tz."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
