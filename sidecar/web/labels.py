"""The words pages show for the codes the services use: one catalogue, in the reader's language.

Services and the projection speak in stable codes (``at_risk``, ``missing``, ``medium``,
``auth_failed``…); a page never shows a code, it asks here. An unknown code falls back to a
neutral word rather than to the code itself. Every table is built per call, because gettext
must run in the request's locale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask_babel import gettext, ngettext

from sidecar.projection.meetings import Meeting

Labels = dict[str, str]
# How far ahead a recurring meeting's answers are taken as answers for that day.
QUORUM_HORIZON = timedelta(days=30)


def _pick(table: Labels, code: str | None, fallback: str | None = None) -> str:
    found = table.get(code or "")
    if found is not None:
        return found
    return fallback if fallback is not None else gettext("unknown")


def quorum_label(state: str) -> str:
    """The forecast of a meeting's quorum."""
    return _pick(
        {
            "reached": gettext("reached"),
            "at_risk": gettext("at risk"),
            "not_reached": gettext("not reached"),
            "unknown": gettext("not yet known"),
        },
        state,
    )


@dataclass(frozen=True)
class QuorumView:
    text: str
    css: str  # ok | warn | bad | "" (unknown)


def quorum_known(meeting: Meeting, now: datetime | None = None) -> bool:
    """A recurring occurrence far ahead only repeats the series' invitations: its answers say
    nothing yet about that day, so its quorum is not forecast."""
    if not meeting.recurrence_id:
        return True
    moment = now or datetime.now(UTC)
    return meeting.start - moment <= QUORUM_HORIZON


def quorum_view(meeting: Meeting, now: datetime | None = None) -> QuorumView:
    """« 3 présents ou représentés pour 2 requis — atteint », or « quorum pas encore connu »."""
    q = meeting.readiness.quorum
    if not quorum_known(meeting, now):
        return QuorumView(gettext("quorum not yet known"), "")
    counted = ngettext(
        "%(num)d present or represented for %(required)s required",
        "%(num)d present or represented for %(required)s required",
        q.expected,
        required=q.required,
    )
    css = {"reached": "ok", "at_risk": "warn", "not_reached": "bad"}.get(q.state, "")
    return QuorumView(f"{counted} — {quorum_label(q.state)}", css)


def minutes_label(state: str) -> str:
    """Where a meeting's minutes (procès-verbal) stand."""
    return _pick(
        {
            "present": gettext("minutes filed"),
            "pending": gettext("minutes pending"),
            "overdue": gettext("minutes overdue"),
            "not_due": gettext("not due yet"),
        },
        state,
    )


def answer_label(answer: str) -> str:
    """A member's answer to an invitation."""
    return _pick(
        {
            "accepted": gettext("accepted"),
            "declined": gettext("refused"),
            "tentative": gettext("maybe"),
            "delegated": gettext("gave a proxy"),
            "no_answer": gettext("no answer"),
        },
        answer,
    )


def proxy_problem_label(problem: str | None) -> str:
    """Why a proxy does not count."""
    return _pick(
        {
            "not_allowed": gettext("proxies not allowed for this body"),
            "over_cap": gettext("holder already has the maximum number of proxies"),
            "holder_not_member": gettext("holder is not a member of this body"),
        },
        problem,
    )


def status_label(status: str) -> str:
    """A grant dossier's status."""
    return _pick(
        {
            "idea": gettext("idea"),
            "preparing": gettext("in preparation"),
            "submitted": gettext("submitted"),
            "awarded": gettext("awarded"),
            "refused": gettext("refused"),
            "reported": gettext("reported"),
        },
        status,
    )


def piece_label(state: str) -> str:
    """A required piece of a grant dossier."""
    return _pick(
        {
            "present": gettext("in the folder"),
            "stale": gettext("too old"),
            "ticked": gettext("ticked by hand"),
            "missing": gettext("missing"),
        },
        state,
    )


def severity_label(severity: str) -> str:
    """An alert's severity, in words."""
    return _pick(
        {
            "high": gettext("urgent"),
            "medium": gettext("important"),
            "low": gettext("for information"),
        },
        severity,
    )


def alert_state_label(state: str) -> str:
    """Where an alert stands."""
    return _pick(
        {
            "open": gettext("open"),
            "acknowledged": gettext("acknowledged"),
            "snoozed": gettext("snoozed"),
            "resolved": gettext("resolved"),
        },
        state,
    )


def delivery_label(state: str) -> str:
    """Where the sending of one message stands."""
    return _pick(
        {
            "pending": gettext("waiting to be sent"),
            "sending": gettext("being sent"),
            "sent": gettext("sent"),
            "edited": gettext("sent, then updated"),
            "failed": gettext("failed"),
        },
        state,
    )


