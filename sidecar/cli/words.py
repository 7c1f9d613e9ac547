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
from typing import Any

import click

from sidecar import i18n
from sidecar.config import translations_dir

_LOCALE_VARIABLES = ("QUORUM_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# Click's own words (it translates them with the standard gettext module, from the terminal's
# locale): kept in Quorum's catalogue, which :func:`bind_click_words` lends to Click.
CLICK_WORDS = (
    "Usage:",
    "Options",
    "Commands",
    "Show this message and exit.",
    "Error: {message}",
    "Try '{command} {option}' for help.",
    "Missing argument",
    "No such command {name!r}.",
)
_MARKUP = re.compile(r"``([^`]+)``")


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


def bind_click_words() -> None:
    """Let Click find its words (``Usage:``, ``Options``…) in Quorum's catalogue."""
    gettext.bindtextdomain("messages", str(translations_dir()))
    gettext.textdomain("messages")


def plain(text: str) -> str:
    """Help text without reStructuredText markup: ````--every 15m```` → « --every 15m »."""
    return _MARKUP.sub(r"\1", text)


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
    for owner, name in _help_items(command):
        originals: dict[str, str] = owner.__dict__.setdefault("_quorum_msgids", {})
        text = originals.setdefault(name, getattr(owner, name) or "")
        if text:
            setattr(owner, name, plain(i18n.gettext(lang, msgid_of(text))))


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
