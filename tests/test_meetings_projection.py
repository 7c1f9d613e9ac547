"""The meetings projection with a fixed clock: classification, readiness, and properties over
Europe/Paris DST changes, all-day dates and floating times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.projection.inputs import Attendee, BodyInfo, EventInstance, FileInfo, MemberInfo, Seat
from sidecar.projection.meetings import MeetingOverride, build_meeting, classify, project_meetings
from sidecar.projection.readiness import ManualProxy, notice, remote_link, required
from sidecar.rules.catalogue import RuleSettings
from sidecar.rules.meetings import meeting_rules

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
EMAILS = tuple(f"m{i}@example.org" for i in range(7))


def _seats(n: int = 7) -> tuple[Seat, ...]:
    return tuple(
        Seat(MemberInfo(i, f"M{i}", EMAILS[i], nc_user=f"u{i}"), "membre") for i in range(n)
    )


CA = BodyInfo(1, "CA", "Conseil d'administration", "ca", seats=_seats())
BUREAU = BodyInfo(2, "BUREAU", "Bureau", "bureau", seats=_seats(3))
AG = BodyInfo(3, "AG", "Assemblée générale", "ag", seats=_seats())
BODIES = (CA, BUREAU, AG)


def _event(summary: str = "Conseil d'administration", **changes: object) -> EventInstance:
    start = datetime(2026, 4, 4, 8, 0, tzinfo=UTC)
    fields: dict[str, object] = {
        "occurrence_id": 1,
        "calendar_id": 1,
        "calendar_role": "meetings",
        "calendar_name": "Conseil",
        "uid": "ca@example.org",
        "recurrence_id": "",
        "component": "VEVENT",
        "summary": summary,
        "start": start,
        "end": start + timedelta(hours=2),
        "all_day": False,
        "status": "CONFIRMED",
        "created": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    }
    fields.update(changes)
    return EventInstance(**fields)  # type: ignore[arg-type]


def _attendees(*partstats: str) -> tuple[Attendee, ...]:
    return tuple(
        Attendee(EMAILS[i], f"M{i}", p, "REQ-PARTICIPANT") for i, p in enumerate(partstats)
    )


@pytest.mark.parametrize(
    ("summary", "categories", "expected"),
    [
        ("Conseil d'administration mensuel", (), "CA"),
        ("Réunion du CA — budget 2027", (), "CA"),
        ("CA extraordinaire", (), "CA"),
        ("Board meeting", (), "CA"),
        ("Réunion de bureau", (), "BUREAU"),
        ("AGO 2026", (), "AG"),
        ("AGE : modification des statuts", (), "AG"),  # no AGE body: the AG body
        ("Assemblée générale ordinaire 2026", (), "AG"),
        ("Réunion mensuelle", ("Conseil d’administration",), "CA"),
        ("Formation compostage", (), None),
        ("Formation des membres du CA", (), None),  # a training, even about the board
        ("Cancelled lunch", ("Calendrier",), None),  # "ca" only as a whole word
        ("Dentiste", (), None),
    ],
)
def test_classification_by_names(
    summary: str, categories: tuple[str, ...], expected: str | None
) -> None:
    body = classify(_event(summary, categories=categories), BODIES)
    assert (body.code if body else None) == expected


def test_only_meetings_calendars_and_events_count() -> None:
    assert classify(_event(calendar_role="deadlines"), BODIES) is None
    assert classify(_event(component="VTODO"), BODIES) is None
    assert classify(_event(start=None), BODIES) is None


def test_body_patterns_and_overrides_win() -> None:
    copil = BodyInfo(4, "COPIL", "Comité de pilotage", "custom", match_patterns=("copil",))
    assert classify(_event("COPIL jardins"), (*BODIES, copil)) == copil
    event = _event(recurrence_id="2026-04-04T08:00:00+00:00")
    series_off = MeetingOverride(event.uid, "", None, not_a_meeting=True)
    assert classify(event, BODIES, [series_off]) is None
    this_one = MeetingOverride(event.uid, event.recurrence_id, BUREAU.id)
    assert classify(event, BODIES, [series_off, this_one]) == BUREAU
    # an override can make a meeting of an event on another calendar
    elsewhere = _event("Pique-nique", calendar_role=None)
    assert classify(elsewhere, BODIES, [MeetingOverride(elsewhere.uid, "", AG.id)]) == AG


def test_quorum_with_a_proxy_at_risk_and_reached() -> None:
    partstats = (
        "ACCEPTED",
        "DECLINED",
        "DECLINED",
        "TENTATIVE",
        "NEEDS-ACTION",
        "DELEGATED",
        "ACCEPTED",
    )
    attendees = list(_attendees(*partstats))
    attendees[5] = Attendee(
        EMAILS[5], "M5", "DELEGATED", "REQ-PARTICIPANT", delegated_to=(EMAILS[6],)
    )
    meeting = build_meeting(_event(attendees=tuple(attendees)), CA, [], NOW, PARIS)
    q = meeting.readiness.quorum
    assert (q.required, q.expected, q.state) == (4, 3, "at_risk")
    assert meeting.readiness.rsvp.delegated == 1 and meeting.readiness.rsvp.no_answer == 1
    attendees[1] = Attendee(EMAILS[1], "M1", "ACCEPTED", "REQ-PARTICIPANT")
    reached = build_meeting(_event(attendees=tuple(attendees)), CA, [], NOW, PARIS)
    assert reached.readiness.quorum.state == "reached"


def test_quorum_not_reached_and_rules() -> None:
    meeting = build_meeting(_event(attendees=_attendees(*["DECLINED"] * 5)), CA, [], NOW, PARIS)
    assert meeting.readiness.quorum.state == "not_reached"
    assert meeting.readiness.quorum.possible == 2  # the two members never invited
    assert (required("1/2", 7), required("2/3", 9), required("5", 7), required("0", 7)) == (
        4,
        6,
        5,
        0,
    )
    assert required("50%", 9) == 5 and required("nonsense", 7) == 4


def test_proxies_cap_permission_and_manual() -> None:
    givers = tuple(
        Attendee(EMAILS[i], "", "DELEGATED", "REQ-PARTICIPANT", delegated_to=(EMAILS[0],))
        for i in (1, 2)
    )
    event = _event(attendees=(Attendee(EMAILS[0], "", "ACCEPTED", "CHAIR"), *givers))
    proxies = build_meeting(event, CA, [], NOW, PARIS).readiness.proxies
    assert [(p.valid, p.problem) for p in proxies] == [(True, None), (False, "over_cap")]
    forbidden = BodyInfo(1, "CA", "CA", "ca", proxies_allowed=False, seats=_seats())
    assert {
        p.problem for p in build_meeting(event, forbidden, [], NOW, PARIS).readiness.proxies
    } == {"not_allowed"}
    paper = ManualProxy(event.uid, "", EMAILS[3], EMAILS[4])
    manual = build_meeting(event, CA, [], NOW, PARIS, [paper]).readiness.proxies
    assert ("manual", True) in [(p.source, p.valid) for p in manual]


def test_attendee_matched_by_nextcloud_user_id() -> None:
    principal = Attendee("principal:principals/users/u2", "", "ACCEPTED", "REQ-PARTICIPANT")
    meeting = build_meeting(_event(attendees=(principal,)), CA, [], NOW, PARIS)
    assert [a.answer for a in meeting.answers][2] == "accepted"


def test_agenda_documents_and_minutes() -> None:
    files = [
        FileInfo(1, "Conseil d'administration/2026-02-07/Ordre du jour.pdf", False, "11"),
        FileInfo(2, "Conseil d'administration/2026-02-07/PV CA 2026-02-07.pdf", False, "12"),
        FileInfo(3, "/Conseil d'administration/2026-03-07/ODJ.odt", False, "13"),
        FileInfo(4, "Conseil d'administration/2026-03-07/Budget.ods", False, "14"),
    ]
    feb = datetime(2026, 2, 7, 9, 0, tzinfo=UTC)
    mar = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
    jan = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    done = build_meeting(_event(start=feb, end=feb), CA, files, NOW, PARIS)
    assert done.readiness.agenda and done.readiness.minutes == "present"
    pending = build_meeting(_event(start=mar, end=mar), CA, files, NOW, PARIS)
    assert pending.readiness.minutes == "pending" and len(pending.documents) == 2
    overdue = build_meeting(_event(start=jan, end=jan), CA, files, NOW, PARIS)
    assert overdue.readiness.minutes == "overdue" and not overdue.readiness.agenda
    attached = build_meeting(_event(attach=("https://nc/f/9",)), CA, [], NOW, PARIS)
    assert attached.readiness.agenda and attached.readiness.minutes == "not_due"


def test_remote_link_sources() -> None:
    assert remote_link(_event(location="Salle 2")) is None
    assert remote_link(_event(location="Salle 2, https://example.org/plan")) is None
    talk = "https://cloud.example.org/index.php/call/k3x9"
    assert remote_link(_event(description=f"Rejoindre : {talk}\nMerci")) == talk
    assert remote_link(_event(conference=("https://meet.jit.si/ca",))) == "https://meet.jit.si/ca"


def test_moved_occurrence_finds_the_folder_of_its_original_date() -> None:
    files = [FileInfo(1, "Conseil d'administration/2026-04-04/Ordre du jour.pdf", False)]
    moved_to = datetime(2026, 4, 7, 16, 30, tzinfo=UTC)
    event = _event(start=moved_to, end=moved_to, recurrence_id="2026-04-04T08:00:00+00:00")
    meeting = build_meeting(event, CA, files, NOW, PARIS)
    assert meeting.moved and meeting.readiness.agenda and meeting.day == date(2026, 4, 7)


# --- properties ------------------------------------------------------------------------

#: Dates around Europe/Paris DST changes (last Sundays of March and October) and beyond.
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
hours = st.times()


@given(day=days, gap=st.integers(0, 60), sent_at=hours, meets_at=hours)
def test_notice_in_whole_days_ignores_hours_and_dst(
    day: date, gap: int, sent_at: time, meets_at: time
) -> None:
    """Sent on day D-n at any local hour, meeting on D at any hour: n days, DST or not."""
    start = datetime.combine(day, meets_at, PARIS).astimezone(UTC)
    sent = datetime.combine(day - timedelta(days=gap), sent_at, PARIS).astimezone(UTC)
    ok, given_days, _ = notice(_event(start=start, created=sent), CA, PARIS)
    assert given_days == gap
    assert ok is (gap >= CA.notice_days)


@given(day=days, gap=st.integers(0, 60), sent_at=hours)
def test_notice_for_all_day_meetings(day: date, gap: int, sent_at: time) -> None:
    """All-day dates are stored at midnight UTC; the local date must not shift back a day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    sent = datetime.combine(day - timedelta(days=gap), sent_at, PARIS).astimezone(UTC)
    event = _event(start=start, end=start + timedelta(days=1), all_day=True, created=sent)
    assert notice(event, CA, PARIS)[1] == gap
    assert build_meeting(event, CA, [], NOW, PARIS).day == day


