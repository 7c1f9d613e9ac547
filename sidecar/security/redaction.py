"""A logging filter that hides secrets on every record, whoever logs them.

Installed as the log record factory by :func:`install` (``create_app`` and the CLI call it):
it redacts Authorization headers, ``password=``/``token=`` values, ``user:pass@`` in URLs and
Quorum's API tokens, in the message, its arguments and any exception text.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from integrations.http import redact

_EXTRA = (
    (re.compile(r"qrm_[A-Za-z0-9_-]{8,}"), "qrm_***"),
    (
        re.compile(
            r"(?i)((?:api_?|access_?|poll_?|secret_?)?(?:token|secret)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s&,\"'}]+"
        ),
        r"\1***",
    ),
    (re.compile(r"(?i)(\bbearer\s+)[^\s,\"'}]+"), r"\1***"),
    # feed and signed-action tokens travel in paths (a server's access log, a traceback)
    (re.compile(r"(/feeds/)[^/?#\s\"']+?(\.ics)"), r"\1***\2"),
    (re.compile(r"(/alerts/act/)[^/?#\s\"']+"), r"\1***"),
)


def scrub(text: str) -> str:
    """``text`` with every secret Quorum knows how to spot replaced by ``***``."""
    text = redact(text)
    for pattern, replacement in _EXTRA:
        text = pattern.sub(replacement, text)
    return text


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Replace the record's message (and exception text) by its redacted, formatted form."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    record.msg, record.args = scrub(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    return record


class RedactingFilter(logging.Filter):
    """For handlers configured elsewhere: rewrites each record, never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def install() -> None:
    """Redact every log record of this process at creation (idempotent).

    A filter on a logger misses records propagated from child loggers, and a filter on handlers
    misses handlers added later (a WSGI server's, pytest's): the record factory sees them all.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "quorum_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub_record(current(*args, **kwargs))

    factory.quorum_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
