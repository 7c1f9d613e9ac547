"""Enforcement of :mod:`sidecar.web.access`: who is signed in, with which role, for which
association, on every request.

Pages authenticate with the session cookie, ``/api/`` with ``Authorization: Bearer <token>``
only (the API is CSRF-exempt, so a cookie must never be enough there). A view that declared no
role is refused (deny by default). Views read the association from :func:`current_association`,
never from the request, so a member of association A can never name association B.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from integrations.errors import IntegrationError
from sidecar.appapi import users as appapi_users
from sidecar.errors import NotFound, QuorumError
from sidecar.services import accounts, api_tokens
from sidecar.services import sessions as user_sessions
from sidecar.services.sessions import Account
from sidecar.storage.models import Association, Body, Member, Membership, User
from sidecar.web.access import role_of
from sidecar.web.context import SAFE_METHODS, read_association, services
from sidecar.web.errors import is_api

SESSION_LIFETIME = user_sessions.LIFETIME  # SECURITY.md promises it: see create_app
_SECRET_FIELDS = ("password", "secret", "token", "csrf")


@dataclass(frozen=True)
class Principal(Account):
    """The signed-in user of this request: the account, what it may do, how it came in."""

    scopes: tuple[str, ...]
    via: str  # "session", "token" or "appapi"


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over https (through ProxyFix
    when a proxy terminates TLS), or always when ``SESSION_COOKIE_SECURE`` is set."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask) -> None:
    """Install the session settings, the proxy fix and the access check on ``app``."""
    app.session_interface = _SessionInterface()
    hops = int(app.config.get("QUORUM_PROXY_HOPS") or os.environ.get("QUORUM_PROXY_HOPS") or 0)
    if hops > 0:  # only behind a reverse proxy that sets X-Forwarded-*: else clients could lie
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )
    app.before_request(enforce)
    app.after_request(_audit_change)
    app.after_request(_write_only_answer)
    app.context_processor(lambda: {"principal": g.get("principal")})


def enforce() -> ResponseReturnValue | None:
    """The before-request check: None lets the request through, anything else answers it."""
    if request.endpoint is None or request.endpoint == "static":
        return None  # no route (404/405 follow) or a static file
    required = role_of(current_app.view_functions[request.endpoint])
    if required is None:
        return _refuse(403, "This address declares no access rule, so nobody may use it.")
    if required == "public":
        return None
    if is_api():
        principal = _token_principal()
    elif _in_appapi_mode():
        principal = _appapi_principal()
    else:
        principal = _session_principal()
    if principal is None:
        if is_api():
            return _refuse(401, "Send an API token: Authorization: Bearer <token>.")
        return redirect(url_for("signin.login", next=request.full_path.rstrip("?")))
    g.principal = principal
    if accounts.rank(principal.role) < accounts.rank(required):
        return _refuse(403, f"This needs the {required} role in your association.")
    needed = "read" if request.method in SAFE_METHODS else "write"
    if needed not in principal.scopes:
        return _refuse(403, f"This API token lacks the {needed!r} scope.")
    return None


def _refuse(status: int, message: str) -> ResponseReturnValue:
    if is_api():
        response = jsonify(error=message)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="quorum"'
        return response
    abort(status, description=message)


def _session_principal() -> Principal | None:
    """The user of the session record the cookie names; a revoked or expired record (or an
    old-style cookie without one) signs nobody in."""
    token = session.get("sid")
    if not isinstance(token, str) or not token:
        if session.get("uid") is not None:
            session.clear()  # a cookie from before server-side sessions: sign in again
        return None
    with services().db.session() as db:
        found = user_sessions.user_for(db, token)
    if found is None:
        session.clear()
        return None
    account, association = found
    _keep_association(association)
    return _account_principal(account, ("read", "write"), "session")


def _in_appapi_mode() -> bool:
    return services().settings.mode == "appapi"


def _appapi_principal() -> Principal | None:
    """The Quorum account of the Nextcloud user AppAPI signed this request for.

    :mod:`sidecar.web.appapi` verified the signature before this runs (it refuses unsigned
    requests), so ``g.nextcloud_user`` is trustworthy; "" is Nextcloud itself: nobody.
    """
    nc_user = g.get("nextcloud_user")
    if not isinstance(nc_user, str) or not nc_user:
        return None
    lookup = appapi_users.nextcloud_lookup(services().settings)
    try:
        with services().db.session() as db:
            user = appapi_users.account_for(
                db,
                nc_user,
                lookup,
                now=datetime.now(UTC),
                association=services().settings.appapi_association,
            )
            return _principal(user, ("read", "write"), "appapi")
    except (QuorumError, IntegrationError) as err:
        abort(403, description=err.message)


def _token_principal() -> Principal | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    with services().db.session() as db:
        found = api_tokens.user_for_token(db, token.strip())
    if found is None:
        return None
    account, scopes, association = found
    _keep_association(association)
    return _account_principal(account, scopes, "token")


def _principal(user: User, scopes: tuple[str, ...], via: str) -> Principal:
    return Principal(
        user.id, user.login, user.role, user.association_id, user.nc_user, user.email, scopes, via
    )


def _account_principal(account: Account, scopes: tuple[str, ...], via: str) -> Principal:
    return Principal(**asdict(account), scopes=scopes, via=via)


def _keep_association(association: Association) -> None:
    """The signed-in user's association as the sign-in check read it, for
    :func:`current_association` (read requests only)."""
    g.quorum_association = association


def sign_in(db: Session, user: User) -> None:
    """Start a fresh session for ``user``: a new server-side record and a new cookie (nothing
    from before survives), both ending after ``PERMANENT_SESSION_LIFETIME``."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["sid"] = user_sessions.start(db, user, lifetime=current_app.permanent_session_lifetime)
    if lang:
        session["lang"] = lang


