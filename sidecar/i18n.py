"""The translation catalogue outside a web request: e-mails, chat messages, feeds and the CLI.

Pages translate through Flask-Babel; everything else asks here, with the reader's language,
and reads the same catalogue (``sidecar/translations``), so a sentence is written once and
says the same thing everywhere. English is the msgids themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from babel.support import NullTranslations, Translations

from sidecar.config import translations_dir


def N_(text: str) -> str:  # the name pybabel looks for
    """Mark a msgid for extraction; it is translated later, for each reader."""
    return text


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    """The catalogue for ``language``; English (the msgids) when there is none."""
    if language.lower().startswith("en"):
        return NullTranslations()
    return Translations.load(str(translations_dir()), [language, "fr"])


class _Lenient(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, params: Mapping[str, object]) -> str:
    """``template % params`` that never raises on a missing or malformed placeholder."""
    try:
        shown = {k: v if isinstance(v, int | float) else str(v) for k, v in params.items()}
        return template % _Lenient(shown)
    except (ValueError, TypeError):
        return template


def gettext(language: str, msgid: str, **params: object) -> str:
    """``msgid`` in ``language``, its ``%(name)s`` placeholders filled from ``params``."""
    if not msgid:
        return ""  # gettext("") is the catalogue's header, never wanted here
    return fill(translations(language).gettext(msgid), params)


def ngettext(language: str, singular: str, plural: str, count: int, **params: object) -> str:
    """The singular or plural form for ``count`` (``%(num)d`` is the count)."""
    text = translations(language).ngettext(singular, plural, count)
    return fill(text, {"num": count, **params})
