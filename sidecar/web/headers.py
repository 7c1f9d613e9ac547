"""Security headers on every answer, the ``safe_url`` filter the templates use for links, and
URL numbers bounded to what the database holds.

The Content-Security-Policy allows scripts only from Quorum's own static files (no inline
script, no ``eval``), so even a link or text that slipped through escaping cannot run script;
pages cannot be framed (clickjacking), types are not sniffed, and no address (which may carry
a feed or action token) is sent to other sites in ``Referer``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Flask, Response
from werkzeug.routing import IntegerConverter, Map

from sidecar.formatting import MAX_ID
from sidecar.security import links

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` that matches only numbers the database can hold, in ASCII digits (a number
    above :data:`~sidecar.formatting.MAX_ID` is a page that cannot exist: 404, not 500)."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Replace ``int`` by :class:`BoundedIntegerConverter`: call before any route is added."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def init_app(app: Flask) -> None:
    """Add the headers to every response and the ``safe_url`` filter to the templates."""
    app.after_request(add_headers)
    app.add_template_filter(safe_url, "safe_url")


@lru_cache(maxsize=4096)
def _safe_text_url(value: str, mailto: bool) -> str | None:
    return links.safe_url(value, mailto=mailto)


def safe_url(value: object, *, mailto: bool = False) -> str | None:
    """:func:`sidecar.security.links.safe_url`, remembered for the texts it already judged
    (pure; the same links come back on every page: 20–40 on the documents page)."""
    if isinstance(value, str):
        return _safe_text_url(value, mailto)
    return links.safe_url(value, mailto=mailto)


def add_headers(response: Response) -> Response:
    """Set each security header unless a view chose its own value."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
