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


def day(value: date | datetime | None) -> str:
    """« mardi 8 décembre 2026 »: a date alone, in the UI language."""
    if value is None:
        return ""
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