def outcome_label(outcome: str | None) -> str:
    """The result of a sync run."""
    return _pick(
        {
            "ok": gettext("up to date"),
            "partial": gettext("partly synced"),
            "failed": gettext("failed"),
            "deferred": gettext("postponed (server asked to wait)"),
            "running": gettext("running"),
            "abandoned": gettext("stopped with its process, nothing applied"),
            "": gettext("never synced"),
        },
        outcome,
    )


def source_status_label(status: str | None) -> str:
    """The state of a Nextcloud source, and what to do when it is wrong."""
    return _pick(
        {
            "new": gettext("not synced yet"),
            "ok": gettext("working"),
            "auth_failed": gettext("password refused: create a new app password"),
            "rate_limited": gettext("Nextcloud asked to wait"),
            "unreachable": gettext("unreachable"),
            "error": gettext("in error"),
        },
        status,
    )


def change_label(change: str) -> str:
    """What happened to a file."""
    return _pick(
        {
            "added": gettext("added"),
            "changed": gettext("modified"),
            "moved": gettext("moved"),
            "removed": gettext("removed"),
        },
        change,
    )


def obligation_status(status: str) -> str:
    """Where an obligation stands."""
    return _pick(
        {
            "done": gettext("done"),
            "overdue": gettext("overdue"),
            "due_soon": gettext("due soon"),
            "upcoming": gettext("upcoming"),
        },
        status,
    )


def obligation_reason(reason: str) -> str:
    """The projection states its reasons in English; known ones are shown translated."""
    labels: dict[str, str] = {
        "6 months after the end of the financial year of the subsidy": gettext(
            "6 months after the end of the financial year of the subsidy"
        ),
        "before the new request to the same funder": gettext(
            "before the new request to the same funder"
        ),
        "within 3 months of the change of officers": gettext(
            "within 3 months of the change of officers"
        ),
        "more than 153 000 € of public subsidies in the year": gettext(
            "more than 153 000 € of public subsidies in the year"
        ),
    }
    return labels.get(reason, reason)


def job_state_label(state: str) -> str:
    """The state of a sync job."""
    return _pick(
        {
            "running": gettext("running"),
            "paused": gettext("paused by an administrator"),
            "blocked": gettext("stopped: Nextcloud refused the password"),
            "scheduled": gettext("scheduled"),
        },
        state,
    )


def schedule_label(schedule: str) -> str:
    """``every 15m`` → « toutes les 15 minutes »; a cron rule is named as such."""
    kind, _, rest = schedule.partition(" ")
    if kind == "cron":
        return str(gettext("by the cron rule %(rule)s", rule=rest))
    if kind == "every" and rest[:-1].isdigit():
        count, unit = int(rest[:-1]), rest[-1]
        texts: dict[str, str] = {
            "s": ngettext("every second", "every %(num)d seconds", count),
            "m": ngettext("every minute", "every %(num)d minutes", count),
            "h": ngettext("every hour", "every %(num)d hours", count),
            "d": ngettext("every day", "every %(num)d days", count),
        }
        if unit in texts:
            return texts[unit]
    return schedule


def role_label(role: str) -> str:
    """A Quorum role, as a person understands it."""
    return _pick(
        {
            "member": gettext("member"),
            "officer": gettext("officer (bureau)"),
            "admin": gettext("administrator"),
        },
        role,
    )


def body_kind_label(kind: str) -> str:
    """The kind of a body, as the statuts name it."""
    return _pick(
        {
            "ca": gettext("board (conseil d'administration)"),
            "bureau": gettext("bureau"),
            "ag": gettext("general assembly"),
            "custom": gettext("other group"),
        },
        kind,
    )


def scope_label(scope: str) -> str:
    """What an API token may do."""
    return _pick({"read": gettext("read"), "write": gettext("write")}, scope)


GLOBALS: dict[str, Callable[..., object]] = {
    f.__name__: f
    for f in (
        quorum_label,
        quorum_view,
        minutes_label,
        answer_label,
        proxy_problem_label,
        status_label,
        piece_label,
        severity_label,
        alert_state_label,
        delivery_label,
        outcome_label,
        source_status_label,
        change_label,
        obligation_status,
        obligation_reason,
        role_label,
        job_state_label,
        schedule_label,
        body_kind_label,
        scope_label,
    )
}


def register(app: Flask) -> None:
    """Every label function as a template global."""
    for name, function in GLOBALS.items():
        app.add_template_global(function, name)
