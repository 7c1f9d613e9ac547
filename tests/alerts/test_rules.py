"""Rules with a fixed clock: pure values in, alert conditions out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sidecar.projection.grants import Dossier, Piece
from sidecar.projection.inputs import Attendee, BodyInfo, EventInstance, FileInfo, MemberInfo, Seat
from sidecar.projection.meetings import project_meetings
from sidecar.projection.obligations import Obligation
from sidecar.rules import AlertCondition, RuleInputs, SyncHealth, UnreadableObject, evaluate
from sidecar.rules.grants import stage

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ANNE = MemberInfo(1, "Anne", "anne@example.org", "anne")
BRUNO = MemberInfo(2, "Bruno", "bruno@example.org", "bruno")
CLARA = MemberInfo(3, "Clara", "clara@example.org", None, "en")
CA = BodyInfo(
    1,
    "CA",
    "Conseil d'administration",
    "ca",
    seats=(Seat(ANNE, "présidente"), Seat(BRUNO, "trésorier"), Seat(CLARA, "secrétaire")),
)


def meeting_event(start: datetime, *, created: datetime, answers: dict[str, str]) -> EventInstance:
    return EventInstance(
        occurrence_id=1,
        calendar_id=1,
        calendar_role="meetings",
        calendar_name="Conseil",
        uid="ca-1",
        recurrence_id="",
        component="VEVENT",
        summary="Conseil d'administration",
        start=start,
        end=start + timedelta(hours=2),
        all_day=False,
        status="CONFIRMED",
        attendees=tuple(
            Attendee(email, email, partstat, "REQ-PARTICIPANT")
            for email, partstat in answers.items()
        ),
        created=created,
    )


def conditions(
    event: EventInstance, files: tuple[FileInfo, ...] = (), settings: dict[str, Any] | None = None
) -> list[AlertCondition]:
    meetings = project_meetings([event], [CA], list(files), NOW, PARIS)
    return evaluate(RuleInputs(NOW, meetings=tuple(meetings)), settings, NOW, PARIS)


def by_rule(found: list[AlertCondition], rule: str) -> list[AlertCondition]:
    return [c for c in found if c.rule == rule]


def test_a_member_who_answered_gets_no_reminder_one_who_did_not_gets_one() -> None:
    event = meeting_event(
        NOW + timedelta(days=5),
        created=NOW - timedelta(days=20),
        answers={
            "anne@example.org": "ACCEPTED",
            "bruno@example.org": "NEEDS-ACTION",
            "clara@example.org": "DECLINED",
        },
    )
    reminders = by_rule(conditions(event), "rsvp_missing")
    assert [c.audience.members for c in reminders] == [("bruno@example.org",)]
    assert reminders[0].key == "rsvp_missing:ca-1@2026-12-01:bruno@example.org"
    assert reminders[0].audience.topic == "rsvp"


def test_reminders_wait_for_the_threshold() -> None:
    event = meeting_event(
        NOW + timedelta(days=20),
        created=NOW - timedelta(days=5),
        answers={"bruno@example.org": "NEEDS-ACTION"},
    )
    assert by_rule(conditions(event), "rsvp_missing") == []
    settings = {"alerts": {"thresholds": {"rsvp_missing.days_before": 30}}}
    assert len(by_rule(conditions(event, settings=settings), "rsvp_missing")) == 1


def test_late_convocation_missing_agenda_and_quorum_at_risk() -> None:
    event = meeting_event(
        NOW + timedelta(days=6),
        created=NOW - timedelta(days=3),
        answers={"anne@example.org": "ACCEPTED"},
    )
    found = conditions(event)
    rules = {c.rule for c in found}
    assert {"convocation_late", "agenda_missing", "quorum_at_risk"} <= rules
    late = by_rule(found, "convocation_late")[0]
    assert late.params["notice_days"] == "9" and late.params["required"] == "15"
    assert late.audience.body_code == "CA" and late.severity == "high"


def test_agenda_present_clears_the_agenda_alert() -> None:
    start = NOW + timedelta(days=6)
    event = meeting_event(start, created=NOW - timedelta(days=30), answers={})
    agenda = FileInfo(9, "Conseil d'administration/2026-12-02/Ordre du jour.pdf", False)
    assert by_rule(conditions(event), "agenda_missing")
    assert by_rule(conditions(event, (agenda,)), "agenda_missing") == []


def test_minutes_overdue_then_filed() -> None:
    event = meeting_event(NOW - timedelta(days=40), created=NOW - timedelta(days=80), answers={})
    found = by_rule(conditions(event), "minutes_overdue")
    assert len(found) == 1 and found[0].audience.topic == "minutes"
    day = (NOW - timedelta(days=40)).astimezone(PARIS).date().isoformat()
    pv = FileInfo(9, f"Conseil d'administration/{day}/PV CA.pdf", False)
    assert by_rule(conditions(event, (pv,)), "minutes_overdue") == []


def test_cancelled_meetings_raise_nothing() -> None:
    event = meeting_event(
        NOW + timedelta(days=2), created=NOW, answers={"bruno@example.org": "NEEDS-ACTION"}
    )
    cancelled = EventInstance(**{**event.__dict__, "status": "CANCELLED"})
    assert conditions(cancelled) == []


def dossier(deadline: date, missing: bool = True) -> Dossier:
    pieces = (Piece("rib", "RIB", "missing" if missing else "present"),)
    return Dossier(
        key="g1", funder="Ville de Lyon", year=2027, status="preparing", folder=None,
        submission_deadline=deadline, pieces=pieces,
    )  # fmt: skip


def test_grant_deadline_stages() -> None:
    assert [stage(d, (30, 14, 7, 2)) for d in (40, 30, 20, 14, 9, 7, 3, 2, 0)] == [
        None, 30, 30, 14, 14, 7, 7, 2, 2,
    ]  # fmt: skip
    today = NOW.astimezone(PARIS).date()
    found = evaluate(
        RuleInputs(NOW, dossiers=(dossier(today + timedelta(days=9)),)), {}, NOW, PARIS
    )
    assert [(c.key, c.severity) for c in found] == [("grant_deadline:g1:d14", "medium")]
    assert found[0].params["missing"] == "RIB" and found[0].audience.topic == "grants"
    close = evaluate(
        RuleInputs(NOW, dossiers=(dossier(today + timedelta(days=2)),)), {}, NOW, PARIS
    )
    assert [(c.key, c.severity) for c in close] == [("grant_deadline:g1:d2", "high")]
    complete = RuleInputs(NOW, dossiers=(dossier(today + timedelta(days=2), missing=False),))
    assert evaluate(complete, {}, NOW, PARIS) == []


def test_reports_and_new_request_while_a_report_is_owed() -> None:
    today = NOW.astimezone(PARIS).date()
    awarded = Dossier(key="g0", funder="Ville de Lyon", year=2025, status="awarded", folder=None)
    request = dossier(today + timedelta(days=60))
    owed = Obligation(
        key="financial_report:g0", kind="financial_report", title="CRF Ville de Lyon 2025",
        source="x", due=today - timedelta(days=3), status="overdue", subject="g0",
    )  # fmt: skip
    found = evaluate(
        RuleInputs(NOW, dossiers=(awarded, request), obligations=(owed,)), {}, NOW, PARIS
    )
    assert {c.key for c in found} == {
        "report_overdue:financial_report:g0",
        "request_while_report_outstanding:g1",
    }


def test_sync_and_unreadable_objects() -> None:
    inputs = RuleInputs(
        NOW,
        sync=(
            SyncHealth("nightly", "nc", "Nextcloud refused the app password", True, 1),
            SyncHealth("hourly", "nc", None, False, 3, "timeout"),
            SyncHealth("ok", "nc", None, False, 1),
        ),
        unreadable=(UnreadableObject(1, "Conseil", "/cal/bad.ics", "30 February"),),
    )
    found = evaluate(inputs, {}, NOW, PARIS)
    assert [(c.rule, c.subject) for c in found] == [
        ("calendar_object_unreadable", "Conseil:/cal/bad.ics"),
        ("sync_failing", "hourly"),
        ("sync_paused", "nightly"),
    ]


def test_a_rule_can_be_switched_off_and_bad_thresholds_fall_back() -> None:
    inputs = RuleInputs(NOW, sync=(SyncHealth("hourly", "nc", None, False, 3),))
    assert evaluate(inputs, {"alerts": {"disabled": ["sync_failing"]}}, NOW, PARIS) == []
    settings = {"alerts": {"thresholds": {"sync_failing.failures": "lots"}}}
    assert len(evaluate(inputs, settings, NOW, PARIS)) == 1
