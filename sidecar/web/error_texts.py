"""Domain errors in the language of the page being served (:mod:`sidecar.error_texts`)."""

from __future__ import annotations

from sidecar import error_texts
from sidecar.errors import QuorumError
from sidecar.web.display import language


def error_text(err: QuorumError) -> str:
    """What ``err`` says, in the reader's language when its code is known."""
    return error_texts.error_text(err, language())