@given(day=days, at=hours)
def test_floating_time_is_the_local_wall_clock(day: date, at: time) -> None:
    """Sync reads a floating time in the association's zone; the meeting keeps that date."""
    floating = datetime.combine(day, at)  # what a floating DTSTART means
    start = floating.replace(tzinfo=PARIS).astimezone(UTC)
    meeting = build_meeting(_event(start=start, end=start), CA, [], NOW, PARIS)
    assert meeting.day == day
    assert meeting.folder.endswith(f"/{day.isoformat()}/")


partstats = st.sampled_from(["ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION", "DELEGATED"])


@given(
    status=st.sampled_from([None, "CONFIRMED", "TENTATIVE", "CANCELLED", "cancelled"]),
    answers=st.lists(partstats, max_size=7),
    offset=st.integers(-90, 90),
)
def test_cancelled_meetings_are_never_counted(
    status: str | None, answers: list[str], offset: int
) -> None:
    start = NOW + timedelta(days=offset)
    event = _event(status=status, start=start, end=start, attendees=_attendees(*answers))
    [meeting] = project_meetings([event], BODIES, [], NOW, PARIS)
    cancelled = (status or "").upper() == "CANCELLED"
    assert meeting.cancelled is cancelled
    assert meeting.counted is not cancelled
    if cancelled:
        assert meeting.readiness.minutes == "not_due"


