"""One error response for the JSON API and one for pages, mapped here and nowhere else.

A view raises :class:`~sidecar.errors.NotFound` or another :class:`~sidecar.errors.QuorumError`
(or aborts with an HTTP status); the API answers ``{"error": …}`` with the status, a page answers
with a Quorum page in the reader's language: the header and the menu of their role, what
happened in plain words, what to do, and a way back. A refused page says which role it needs
and how roles are decided, so a person knows whom to ask. Pages that can say more (a form with
its fields) catch the error themselves and show it beside the field.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from sidecar.errors import NotFound, QuorumError
from sidecar.web.access import ROLES, role_of
from sidecar.web.error_texts import error_text

log = logging.getLogger(__name__)
# Headers an error answer must keep (405 says what is allowed, 401 how to authenticate...).
_KEPT_HEADERS = ("WWW-Authenticate", "Retry-After", "Allow")


def is_api() -> bool:
    """Whether the request is for the JSON API (token-authenticated, answered in JSON)."""
    return request.path.startswith("/api/")


def json_error(message: str, status: int, **extra: Any) -> tuple[Response, int]:
    """The API's error answer: ``{"error": message, **extra}`` with ``status``."""
    return jsonify({"error": message, **extra}), status


def _texts(status: int) -> tuple[str, str]:
    """(title, what happened and what to do) for ``status``."""
    texts: dict[int, tuple[str, str]] = {
        400: (
            gettext("Request not understood"),
            gettext("Quorum could not read what was sent. Go back, reload the page and try again."),
        ),
        401: (gettext("Sign-in needed"), gettext("Sign in to Quorum to see this page.")),
        403: (
            gettext("This page is not open to your role"),
            gettext("Your role in the association does not give access to this page."),
        ),
        404: (
            gettext("This page does not exist"),
            gettext(
                "This address leads nowhere: what it showed may have been removed or renamed. "
                "Start again from the overview."
            ),
        ),
        405: (
            gettext("Action not possible here"),
            gettext(
                "This address does not accept this action. Go back and use the page's buttons."
            ),
        ),
        429: (
            gettext("Too many requests"),
            gettext("Too many requests in a short time: wait a minute, then try again."),
        ),
        503: (
            gettext("Quorum is not available"),
            gettext(
                "Quorum cannot answer right now (its database may be unreachable). "
                "Try again in a few minutes."
            ),
        ),
    }
    return texts.get(
        status,
        (
            gettext("Something went wrong on our side"),
            gettext(
                "Quorum failed to show this page. Nothing you did caused it: try again in a "
                "moment, and if it happens again tell an administrator (the details are in "
                "Quorum's log)."
            ),
        ),
    )


def _needed_role() -> str | None:
    view = current_app.view_functions.get(request.endpoint or "")
    role = role_of(view) if view is not None else None
    return role if role in ROLES else None


def _page(status: int, message: str = "", *, csrf: bool = False, detail: str = "") -> Response:
    """The error page; ``message`` is a translated detail (a domain error's text), ``detail``
    Werkzeug's English description (the CSRF reason), shown as such."""
    title, text = _texts(status)
    if csrf:
        title = gettext("Form expired")
        text = gettext(
            "The form had expired or came from another page. Reload the page and send it again."
        )
    try:
        body = render_template(
            "pages/error.html",
            status=status,
            title=title,
            text=text,
            message=message,
            detail=detail,
            needed=_needed_role() if status == 403 else None,
            principal=g.get("principal"),
        )
    except Exception:  # the page itself failed (it may need the database): plain words, no loop
        log.exception("the error page for %s failed", status)
        said = message or gettext("Something went wrong. Try again in a moment.")
        body = f"<!doctype html><title>{status} — Quorum</title><p>{escape(said)}</p>"
    response = make_response(body)
    response.status_code = status
    return response


def _domain(err: QuorumError, status: int) -> Response | tuple[Response, int]:
    if is_api():
        return json_error(err.message, status)
    return _page(status, error_text(err))


def _http(err: HTTPException) -> Response:
    status = err.code or 500
    if status < 400 or err.response is not None:
        return make_response(err.get_response())
    if isinstance(err, InternalServerError) and err.original_exception is not None:
        log.error("unexpected error on %s", request.path, exc_info=err.original_exception)
    if is_api():
        message = err.description or err.name if status < 500 else _texts(500)[1]
        response, _status = json_error(message, status)
        response.status_code = status
    else:
        # Werkzeug's own texts for 403/404/405/500 are generic English: the page says it better.
        detail = "" if status in (403, 404, 405) or status >= 500 else (err.description or "")
        response = _page(status, csrf=isinstance(err, CSRFError), detail=detail)
    kept = dict(err.get_headers())
    for name in _KEPT_HEADERS:
        if name in kept:
            response.headers[name] = kept[name]
    return response


def _database(err: OperationalError) -> Response:
    """The database is locked or unreachable: 503 and "try again", not a 500 and a traceback."""
    log.warning("database unavailable: %s", str(err.orig).splitlines()[0] if err.orig else err)
    if is_api():
        response = json_error("The database is unavailable right now; try again shortly.", 503)[0]
    else:
        message = gettext(
            "The database cannot be reached right now (it is busy or stopped). Try again in a "
            "moment; if it goes on, tell your admin."
        )
        response = _page(503, message)
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response


def init_app(app: Flask) -> None:
    """Install the handlers (``create_app`` calls this once)."""
    app.register_error_handler(OperationalError, _database)
    app.register_error_handler(NotFound, lambda err: _domain(err, 404))
    app.register_error_handler(QuorumError, lambda err: _domain(err, 400))
    app.register_error_handler(HTTPException, _http)
