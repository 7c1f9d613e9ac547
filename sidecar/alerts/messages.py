"""Render an alert into a :class:`Message` in the recipient's language (text and HTML).

Templates live in ``templates/email/``; the words come from :mod:`sidecar.alerts.texts`,
translated with the application's catalogue, so e-mail, Talk, notifications and the calendar
all say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sidecar.alerts import texts
from sidecar.alerts.channels.base import Message, one_line
from sidecar.config import templates_dir, translations_dir
from sidecar.security import links

TRANSLATIONS = translations_dir()


def _templates() -> Path:
    return templates_dir() / "email"


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    """The catalogue for ``language``; English (the msgids) when there is none."""
    if language.startswith("en"):
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language, "fr"])


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Autoescape on for the HTML part; the text part is rendered with escaping off below.
    env = Environment(
        loader=FileSystemLoader(str(_templates())),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )
    env.filters["safe_url"] = links.safe_url  # links in mails: http(s) only, like the pages
    return env


def tr(language: str, msgid: str, params: Mapping[str, object] | None = None) -> str:
    if not msgid:
        return ""  # gettext("") is the catalogue's header, never wanted here
    return texts.fill(translations(language).gettext(msgid), params or {})


def render(
    *,
    key: str,
    rule: str,
    severity: str,
    kind: str,
    params: Mapping[str, Any],
    language: str,
    links: Mapping[str, str],
    data: Mapping[str, Any] | None = None,
) -> Message:
    """One alert as a message; ``links`` holds ``open``, ``acknowledge`` and ``snooze`` URLs."""
    title = tr(language, texts.TITLES.get(rule, rule), params)
    prefix = tr(language, texts.KIND_PREFIX.get(kind, ""))
    detail = tr(language, texts.DETAILS.get(rule, ""), params)
    subject = one_line(prefix + title)
    context = {
        "subject": subject,
        "detail": detail,
        "severity": severity,
        "links": links,
        "labels": {name: tr(language, msgid) for name, msgid in texts.UI.items()},
        "language": language,
    }
    return Message(
        key=key,
        kind=kind,
        rule=rule,
        severity=severity,
        subject=subject,
        text=_environment().get_template("alert.txt").render(context),
        html=_environment().get_template("alert.html").render(context),
        link=links.get("open", ""),
        acknowledge_link=links.get("acknowledge", ""),
        snooze_link=links.get("snooze", ""),
        data={**(data or {}), "params": dict(params)},
    )


def render_digest(items: list[Message], language: str) -> Message:
    """Several alerts for one person in one message (never called with no items)."""
    subject = tr(language, texts.UI["digest"], {"count": len(items)})
    context = {
        "subject": subject,
        "items": items,
        "labels": {name: tr(language, msgid) for name, msgid in texts.UI.items()},
        "language": language,
    }
    return Message(
        key="digest",
        kind="digest",
        rule="digest",
        severity=max((m.severity for m in items), key=_rank),
        subject=one_line(subject),
        text=_environment().get_template("digest.txt").render(context),
        html=_environment().get_template("digest.html").render(context),
    )


def render_test(channel_name: str, language: str) -> Message:
    subject = tr(language, texts.UI["test_subject"])
    body = tr(language, texts.UI["test_body"], {"name": channel_name})
    return Message(
        key="test",
        kind="test",
        rule="test",
        severity="low",
        subject=subject,
        text=body + "\n",
        html=f"<p>{_escape(body)}</p>",
    )


def _rank(severity: str) -> int:
    return {"low": 0, "medium": 1, "high": 2}.get(severity, 1)


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
