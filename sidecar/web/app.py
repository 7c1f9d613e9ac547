"""The Flask application factory: the only wiring point of the web side.

The scheduler is never started here (see docs/pitfalls.md): it runs in ``quorum scheduler`` or in
``quorum serve`` behind a database lease.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request, session
from flask_babel import Babel, get_locale
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf

from sidecar.config import load_settings, templates_dir, translations_dir
from sidecar.context import Services
from sidecar.services import read_models
from sidecar.services.sessions import LIFETIME as SESSION_LIFETIME
from sidecar.web import translation
from sidecar.web.context import services

babel = Babel()
csrf = CSRFProtect()
LANGUAGES = ("fr", "en")


def template_folder() -> str:
    """Templates ship inside the wheel as ``sidecar/templates``; a checkout has ``templates/``."""
    return str(templates_dir())


def create_app(config: dict[str, Any] | None = None, services: Services | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=template_folder(),
        static_folder=str(Path(template_folder()) / "static"),
    )
    if services is None:
        services = Services.from_settings(load_settings())
    app.config.update(
        SECRET_KEY=services.settings.secret_key or _secret_key(services),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Flask's default is 31 days: the 12 hours SECURITY.md states are set here, and the
        # server-side session record expires with them (sidecar.services.sessions).
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # Both end at a fixed time after sign-in: the cookie is signed when it changes, not
        # again on every answer.
        SESSION_REFRESH_EACH_REQUEST=False,
        BABEL_DEFAULT_LOCALE=services.settings.language,
        BABEL_TRANSLATION_DIRECTORIES=str(translations_dir()),
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config or {})
    app.extensions["quorum"] = services
    babel.init_app(app, locale_selector=_locale)
    translation.install(app)
    csrf.init_app(app)
    app.context_processor(_csrf_token_once)  # after Flask-WTF's own, to replace it
    _init_security(app)
    _register_blueprints(app)
    _register_filters(app)
    app.after_request(_refresh_read_models)
    return app


def _csrf_token_once() -> dict[str, Any]:
    """Templates' ``csrf_token()``, asked of Flask-WTF once per page: the bodies page has a
    form per body and per member (about 45), and each call read the configuration again."""
    found: list[str] = []

    def csrf_token() -> str:
        if not found:
            found.append(generate_csrf())
        return found[0]

    return {"csrf_token": csrf_token}


def _refresh_read_models(response: Response) -> Response:
    """After a write that worked (a body, an override, a grant, a setting), derive what it
    changes now, so the page it leads to, and everyone else's, finds it done."""
    if request.method in ("GET", "HEAD", "OPTIONS") or response.status_code >= 400:
        return response
    principal = g.get("principal")
    association_id = getattr(principal, "association_id", None)
    if isinstance(association_id, int):
        read_models.refresh_association(services().db, association_id, datetime.now(UTC))
    return response


def _init_security(app: Flask) -> None:
    """Log redaction, session cookie policy, the access check (sidecar.web.auth), the one
    mapping of errors to answers (sidecar.web.errors), security headers and bounded URL ids
    (sidecar.web.headers)."""
    from sidecar.security import redaction
    from sidecar.web import auth, errors, headers

    redaction.install()
    auth.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    headers.install_converters(app)  # before any route is added


def _register_filters(app: Flask) -> None:
    from sidecar.web import display, labels, navigation

    display.register(app)
    labels.register(app)
    navigation.register(app)
    app.add_template_global(lambda: str(get_locale()), "current_locale")


def _register_blueprints(app: Flask) -> None:
    from sidecar.web import appapi as appapi_views
    from sidecar.web.blueprints import BLUEPRINTS

    for registration in BLUEPRINTS:
        app.register_blueprint(registration.blueprint)
        if registration.csrf_exempt:
            csrf.exempt(registration.blueprint)
    appapi_views.init_app(app)


def _locale() -> str:
    requested = request.args.get("lang")
    if requested in LANGUAGES:
        session["lang"] = requested
        return requested
    remembered = session.get("lang")
    if remembered in LANGUAGES:
        return str(remembered)
    return str(services().settings.language)


def _secret_key(services: Services) -> str:
    """A random key kept in the data directory, so sessions survive restarts."""
    import secrets

    from sidecar.storage.private_files import write_private_text

    path = services.settings.data_dir / "flask-secret"
    if not path.exists():
        write_private_text(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()
