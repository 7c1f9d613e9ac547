"""The words pages show for the codes the services use: one catalogue, in the reader's language.

Services and the projection speak in stable codes (``at_risk``, ``missing``, ``medium``,
``auth_failed``…); a page never shows a code, it asks here. An unknown code falls back to a
neutral word rather than to the code itself. The tables hold lazy strings: only the label
picked is translated, in the request's language (a table of five words translated whole for
each row cost 320 translations on the bodies page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask_babel import LazyString, gettext, lazy_gettext, ngettext

from sidecar.projection.meetings import Meeting

Labels = dict[str, str]
LazyLabels = dict[str, LazyString]  # translated when picked, in the request's language
# How far ahead a recurring meeting's answers are taken as answers for that day.
QUORUM_HORIZON = timedelta(days=30)


def _pick(table: LazyLabels, code: str | None, fallback: str | None = None) -> str:
    """The label of ``code``, translated now (only that one), or the fallback."""
    found = table.get(code or "")
    if found is not None:
        return str(found)
    return fallback if fallback is not None else gettext("unknown")


_QUORUM_WORDS: LazyLabels = {
    "reached": lazy_gettext("reached"),
    "at_risk": lazy_gettext("at risk"),
    "not_reached": lazy_gettext("not reached"),
    "unknown": lazy_gettext("not yet known"),
}


def quorum_label(state: str) -> str:
    """The forecast of a meeting's quorum."""
    return _pick(_QUORUM_WORDS, state)


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


_MINUTES_WORDS: LazyLabels = {
    "present": lazy_gettext("minutes filed"),
    "pending": lazy_gettext("minutes pending"),
    "overdue": lazy_gettext("minutes overdue"),
    "not_due": lazy_gettext("not due yet"),
}


def minutes_label(state: str) -> str:
    """Where a meeting's minutes (procès-verbal) stand."""
    return _pick(_MINUTES_WORDS, state)


_ANSWER_WORDS: LazyLabels = {
    "accepted": lazy_gettext("accepted"),
    "declined": lazy_gettext("refused"),
    "tentative": lazy_gettext("maybe"),
    "delegated": lazy_gettext("gave a proxy"),
    "no_answer": lazy_gettext("no answer"),
}


def answer_label(answer: str) -> str:
    """A member's answer to an invitation."""
    return _pick(_ANSWER_WORDS, answer)


_PROXY_PROBLEM_WORDS: LazyLabels = {
    "not_allowed": lazy_gettext("proxies not allowed for this body"),
    "over_cap": lazy_gettext("holder already has the maximum number of proxies"),
    "holder_not_member": lazy_gettext("holder is not a member of this body"),
}


def proxy_problem_label(problem: str | None) -> str:
    """Why a proxy does not count."""
    return _pick(_PROXY_PROBLEM_WORDS, problem)


_STATUS_WORDS: LazyLabels = {
    "idea": lazy_gettext("idea"),
    "preparing": lazy_gettext("in preparation"),
    "submitted": lazy_gettext("submitted"),
    "awarded": lazy_gettext("awarded"),
    "refused": lazy_gettext("refused"),
    "reported": lazy_gettext("reported"),
}


def status_label(status: str) -> str:
    """A grant dossier's status."""
    return _pick(_STATUS_WORDS, status)


_PIECE_WORDS: LazyLabels = {
    "present": lazy_gettext("in the folder"),
    "stale": lazy_gettext("too old"),
    "ticked": lazy_gettext("ticked by hand"),
    "missing": lazy_gettext("missing"),
}


def piece_label(state: str) -> str:
    """A required piece of a grant dossier."""
    return _pick(_PIECE_WORDS, state)


_SEVERITY_WORDS: LazyLabels = {
    "high": lazy_gettext("urgent"),
    "medium": lazy_gettext("important"),
    "low": lazy_gettext("for information"),
}


def severity_label(severity: str) -> str:
    """An alert's severity, in words."""
    return _pick(_SEVERITY_WORDS, severity)


_ALERT_STATE_WORDS: LazyLabels = {
    "open": lazy_gettext("open"),
    "acknowledged": lazy_gettext("acknowledged"),
    "snoozed": lazy_gettext("snoozed"),
    "resolved": lazy_gettext("resolved"),
}


def alert_state_label(state: str) -> str:
    """Where an alert stands."""
    return _pick(_ALERT_STATE_WORDS, state)