@given(answers=st.lists(partstats, max_size=7), cap=st.integers(0, 3), allowed=st.booleans())
def test_answers_add_up_and_quorum_is_consistent(
    answers: list[str], cap: int, allowed: bool
) -> None:
    attendees = list(_attendees(*answers))
    for i, a in enumerate(attendees):
        if a.partstat == "DELEGATED":  # everyone delegating gives their proxy to member 0
            attendees[i] = Attendee(a.email, "", "DELEGATED", a.role, delegated_to=(EMAILS[0],))
    body = BodyInfo(1, "CA", "CA", "ca", proxies_allowed=allowed, proxy_cap=cap, seats=_seats())
    ready = build_meeting(_event(attendees=tuple(attendees)), body, [], NOW, PARIS).readiness
    r, q = ready.rsvp, ready.quorum
    assert r.accepted + r.declined + r.tentative + r.no_answer + r.delegated == 7
    assert r.accepted <= q.expected <= q.possible <= 7
    assert sum(p.valid for p in ready.proxies) <= (cap if allowed else 0)
    expected_state = (
        "reached"
        if q.expected >= q.required
        else "at_risk"
        if q.possible >= q.required
        else "not_reached"
    )
    assert q.state == expected_state


# --- the convocation of each occurrence -------------------------------------------------

