"""Dates, times and amounts as a reader of the language expects them, with Babel.

One place for pages, e-mails, chat messages, calendar feeds and the CLI, so that all of them say
« lundi 1er juin 2026 à 18:30 » and « 12 500,50 € » (narrow no-break space between thousands,
no-break space before the euro sign) in French, and "Monday, June 1, 2026" in English.
Times are shown in the association's time zone, never in UTC.
No Flask here: the caller passes the language (see :mod:`sidecar.web.display` for pages).
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, format_percent

DEFAULT_TZ = "Europe/Paris"
# French patterns are spelt out so the first of the month can read « 1er » (Babel says « 1 »).
_FR_DATES = {"full": "EEEE d MMMM y", "long": "d MMMM y", "short": "d MMM y"}


def _french(language: str) -> bool:
    return language.split("_")[0].split("-")[0].lower() == "fr"


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


def date_text(value: date | datetime | str | None, language: str, size: str = "full") -> str:
    """« lundi 1er juin 2026 » (full), « 1er juin 2026 » (long), « 1er juin 2026 » abbreviated
    (short); ISO text is accepted, and None gives ""."""
    if value is None or value == "":
        return ""
    return _date_text(_as_date(value), language, size)


@lru_cache(maxsize=4096)  # Babel's formatting is the costliest part of a page's dates
def _date_text(day: date, language: str, size: str) -> str:
    if _french(language):
        pattern = _FR_DATES[size]
        if day.day == 1:
            pattern = pattern.replace("d ", "d'er' ", 1)
        return format_date(day, pattern, locale="fr")
    return format_date(day, {"short": "medium"}.get(size, size), locale=language)


def local(value: datetime, tz: str | None = None) -> datetime:
    """``value`` in the association's time zone (a naive value is taken as UTC)."""
    zone = ZoneInfo(tz or DEFAULT_TZ)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(zone)


def time_text(value: datetime, language: str, tz: str | None = None) -> str:
    """« 18:30 » in French, "6:30 PM" in English, in the association's time zone."""
    moment = local(value, tz)
    return _clock(moment.hour, moment.minute, language)


@lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, language: str) -> str:
    return format_time(time(hour, minute), "short", locale="fr" if _french(language) else language)


def datetime_text(
    value: datetime | None, language: str, tz: str | None = None, size: str = "full"
) -> str:
    """« lundi 1er juin 2026 à 18:30 » in the association's time zone (full or long date)."""
    if value is None:
        return ""
    moment = local(value, tz)
    day = date_text(moment.date(), language, size)
    if _french(language):
        return f"{day} à {time_text(moment, language, tz)}"
    return f"{day}, {time_text(moment, language, tz)}"


@lru_cache(maxsize=4096)  # Babel's number formatting costs about 0.1 ms a call
def money(cents: int | None, language: str) -> str:
    """« 12 500,50 € », « 12 500 € » when there are no cents; "" for no amount."""
    if cents is None:
        return ""
    locale = "fr_FR" if _french(language) else language
    if cents % 100:
        return format_currency(cents / 100, "EUR", locale=locale)
    whole = "#,##0\xa0¤" if _french(language) else "¤#,##0"
    return format_currency(cents // 100, "EUR", format=whole, locale=locale, currency_digits=False)


@lru_cache(maxsize=4096)
def percent(value: int | float, language: str) -> str:
    """« 71 % » in French (a narrow no-break space before the sign), "71%" in English;
    ``value`` is in percent (71, not 0.71)."""
    if _french(language):
        return format_percent(value / 100, locale="fr_FR").replace("\u00a0", "\u202f")
    return format_percent(value / 100, locale=language)


def number(value: int | float, language: str) -> str:
    """« 1 234 » (narrow no-break space) in French."""
    return format_decimal(value, locale="fr_FR" if _french(language) else language)


# The largest id the databases store (PostgreSQL's INTEGER): a larger number in a URL, a query
# string or a form is something that cannot exist, not a crash of the database driver.
MAX_ID = 2**31 - 1


def whole_number(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number in [``low``, ``high``], written in ASCII digits; None otherwise.

    The one reader of numbers typed in URLs and forms: ``str.isdigit()`` also accepts "²" and
    other digits ``int()`` refuses, and ``int()`` refuses more than 4300 digits.
    """
    if not text or not (text.isascii() and text.isdigit()):
        return None
    if len(text.lstrip("0")) > len(str(high)):  # never int() thousands of digits
        return None
    value = int(text)
    return value if low <= value <= high else None
