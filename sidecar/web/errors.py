"""One error response for the JSON API and one for pages, mapped here and nowhere else.

A view raises :class:`~sidecar.errors.NotFound` or another :class:`~sidecar.errors.QuorumError`
(or aborts with an HTTP status); the API answers ``{"error": …}`` with the status, a page answers
with a Quorum page that says what happened. Pages that can say more (a form with its fields)
catch the error themselves and show it beside the field.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from sidecar.errors import NotFound, QuorumError
from sidecar.web.error_texts import error_text

log = logging.getLogger(__name__)


def is_api() -> bool:
    """Whether the request is for the JSON API (token-authenticated, answered in JSON)."""
    return request.path.startswith("/api/")


def json_error(message: str, status: int, **extra: Any) -> tuple[Response, int]:
    """The API's error answer: ``{"error": message, **extra}`` with ``status``."""
    return jsonify({"error": message, **extra}), status


def _page(message: str, status: int) -> tuple[str, int]:
    return render_template("pages/error.html", status=status, message=message), status


def _domain(err: QuorumError, status: int) -> tuple[Response | str, int]:
    if is_api():
        return json_error(err.message, status)
    return _page(error_text(err), status)


def _http(err: HTTPException) -> ResponseReturnValue:
    status = err.code or 500
    if status < 400 or err.response is not None:
        return err.get_response()
    if is_api():
        return json_error(err.description or err.name, status)
    # Werkzeug's own texts for 404/405/500 are generic English: the page says it better.
    return _page("" if status in (404, 405, 500) else (err.description or ""), status)


def _database(err: OperationalError) -> ResponseReturnValue:
    """The database is locked or unreachable: 503 and "try again", not a 500 and a traceback."""
    log.warning("database unavailable: %s", str(err.orig).splitlines()[0] if err.orig else err)
    if is_api():
        body: Any = json_error("The database is unavailable right now; try again shortly.", 503)[0]
    else:
        message = gettext(
            "The database cannot be reached right now (it is busy or stopped). Try again in a "
            "moment; if it goes on, tell your admin."
        )
        try:
            body = _page(message, 503)[0]
        except Exception:  # the page itself may need the database: answer plainly
            body = f"<!doctype html><title>503 — Quorum</title><p>{escape(message)}</p>"
    response = make_response(body, 503)
    response.headers["Retry-After"] = "30"
    return response


def init_app(app: Flask) -> None:
    """Install the handlers (``create_app`` calls this once)."""
    app.register_error_handler(OperationalError, _database)
    app.register_error_handler(NotFound, lambda err: _domain(err, 404))
    app.register_error_handler(QuorumError, lambda err: _domain(err, 400))
    app.register_error_handler(HTTPException, _http)
