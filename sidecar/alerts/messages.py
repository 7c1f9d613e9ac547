"""Render an alert into a :class:`Message` in the recipient's language (text and HTML).

Templates live in ``templates/email/``; the words come from :mod:`sidecar.alerts.texts`,
translated with the application's catalogue, so e-mail, Talk, notifications and the calendar
all say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from sidecar import formatting
from sidecar.alerts import texts
from sidecar.alerts.channels.base import Message, one_line
from sidecar.config import templates_dir
from sidecar.i18n import translations
from sidecar.security import links


def _templates() -> Path:
    return templates_dir() / "email"


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


def localise(params: Mapping[str, object], language: str) -> dict[str, object]:
    """``params`` with their ISO dates written for a reader of ``language`` (« 1er juin 2026 »)."""
    shown = dict(params)
    for name in texts.DATE_PARAMS:
        value = shown.get(name)
        if isinstance(value, str) and value:
            with suppress(ValueError):  # not a date after all: shown as it came
                shown[name] = formatting.date_text(value, language, "long")
    return shown


def template(language: str, text: texts.Text, params: Mapping[str, object]) -> str:
    """``text`` in ``language``, unfilled: a :class:`texts.Plural` in the form its count asks."""
    count = texts.count_of(text, params)
    if isinstance(text, texts.Plural):
        return translations(language).ngettext(text.singular, text.plural, count or 0)
    if not text:
        return ""  # gettext("") is the catalogue's header, never wanted here
    return translations(language).gettext(text)


def tr(language: str, msgid: texts.Text, params: Mapping[str, object] | None = None) -> str:
    params = params or {}
    return texts.fill(template(language, msgid, params), localise(params, language))


def sentence(rule: str, params: Mapping[str, object], language: str) -> tuple[str, str]:
    """An alert as a reader sees it: what is wrong (with its subject and date), and what to do."""
    key = texts.text_key(rule, params)
    title = tr(language, texts.TITLES.get(key, texts.UNKNOWN_RULE), params)
    return title, tr(language, texts.DETAILS.get(key, ""), params)


def sentence_html(rule: str, params: Mapping[str, object], language: str) -> tuple[Markup, Markup]:
    """:func:`sentence` for the alerts page, where officers read about others: escaped, with
    folders and paths set apart as code."""
    shown: dict[str, object] = {
        name: Markup('<code translate="no">{}</code>').format(value)
        if name in texts.PATH_PARAMS
        else value
        for name, value in localise(params, language).items()
    }

    def html(text: texts.Text) -> Markup:
        if not text:
            return Markup("")
        return escape(template(language, text, params)) % _Lenient(shown)

    key = texts.text_key(rule, params)
    title = texts.PAGE_TITLES.get(key) or texts.TITLES.get(key, texts.UNKNOWN_RULE)
    return html(title), html(texts.PAGE_DETAILS.get(key) or texts.DETAILS.get(key, ""))


class _Lenient(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


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
    title, detail = sentence(rule, params, language)
    prefix = tr(language, texts.KIND_PREFIX.get(kind, ""))
    subject = one_line(prefix + title)
    priority = tr(language, texts.SEVERITY.get(severity, texts.SEVERITY["medium"]))
    context = {
        "subject": subject,
        "detail": detail,
        "severity": severity,
        "priority": tr(language, texts.UI["severity"], {"severity": priority}),
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
    count = len(items)
    subject = texts.fill(
        translations(language).ngettext(
            "Quorum: %(count)s alert needs attention",
            "Quorum: %(count)s alerts need attention",
            count,
        ),
        {"count": count},
    )
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
