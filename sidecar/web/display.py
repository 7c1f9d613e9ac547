"""Formatting helpers for templates: dates in the association's time zone, amounts in euros, in
the UI language (the rules themselves are in :mod:`sidecar.formatting`)."""

from __future__ import annotations

from datetime import date, datetime

from flask import g
from flask_babel import get_locale

from sidecar import formatting
from sidecar.storage.models import Association
from sidecar.web.context import read_association, services


def language() -> str:
    return str(get_locale() or "fr")


def timezone() -> str:
    """The signed-in user's association's time zone (looked up once per request, or taken from
    the row the sign-in check read), so every time on every page is in the same zone; the
    default zone when nobody is signed in."""
    found = g.get("timezone")
    if isinstance(found, str):
        return found
    zone = formatting.DEFAULT_TZ
    principal = g.get("principal")
    kept = read_association()
    if kept is not None:
        zone = kept.timezone or zone
    elif principal is not None:
        with services().db.session() as db:
            association = db.get(Association, principal.association_id)
            zone = association.timezone if association and association.timezone else zone
    g.timezone = zone
    return zone


def when(value: datetime | None, tz: str | None = None, all_day: bool = False) -> str:
    """« samedi 5 décembre 2026 à 10:00 » in French, "Saturday, December 5, 2026, 10:00 AM" in
    English; an all-day event shows its date alone."""
    if value is None:
        return ""
    if all_day:
        return formatting.date_text(value.date(), language())
    return formatting.datetime_text(value, language(), tz or timezone())


def when_short(value: datetime | None, tz: str | None = None) -> str:
    """« 3 déc. 2026 à 08:02 »: for logs and tables."""
    if value is None:
        return ""
    return formatting.datetime_text(value, language(), tz or timezone(), size="short")


def day(value: date | datetime | str | None) -> str:
    """« mardi 8 décembre 2026 »: a date alone, in the UI language (ISO text accepted)."""
    return formatting.date_text(value or None, language())


def day_long(value: date | datetime | str | None) -> str:
    """« 1er juin 2026 »: a date without its weekday."""
    return formatting.date_text(value or None, language(), "long")


def money(cents: int | None) -> str:
    """« 12 500,50 € » (cents in, the UI language's format out)."""
    return formatting.money(cents, language())


def percent(value: int | float | None) -> str:
    """« 71 % » (narrow no-break space in French)."""
    return "" if value is None else formatting.percent(value, language())


def colon() -> str:
    """The colon after a label: « Statut : » (no-break space before it) in French."""
    return "\u00a0: " if language().startswith("fr") else ": "


def register(app: object) -> None:
    """Install the filters on ``app`` (a Flask app)."""
    from flask import Flask

    assert isinstance(app, Flask)
    for name, function in (
        ("when", when),
        ("when_short", when_short),
        ("day", day),
        ("day_long", day_long),
        ("money", money),
        ("percent", percent),
    ):
        app.add_template_filter(function, name)
    app.add_template_global(colon)