_DELIVERY_WORDS: LazyLabels = {
    "pending": lazy_gettext("waiting to be sent"),
    "sending": lazy_gettext("being sent"),
    "sent": lazy_gettext("sent"),
    "edited": lazy_gettext("sent, then updated"),
    "failed": lazy_gettext("failed"),
}


def delivery_label(state: str) -> str:
    """Where the sending of one message stands."""
    return _pick(_DELIVERY_WORDS, state)


_OUTCOME_WORDS: LazyLabels = {
    "ok": lazy_gettext("up to date"),
    "partial": lazy_gettext("partly synced"),
    "failed": lazy_gettext("failed"),
    "deferred": lazy_gettext("postponed (server asked to wait)"),
    "running": lazy_gettext("running"),
    "abandoned": lazy_gettext("stopped with its process, nothing applied"),
    "": lazy_gettext("never synced"),
}


def outcome_label(outcome: str | None) -> str:
    """The result of a sync run."""
    return _pick(_OUTCOME_WORDS, outcome)


_SOURCE_STATUS_WORDS: LazyLabels = {
    "new": lazy_gettext("not synced yet"),
    "ok": lazy_gettext("working"),
    "auth_failed": lazy_gettext("password refused: create a new app password"),
    "rate_limited": lazy_gettext("Nextcloud asked to wait"),
    "unreachable": lazy_gettext("unreachable"),
    "error": lazy_gettext("in error"),
}


def source_status_label(status: str | None) -> str:
    """The state of a Nextcloud source, and what to do when it is wrong."""
    return _pick(_SOURCE_STATUS_WORDS, status)


_CHANGE_WORDS: LazyLabels = {
    "added": lazy_gettext("added"),
    "changed": lazy_gettext("modified"),
    "moved": lazy_gettext("moved"),
    "removed": lazy_gettext("removed"),
}


def change_label(change: str) -> str:
    """What happened to a file."""
    return _pick(_CHANGE_WORDS, change)


_OBLIGATION_STATUS_WORDS: LazyLabels = {
    "done": lazy_gettext("done"),
    "overdue": lazy_gettext("overdue"),
    "due_soon": lazy_gettext("due soon"),
    "upcoming": lazy_gettext("upcoming"),
}


def obligation_status(status: str) -> str:
    """Where an obligation stands."""
    return _pick(_OBLIGATION_STATUS_WORDS, status)


_REASONS: LazyLabels = {
    "6 months after the end of the financial year of the subsidy": lazy_gettext(
        "6 months after the end of the financial year of the subsidy"
    ),
    "before the new request to the same funder": lazy_gettext(
        "before the new request to the same funder"
    ),
    "within 3 months of the change of officers": lazy_gettext(
        "within 3 months of the change of officers"
    ),
    "more than 153 000 € of public subsidies in the year": lazy_gettext(
        "more than 153 000 € of public subsidies in the year"
    ),
}


def obligation_reason(reason: str) -> str:
    """The projection states its reasons in English; known ones are shown translated."""
    found = _REASONS.get(reason)
    return reason if found is None else str(found)


_JOB_STATE_WORDS: LazyLabels = {
    "running": lazy_gettext("running"),
    "paused": lazy_gettext("paused by an administrator"),
    "blocked": lazy_gettext("stopped: Nextcloud refused the password"),
    "scheduled": lazy_gettext("scheduled"),
}


def job_state_label(state: str) -> str:
    """The state of a sync job."""
    return _pick(_JOB_STATE_WORDS, state)


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


_ROLE_WORDS: LazyLabels = {
    "member": lazy_gettext("member"),
    "officer": lazy_gettext("officer (bureau)"),
    "admin": lazy_gettext("administrator"),
}


def role_label(role: str) -> str:
    """A Quorum role, as a person understands it."""
    return _pick(_ROLE_WORDS, role)


_BODY_KIND_WORDS: LazyLabels = {
    "ca": lazy_gettext("board (conseil d'administration)"),
    "bureau": lazy_gettext("bureau"),
    "ag": lazy_gettext("general assembly"),
    "custom": lazy_gettext("other group"),
}


def body_kind_label(kind: str) -> str:
    """The kind of a body, as the statuts name it."""
    return _pick(_BODY_KIND_WORDS, kind)


_SCOPES: LazyLabels = {"read": lazy_gettext("read"), "write": lazy_gettext("write")}


def scope_label(scope: str) -> str:
    """What an API token may do."""
    return _pick(_SCOPES, scope)


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
