"""The command line's words in the reader's language, from the web's catalogue.

The language is ``QUORUM_LANGUAGE`` when set, else the terminal's (``LC_ALL``, ``LC_MESSAGES``,
``LANG``): French for ``fr*``, English otherwise. Messages go through :func:`_` and
:func:`ngettext` (so plurals agree: "1 request", "2 requests"); the help of every command and
option is translated when the command line starts (:func:`translate_help`), from the English
written in the code, with reStructuredText markup (````code````) taken out so ``--help`` reads
as plain text. ``pybabel extract`` finds the help texts through :mod:`sidecar.cli.catalogue`.
"""

from __future__ import annotations

import gettext
import inspect
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from sidecar import i18n
from sidecar.config import translations_dir

_LOCALE_VARIABLES = ("QUORUM_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# Click's own words (it translates them with the standard gettext module, from the terminal's
# locale): kept in Quorum's catalogue, which :func:`click_words` lends to Click.
CLICK_WORDS = (
    "Usage:",
    "Options",
    "Commands",
    "Show this message and exit.",
    "Error: {message}",
    "Try '{command} {option}' for help.",
    "Missing argument",
    "Missing option",
    "Missing parameter",
    "No such command {name!r}.",
    "No such option {name!r}.",
    "required",
    "default: {default}",
    "Invalid value for {param_hint}: {message}",
    "Invalid value: {message}",
    "Choose from:\n\t{choices}",
    "Aborted!",
)
#: Click's words that agree with a count: (singular, plural).
CLICK_PLURALS = (("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),)
# ``code`` and `code` (reStructuredText and Markdown): the text stays, the backticks go.
_MARKUP = re.compile(r"``([^`]+)``|`([^`]+)`")


def language() -> str:
    """``fr`` or ``en``, from the environment (never from the database)."""
    for name in _LOCALE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def _(msgid: str, **params: object) -> str:
    """``msgid`` in the command line's language, ``%(name)s`` filled from ``params``."""
    return i18n.gettext(language(), msgid, **params)


def ngettext(singular: str, plural: str, count: int, **params: object) -> str:
    """The form that agrees with ``count`` (``%(num)d`` is the count)."""
    return i18n.ngettext(language(), singular, plural, count, **params)


def schedule_words(schedule: str) -> str:
    """``every 15m`` → « toutes les 15 minutes » in French; English keeps ``every 15m``."""
    kind, _sep, rest = schedule.partition(" ")
    if language() == "en":
        return schedule
    if kind == "cron":
        return _("by the cron rule %(rule)s", rule=rest)
    if kind == "every" and rest[:-1].isdigit():
        count, unit = int(rest[:-1]), rest[-1]
        texts = {
            "s": ("every second", "every %(num)d seconds"),
            "m": ("every minute", "every %(num)d minutes"),
            "h": ("every hour", "every %(num)d hours"),
            "d": ("every day", "every %(num)d days"),
        }
        if unit in texts:
            return ngettext(*texts[unit], count)
    return schedule


@contextmanager
def click_words() -> Iterator[None]:
    """Let Click find its words (``Usage:``, ``Options``…) in Quorum's catalogue, in the
    command line's language, for one run. Click asks the standard gettext module, which reads
    ``LANGUAGE`` before the terminal's locale: it is set to :func:`language` for the run (and
    put back after), so ``QUORUM_LANGUAGE`` wins for Click's words as for Quorum's."""
    gettext.bindtextdomain("messages", str(translations_dir()))
    gettext.textdomain("messages")
    before = os.environ.get("LANGUAGE")
    os.environ["LANGUAGE"] = language()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = before


def plain(text: str) -> str:
    """Help text without markup: ````--every 15m```` or ```quorum serve``` → « quorum serve »."""
    return _MARKUP.sub(lambda m: m.group(1) or m.group(2), text)


def _help_items(command: click.Command) -> Iterator[tuple[Any, str]]:
    """(object, attribute) of every help text under ``command``."""
    yield command, "help"
    yield command, "short_help"
    for param in command.params:
        if isinstance(param, click.Option):
            yield param, "help"
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _help_items(sub)


def translate_help(command: click.Command, lang: str | None = None) -> None:
    """Put the help texts under ``command`` in ``lang`` (the English stays the key, so this can
    run again in another language)."""
    lang = lang or language()
    _forget_help_options(command)
    _use_quorum_context(command)
    for owner, name in _help_items(command):
        originals: dict[str, str] = owner.__dict__.setdefault("_quorum_msgids", {})
        text = originals.setdefault(name, getattr(owner, name) or "")
        if text:
            setattr(owner, name, plain(i18n.gettext(lang, msgid_of(text))))


class _Formatter(click.HelpFormatter):
    """Click's help layout, with headings punctuated the reader's way (« Options : »)."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_('%(heading)s:', heading=heading)}\n")


class QuorumContext(click.Context):
    formatter_class = _Formatter


def _use_quorum_context(command: click.Command) -> None:
    command.context_class = QuorumContext
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _use_quorum_context(sub)


def _forget_help_options(command: click.Command) -> None:
    """Click caches each command's ``--help`` option, its text in the language of first use
    (Click ≥ 8.1.8): drop it, so it is made again in the language of this run."""
    command._help_option = None
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _forget_help_options(sub)


def msgid_of(text: str) -> str:
    """The catalogue key of a help text: its docstring, indentation taken out."""
    return inspect.cleandoc(text)


def help_texts(command: click.Command) -> list[str]:
    """Every help text under ``command``, as catalogue keys (for the catalogue test)."""
    found: dict[str, None] = {}
    for owner, name in _help_items(command):
        originals = owner.__dict__.get("_quorum_msgids", {})
        text = originals.get(name) or getattr(owner, name) or ""
        if text:
            found[msgid_of(text)] = None
    return list(found)
