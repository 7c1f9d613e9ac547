"""Formatting helpers for templates: dates in the association's time zone, in the UI language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask_babel import get_locale, gettext


def when(value: datetime | None, tz: str = "Europe/Paris", all_day: bool = False) -> str:
    """« samedi 5 décembre 2026 à 10:00 » in French, "Saturday, December 5, 2026, 10:00 AM" in English."""
    if value is None:
        return ""
    locale = str(get_locale() or "fr")
    if all_day:
        return format_date(value.date(), format="full", locale=locale)
    local = value.astimezone(ZoneInfo(tz))
    return format_datetime(local, format="EEEE d MMMM y HH:mm", locale=locale)


def day(value: date | datetime | str | None) -> str:
    """« mardi 8 décembre 2026 »: a date alone, in the UI language (ISO text accepted)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    plain = value.date() if isinstance(value, datetime) else value
    return format_date(plain, format="full", locale=str(get_locale() or "fr"))


def outcome_label(outcome: str | None) -> str:
    labels = {
        "ok": gettext("up to date"),
        "partial": gettext("partly synced"),
        "failed": gettext("failed"),
        "deferred": gettext("postponed (server asked to wait)"),
        "running": gettext("running"),
        "abandoned": gettext("stopped with its process, nothing applied"),
        None: gettext("never synced"),
    }
    return str(labels.get(outcome, outcome or ""))


def obligation_status(status: str) -> str:
    labels = {
        "done": gettext("done"),
        "overdue": gettext("overdue"),
        "due_soon": gettext("due soon"),
        "upcoming": gettext("upcoming"),
    }
    return str(labels.get(status, status))


def obligation_reason(reason: str) -> str:
    """The projection states its reasons in English; known ones are shown translated."""
    labels = {
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
    return str(labels.get(reason, reason))
