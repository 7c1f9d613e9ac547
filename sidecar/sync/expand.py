"""Parse one calendar object and expand it into occurrences, within bounds.

Recurrence and time zones are the job of icalendar and recurring-ical-events; this module only
puts fences around them (see docs/pitfalls.md): a size cap on the object, a window, a cap on instances,
a time budget, and a refusal to expand SECONDLY/MINUTELY rules, so one hostile or broken object is
isolated and recorded while the rest of the calendar syncs.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from recurring_ical_events import BadRuleStringFormat, CalendarQuery

from sidecar.sync.instances import Series, instant

MAX_OBJECT_BYTES = 1_000_000
MAX_INSTANCES = 1_000
TIME_BUDGET_SECONDS = 2.0
MAX_TEXT = 4_000
COMPONENTS = ("VEVENT", "VTODO")


class ExpansionError(ValueError):
    """The object cannot be read or expanded; the message says why, for the admin."""


class UnreadableData(ExpansionError):
    """The data itself is missing or garbled (empty, not UTF-8): likely a transient server
    fault, so the object is asked for again at the next sync."""


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str
    partstat: str
    role: str
    delegated_to: tuple[str, ...] = ()
    delegated_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedOccurrence:
    uid: str
    recurrence_id: str
    component: str
    summary: str
    start: datetime | None
    end: datetime | None
    all_day: bool
    status: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedObject:
    uid: str
    component: str
    occurrences: tuple[ParsedOccurrence, ...]
    warnings: tuple[str, ...] = ()


def parse_object(
    ics: str, *, window: tuple[datetime, datetime], default_tz: str = "Europe/Paris"
) -> ParsedObject:
    """Parse ``ics`` and return its occurrences inside ``window`` (aware datetimes)."""
    ics = ics.removeprefix("\ufeff")  # a byte-order mark written by some editors
    if not ics.strip():
        raise UnreadableData("the server sent an empty calendar object")
    if "\ufffd" in ics or "\x00" in ics:
        raise UnreadableData("the calendar object is not valid UTF-8 text")
    if len(ics.encode("utf-8", "replace")) > MAX_OBJECT_BYTES:
        raise ExpansionError(f"calendar object larger than {MAX_OBJECT_BYTES // 1000} kB, skipped")
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise ExpansionError(f"not a valid iCalendar object: {err}") from err
    masters = [c for c in calendar.walk() if c.name in COMPONENTS]
    if not masters:
        raise ExpansionError("no VEVENT or VTODO in this calendar object")
    component = str(masters[0].name)
    uid = str(masters[0].get("UID", "")) or ""
    if not uid:
        raise ExpansionError("calendar object without UID")
    _refuse_fine_grained(masters)
    tz = ZoneInfo(default_tz)
    zone_warnings = _settle_time_zones(masters, default_tz)
    occurrences, warnings = _expand(calendar, component, window, tz, ics)
    backwards = next((o for o in occurrences if o.start and o.end and o.end < o.start), None)
    if backwards is not None:
        when = f"{backwards.start:%Y-%m-%d %H:%M} UTC"
        warnings.append(
            f"{backwards.summary or uid!r} ends before it starts ({when}); its times are "
            "kept as written, correct them in the calendar"
        )
    return ParsedObject(uid, component, tuple(occurrences), tuple(zone_warnings + warnings))


TIME_PROPERTIES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID")


def zone_named(tzid: str) -> tzinfo | None:
    """The zone a TZID names: an IANA name, else an Outlook (Windows) name; None if unknown.

    The Windows names come from icalendar's own copy of the Unicode CLDR mapping,
    e.g. "Romance Standard Time" → Europe/Paris.
    """
    for name in (tzid, WINDOWS_TO_OLSON.get(tzid)):
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            continue
    return None


def _settle_time_zones(components: list[Any], default_tz: str) -> list[str]:
    """Give a zone to times whose TZID icalendar did not know; warn about unknown TZIDs.

    icalendar leaves such a time floating (docs/pitfalls.md), which Quorum then reads in the
    association's zone: that assumption is recorded, never silent.
    """
    unknown: set[str] = set()
    for comp in components:
        for name in TIME_PROPERTIES:
            prop = comp.get(name)
            tzid = prop.params.get("TZID") if prop is not None else None
            value = getattr(prop, "dt", None) if tzid else None
            if not isinstance(value, datetime) or value.tzinfo is not None:
                continue
            zone = zone_named(str(tzid))
            if zone is None:
                unknown.add(str(tzid))
            else:
                prop.dt = value.replace(tzinfo=zone)
    return [f"unknown time zone {name!r}: times read in {default_tz}" for name in sorted(unknown)]


def _refuse_fine_grained(components: list[Any]) -> None:
    for comp in components:
        rule = comp.get("RRULE")
        if rule is None:
            continue
        try:
            freq = [str(f).upper() for f in rule.get("FREQ", [])]
        except BAD_SERIES:
            continue  # a broken rule: the expander skips that series and says so
        if any(f in {"SECONDLY", "MINUTELY"} for f in freq):
            raise ExpansionError(f"recurrence FREQ={freq[0]} is too fine-grained to expand")
        if any(int(i) < 1 for i in rule.get("INTERVAL", [])):
            # dateutil loops forever on INTERVAL=0 without yielding: no time budget can stop it
            raise ExpansionError("recurrence INTERVAL must be a positive number")


def _expand(
    calendar: icalendar.Calendar,
    component: str,
    window: tuple[datetime, datetime],
    tz: tzinfo,
    ics: str,
) -> tuple[list[ParsedOccurrence], list[str]]:
    series = Series.of(calendar, component, ics)
    single = _single_instance(calendar, component)
    if single is not None:
        try:
            return _single_in_window(single, component, window, tz, series), []
        except BAD_SERIES as err:
            return [], [f"the event was skipped: {_short(err)}"]
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    warnings: list[str] = []
    try:
        instances = _instances(calendar, component, window, deadline)
    except BAD_SERIES as err:
        # Strict first, so the reason is known; then again skipping only the bad series.
        warnings.append(f"a recurring series was skipped: {_short(err)}")
        instances = _instances(calendar, component, window, deadline, skip_bad_series=True)
    result = [_occurrence(instance, component, tz, series) for instance in instances]
    # Occurrences with a component of their own (a RECURRENCE-ID override) keep their own
    # stamps; the others carry the series' CREATED and DTSTAMP, which say nothing of when
    # this occurrence's convocation went out (readiness.notice_sent).
    own = {
        instant(rid, tz).isoformat()
        for c in calendar.walk(component)
        if isinstance(rid := _value(c, "RECURRENCE-ID"), date)
    }
    for occurrence in result:
        if occurrence.recurrence_id and occurrence.recurrence_id not in own:
            occurrence.details["series_instance"] = True
    if len(result) > MAX_INSTANCES:
        warnings.append(f"more than {MAX_INSTANCES} instances in the window; kept the first ones")
        result = result[:MAX_INSTANCES]
    if not result and component == "VTODO":
        # A todo without DTSTART/DUE in the window is still a task to show.
        for todo in calendar.walk("VTODO"):
            result.append(_occurrence(todo, component, tz))
    return result, warnings


BAD_SERIES = tuple(CalendarQuery.suppressed_errors)


def _instances(
    calendar: icalendar.Calendar,
    component: str,
    window: tuple[datetime, datetime],
    deadline: float,
    *,
    skip_bad_series: bool = False,
) -> list[Any]:
    """Up to MAX_INSTANCES + 1 instances in ``window``; BAD_SERIES errors pass through unless
    ``skip_bad_series``, anything else the library raises becomes an ExpansionError."""
    start, end = window
    found: list[Any] = []
    try:
        query = recurring_ical_events.of(
            calendar, components=(component,), skip_bad_series=skip_bad_series
        )
        for instance in itertools.islice(query.between(start, end), MAX_INSTANCES + 1):
            if time.monotonic() > deadline:
                raise ExpansionError("recurrence expansion took too long, skipped")
            found.append(instance)
    except ExpansionError:
        raise
    except BAD_SERIES:
        if skip_bad_series:
            raise ExpansionError("cannot expand recurrence even skipping bad series") from None
        raise
    except Exception as err:  # the library raises many kinds on broken input
        raise ExpansionError(f"cannot expand recurrence: {type(err).__name__}: {err}") from err
    return found


def _short(err: Exception) -> str:
    """What was wrong, in one line (the library's message for a bad rule talks of UNTIL)."""
    if isinstance(err, BadRuleStringFormat):
        return f"the recurrence rule RRULE:{err.rule.replace(chr(92), '')} cannot be read"[:300]
    return str(err).splitlines()[0][:300] if str(err) else type(err).__name__


RECURRENCE_PROPERTIES = ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")


def _single_instance(calendar: icalendar.Calendar, component: str) -> Any | None:
    """The one component of an object that does not recur, else None (most events are so).

    Expanding those through recurring-ical-events costs as much as parsing them; the answer is
    the component itself when it falls in the window.
    """
    found = [c for c in calendar.walk(component)]
    if len(found) != 1 or any(name in found[0] for name in RECURRENCE_PROPERTIES):
        return None
    return found[0]


def _single_in_window(
    comp: Any, component: str, window: tuple[datetime, datetime], tz: tzinfo, series: Series
) -> list[ParsedOccurrence]:
    occurrence = _occurrence(comp, component, tz, series)
    start, end = window
    if occurrence.start is None:
        return [occurrence] if component == "VTODO" else []
    finish = occurrence.end or occurrence.start
    if occurrence.start < end and finish >= start:
        return [occurrence]
    return [occurrence] if component == "VTODO" and occurrence.start >= start else []


def _occurrence(
    comp: Any, component: str, tz: tzinfo, series: Series | None = None
) -> ParsedOccurrence:
    series = series or Series()
    raw_start = _value(comp, "DTSTART")
    if component == "VTODO":
        # A task's deadline is its DUE; DTSTART is when work may begin (kept in details).
        raw_start = raw_end = _value(comp, "DUE")
    else:
        raw_end = series.end(comp)
    all_day = isinstance(raw_start, date) and not isinstance(raw_start, datetime)
    original = series.original_start(comp)
    return ParsedOccurrence(
        uid=str(comp.get("UID", "")),
        recurrence_id=instant(original, tz).isoformat() if original is not None else "",
        component=component,
        summary=_text(comp.get("SUMMARY")),
        start=instant(raw_start, tz) if raw_start is not None else None,
        end=instant(raw_end, tz) if raw_end is not None else None,
        all_day=all_day,
        status=str(comp.get("STATUS")).upper() if comp.get("STATUS") else None,
        details=_details(comp, tz),
    )


def _value(comp: Any, name: str) -> date | datetime | None:
    prop = comp.get(name)
    return prop.dt if prop is not None else None


def _text(value: Any) -> str:
    return str(value)[:MAX_TEXT] if value is not None else ""


def _details(comp: Any, tz: tzinfo) -> dict[str, Any]:
    attendees = comp.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    details: dict[str, Any] = {
        "attendees": [_json_ready(asdict(_attendee(a))) for a in attendees],
        "organizer": _address(comp.get("ORGANIZER")),
        "location": _text(comp.get("LOCATION")),
        "description": _text(comp.get("DESCRIPTION")),
        "url": _text(comp.get("URL")),
        "conference": [str(c) for c in _as_list(comp.get("CONFERENCE"))],
        "attach": [str(a) for a in _as_list(comp.get("ATTACH")) if str(a).startswith("http")],
        "categories": _categories(comp),
        "sequence": int(comp.get("SEQUENCE", 0) or 0),
    }
    for name in ("CREATED", "DTSTAMP", "LAST-MODIFIED", "COMPLETED"):
        value = _value(comp, name)
        if value is not None:
            details[name.lower().replace("-", "_")] = instant(value, tz).isoformat()
    due = _value(comp, "DUE")
    if due is not None:
        details["due"] = due.isoformat()
    start = _value(comp, "DTSTART")
    if comp.name == "VTODO" and start is not None:
        details["dtstart"] = start.isoformat()
    return details


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    """Tuples become lists, as they will come back from the JSON column anyway."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _attendee(prop: Any) -> Attendee:
    params = getattr(prop, "params", {})
    return Attendee(
        email=_address(prop),
        name=str(params.get("CN", "")),
        partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
        role=str(params.get("ROLE", "REQ-PARTICIPANT")).upper(),
        delegated_to=tuple(_address(v) for v in _param_list(params.get("DELEGATED-TO"))),
        delegated_from=tuple(_address(v) for v in _param_list(params.get("DELEGATED-FROM"))),
    )


def _address(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return text[7:].lower() if text.lower().startswith("mailto:") else text.lower()


def _param_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [v.strip().strip('"') for v in str(value).split(",") if v.strip()]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _categories(comp: Any) -> list[str]:
    found: list[str] = []
    for prop in _as_list(comp.get("CATEGORIES")):
        cats = getattr(prop, "cats", None)
        found.extend(str(c) for c in (cats if cats is not None else [prop]))
    return found


def default_window(now: datetime) -> tuple[datetime, datetime]:
    """Past year (for minutes and history) and the next two years (for planning)."""
    return now - timedelta(days=400), now + timedelta(days=730)
