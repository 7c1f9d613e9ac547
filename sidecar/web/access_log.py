"""Gunicorn's access log without secrets: no query strings, no referer, and the feed and
signed-action tokens that travel in paths replaced by ``***``.

Used by the container (``docker/entrypoint.sh``): ``--logger-class
sidecar.web.access_log.AccessLogger --access-logformat`` with :data:`ACCESS_LOG_FORMAT`.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
_TOKEN_PATHS = (
    (re.compile(r"(/feeds/)[^/?#\s]+?(\.ics)"), r"\1***\2"),
    (re.compile(r"(/alerts/act/)[^/?#\s]+"), r"\1***"),
)
_SECRET_HEADERS = ("authorization", "cookie", "x-quorum-webhook-secret", "authorization-app-api")


def scrub_path(path: str) -> str:
    """``path`` without its query string, tokens in known token paths replaced by ``***``."""
    path = path.split("?", 1)[0]
    for pattern, replacement in _TOKEN_PATHS:
        path = pattern.sub(replacement, path)
    return path


class AccessLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger, with every atom that may carry a token scrubbed whatever the format."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        method, protocol = atoms.get("m") or "-", atoms.get("H") or "-"
        path = scrub_path(str(environ.get("RAW_URI") or atoms.get("U") or ""))
        atoms.update({"r": f"{method} {path} {protocol}", "U": path, "q": "", "f": "-"})
        for name in _SECRET_HEADERS:
            if f"{{{name}}}i" in atoms:
                atoms[f"{{{name}}}i"] = "***"
        return atoms
