"""Rules over meetings: convocation, agenda, quorum, answers and minutes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sidecar.projection.meetings import Meeting
from sidecar.projection.readiness import NO_ANSWER
from sidecar.rules.catalogue import RuleSettings
from sidecar.rules.common import condition
from sidecar.rules.types import AlertCondition


def meeting_subject(meeting: Meeting) -> str:
    """Stable across syncs: the occurrence id changes when a calendar is re-mirrored."""
    return f"{meeting.uid}@{meeting.recurrence_id or meeting.day.isoformat()}"


def _params(meeting: Meeting) -> dict[str, object]:
    return {
        "title": meeting.title,
        "body": meeting.body.name,
        "date": meeting.day.isoformat(),
        "folder": meeting.folder,
    }


def _days_until(meeting: Meeting, now: datetime) -> float:
    return (meeting.start - now).total_seconds() / 86400


def meeting_rules(
    meetings: Iterable[Meeting], settings: RuleSettings, now: datetime
) -> Iterator[AlertCondition]:
    """Every meeting condition that holds at ``now``."""
    for meeting in meetings:
        if meeting.cancelled:
            continue
        if meeting.start > now:
            yield from _before(meeting, settings, _days_until(meeting, now))
        else:
            yield from _after(meeting, settings, now)


def _before(meeting: Meeting, settings: RuleSettings, days: float) -> Iterator[AlertCondition]:
    ready, code = meeting.readiness, meeting.body.code
    subject, params = meeting_subject(meeting), _params(meeting)
    if ready.notice_ok is False:
        yield condition(
            "convocation_late",
            subject,
            params | {"notice_days": ready.notice_days, "required": meeting.body.notice_days},
            body_code=code,
        )
    margin = settings.number("convocation_not_sent", "margin_days")
    if ready.notice_ok is None and days <= meeting.body.notice_days + margin:
        yield condition("convocation_not_sent", subject, params, body_code=code)
    if not ready.agenda and days <= settings.number("agenda_missing", "days_before"):
        yield condition("agenda_missing", subject, params, body_code=code)
    quorum = ready.quorum
    if quorum.state != "reached" and days <= settings.number("quorum_at_risk", "days_before"):
        severity = "high" if quorum.state == "not_reached" else None
        counts = {"expected": quorum.expected, "required": quorum.required}
        yield condition(
            "quorum_at_risk", subject, params | counts, severity=severity, body_code=code
        )
    if days <= settings.number("rsvp_missing", "days_before"):
        yield from _rsvp(meeting)


def _rsvp(meeting: Meeting) -> Iterator[AlertCondition]:
    """One reminder per invited member without an answer, addressed to that member only."""
    for answer in meeting.answers:
        if answer.answer != NO_ANSWER or not answer.invited:
            continue
        email = answer.seat.member.email.lower()
        yield condition(
            "rsvp_missing",
            f"{meeting_subject(meeting)}:{email}",
            _params(meeting) | {"member": answer.seat.member.name},
            body_code=meeting.body.code,
            members=(email,),
        )


def _after(meeting: Meeting, settings: RuleSettings, now: datetime) -> Iterator[AlertCondition]:
    # Very old meetings without minutes are history, not a to-do: stop nagging after a year.
    lookback = settings.number("minutes_overdue", "lookback_days")
    if meeting.readiness.minutes == "overdue" and (now - meeting.end).days <= lookback:
        yield condition(
            "minutes_overdue",
            meeting_subject(meeting),
            _params(meeting) | {"due_days": meeting.body.minutes_due_days},
            body_code=meeting.body.code,
        )