SERIES_CREATED = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)


def _occurrence(**changes: object) -> EventInstance:
    """An instance of a monthly series created long ago (its CREATED is the series')."""
    fields: dict[str, object] = {
        "recurrence_id": "2026-04-04T08:00:00+00:00",
        "created": SERIES_CREATED,
        "dtstamp": SERIES_CREATED,
        "series_instance": True,
    }
    return _event("Conseil d'administration", **(fields | changes))


def _doc(name: str, day: date) -> FileInfo:
    stamp = datetime.combine(day, time(9), tzinfo=UTC)
    return FileInfo(1, f"Conseil d'administration/2026-04-04/{name}", False, mtime=stamp)


def test_late_convocation_file_of_a_recurring_meeting_is_caught() -> None:
    docs = [_doc("Convocation CA.pdf", date(2026, 3, 30))]
    meeting = build_meeting(_occurrence(), CA, docs, NOW, PARIS)
    assert (meeting.readiness.notice_ok, meeting.readiness.notice_days) == (False, 5)


def test_notice_field_in_the_event_wins() -> None:
    event = _occurrence(description="Ordre du jour joint.\nConvocation envoyée le 10/03/2026")
    assert notice(event, CA, PARIS)[:2] == (True, 25)


def test_plain_instance_without_evidence_is_unknown_not_in_time() -> None:
    """Its stamps are the series' (months old): they say nothing of this occurrence's notice."""
    event = _occurrence()
    assert notice(event, CA, PARIS) == (None, None, None)
    touched = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert notice(_occurrence(last_modified=touched), CA, PARIS)[0] is None


def test_unknown_convocation_of_a_recurring_meeting_is_reported_not_sent() -> None:
    """The rules treat it as not sent (never as in time), the page as "date unknown"."""
    meeting = build_meeting(_occurrence(), CA, [], NOW, PARIS)
    assert meeting.readiness.notice_ok is None
    names = [c.rule for c in meeting_rules([meeting], RuleSettings(), NOW)]
    assert "convocation_not_sent" in names and "convocation_late" not in names


def test_override_uses_its_own_stamps_never_the_series_created() -> None:
    """An occurrence with a component of its own (moved, edited) carries its own DTSTAMP /
    LAST-MODIFIED; its CREATED may be copied from the series, so it is never used."""
    touched = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    event = _occurrence(dtstamp=touched, last_modified=touched, series_instance=False)
    assert notice(event, CA, PARIS)[:2] == (False, 7)
    nothing = _occurrence(dtstamp=None, series_instance=False)
    assert notice(nothing, CA, PARIS)[0] is None  # unknown, not "in time since last year"


def test_single_event_keeps_its_own_created() -> None:
    assert notice(_event(), CA, PARIS)[:2] == (True, 34)


def test_an_end_before_the_start_is_read_as_the_start() -> None:
    """A calendar may say DTEND before DTSTART: the meeting then ends when it starts, so that
    every stored meeting ends at or after its start (the windows of tests/test_meeting_windows.py
    rely on it)."""
    wrong = _event(end=datetime(2026, 4, 4, 6, 0, tzinfo=UTC))
    built = build_meeting(wrong, CA, [], NOW, PARIS, ())
    assert built.end == built.start == datetime(2026, 4, 4, 8, 0, tzinfo=UTC)
