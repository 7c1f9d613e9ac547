"""A Babel extractor for the command line's help texts (named in babel.cfg).

The help of each command and option is written in the code (docstrings, ``help=``); this hands
them to ``pybabel extract`` so the catalogue keeps them. It imports the whole command line, so
nothing in :mod:`sidecar.cli` imports it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sidecar.cli import cli
from sidecar.cli.words import CLICK_WORDS, help_texts


def extract(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel's extractor interface: every help text, and Click's own words."""
    for text in (*help_texts(cli), *CLICK_WORDS):
        yield 0, None, text, []