def sign_out(db: Session) -> None:
    """End this browser's session record and clear its cookie."""
    token = session.get("sid")
    if isinstance(token, str) and token:
        user_sessions.end(db, token)
    session.clear()


def current_principal() -> Principal:
    """The signed-in user; only views that declared a role may ask."""
    found: Principal | None = g.get("principal")
    if found is None:
        abort(401)
    return found


def current_association(db: Session) -> Association:
    """The association of the signed-in user: the only one a view may read or change.

    A read request uses the row the sign-in check read with the session (same request, one
    query fewer); a write reads it again in the view's own transaction.
    """
    kept = read_association()
    if kept is not None:
        return db.merge(kept, load=False)
    found = db.get(Association, current_principal().association_id)
    if found is None:
        raise NotFound("Your association no longer exists.")
    return found


def visible_bodies(db: Session) -> set[str] | None:
    """Codes of the bodies whose meetings the user may see; None means all (officers, admins)."""
    who = current_principal()
    if accounts.rank(who.role) >= accounts.rank("officer"):
        return None
    if not who.nc_user:
        return set()
    # The seat an officer linked to this Nextcloud user id, never an e-mail match: anyone can
    # set any address on their Nextcloud account (issue 12).
    rows = db.scalars(
        select(Body.code)
        .join(Membership, Membership.body_id == Body.id)
        .join(Member, Member.id == Membership.member_id)
        .where(
            Member.association_id == who.association_id,
            Member.active.is_(True),
            Member.nc_user == who.nc_user,
        )
    )
    return set(rows)


def audit(action: str, **details: Any) -> None:
    """Record an action of the signed-in user (or an anonymous attempt) in the audit log."""
    who: Principal | None = g.get("principal")
    g.audited = True  # this request's own entry: no generic one after it
    with services().db.session() as db:
        accounts.record_audit(
            db,
            action,
            actor=who.login if who else str(details.get("login", "anonymous")),
            user_id=who.user_id if who else details.pop("user_id", None),
            association_id=who.association_id if who else details.pop("association_id", None),
            details={"ip": request.remote_addr, **details},
        )


def _audit_change(response: Response) -> Response:
    """Every successful state-changing request of a signed-in user goes to the audit log."""
    who: Principal | None = g.get("principal")
    if who is None or request.method in SAFE_METHODS or response.status_code >= 400:
        return response
    if g.get("audited"):
        return response
    audit(
        f"{request.method} {request.endpoint}",
        path=request.path,
        args=dict(request.view_args or {}),
        form=_harmless(request.form),
        json=_harmless(request.get_json(silent=True)),
        via=who.via,
    )
    return response


def _write_only_answer(response: Response) -> Response:
    """A token without the ``read`` scope learns whether its write worked, never data: many
    writes answer with the object they changed (a dossier, a fresh share audit…)."""
    who: Principal | None = g.get("principal")
    if who is None or who.via != "token" or "read" in who.scopes:
        return response
    if response.status_code >= 400 or request.method in SAFE_METHODS:
        return response
    response.set_data(json.dumps({"done": True}))
    response.mimetype = "application/json"
    return response


def _harmless(data: Any) -> dict[str, str]:
    """Submitted fields, minus anything secret, cut short."""
    if not isinstance(data, Mapping):
        return {}
    return {
        str(k): "***" if any(s in str(k).lower() for s in _SECRET_FIELDS) else str(v)[:200]
        for k, v in data.items()
    }
