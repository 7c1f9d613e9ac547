"""Which URLs may become links: only ``http``/``https`` (and ``mailto:`` where an address is meant).

Calendars, files and forms are written by people Quorum does not trust. A ``CONFERENCE`` of
``javascript:…`` rendered as ``href`` runs script in an admin's session when clicked, so every
``href`` built from synced or user data goes through :func:`safe_url` (the ``safe_url`` template
filter), and anything refused is shown as text. Pure: no Flask, no database. It lives in the
projection, the lowest layer that needs it (a CONFERENCE counts as a video link only when it may
become a link); :mod:`sidecar.security.links` is the name the rest of Quorum uses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})
MAX_LENGTH = 2048


def safe_url(value: object, *, mailto: bool = False) -> str | None:
    """``value`` stripped, when it is an absolute http(s) URL with a host (or a ``mailto:``
    address when ``mailto``); None for anything else (``javascript:``, ``data:``, relative…)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    # Browsers drop tabs and newlines inside a URL ("java\tscript:"), and control characters
    # or spaces have no place in a link: refuse rather than guess what a browser would do.
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    scheme = parts.scheme.lower()
    if scheme in WEB_SCHEMES:
        return text if parts.netloc and parts.hostname else None
    if mailto and scheme == "mailto":
        return text if "@" in parts.path else None
    return None


def is_safe_url(value: object, *, mailto: bool = False) -> bool:
    """True when :func:`safe_url` would make ``value`` a link."""
    return safe_url(value, mailto=mailto) is not None
