"""Sign-in pages: a local account's form, "Sign in with Nextcloud" (Login Flow v2), sign-out.

The login flow's poll token travels in the session cookie encrypted with the vault (the cookie
is only signed otherwise), and the app password never leaves this request unless the person
asked Quorum to act for them.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from integrations.errors import IntegrationError
from sidecar.context import resolve_association
from sidecar.errors import QuorumError
from sidecar.security import throttle
from sidecar.services import accounts, nc_signin
from sidecar.storage.models import Association
from sidecar.web.access import public, requires
from sidecar.web.auth import audit, sign_in, sign_out
from sidecar.web.context import services
from sidecar.web.error_texts import error_text

bp = Blueprint("signin", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//evil.example`` or ``https://…`` (open redirect)."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("overview.index")
    if target.startswith("//") or "\\" in target:
        return url_for("overview.index")
    return target


def _several_associations() -> bool:
    """Whether the person must name their association. The page never lists them: an
    anonymous visitor must not learn which associations a shared install serves."""
    with services().db.session() as db:
        return len(list(db.scalars(select(Association.id).limit(2)))) > 1


def _page(status: int = 200, **context: object) -> ResponseReturnValue:
    return render_template(
        "pages/login.html",
        several=_several_associations(),
        association=request.values.get("association", "")[:64],
        next=request.values.get("next", ""),
        **context,
    ), status


@bp.get("/login")
@public
def login() -> ResponseReturnValue:
    return _page()


@bp.post("/login")
@public
def login_local() -> ResponseReturnValue:
    """A local account: login and password, rate-limited per address and per login."""
    login, password = request.form.get("login", "").strip(), request.form.get("password", "")
    ip = request.remote_addr or "?"
    with services().db.session() as db:
        if not throttle.attempt(db, ip, login):  # recorded first: parallel tries all count
            blocked = True
            user = None
        else:
            blocked = False
            try:
                association = resolve_association(db, request.form.get("association") or None)
            except QuorumError:
                association = None
            user = (
                accounts.check_local_password(db, association.id, login, password)
                if association
                else None
            )
            if user is not None:
                throttle.succeeded(db, ip, login)
                sign_in(db, user)
                user_id, association_id = user.id, user.association_id
    if blocked:
        audit("sign_in_throttled", login=login[:200])
        return _page(429, error=_("Too many failed attempts from here: wait a few minutes."))
    if user is None:
        audit("sign_in_failed", login=login[:200])
        return _page(401, error=_("Wrong login or password."))
    audit("sign_in", login=login, user_id=user_id, association_id=association_id, method="local")
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/login/nextcloud")
@public
def nextcloud_start() -> ResponseReturnValue:
    """Start Login Flow v2 and show the Nextcloud page to open."""
    try:
        with services().db.session() as db:
            association = resolve_association(db, request.form.get("association") or None)
            base_url = nc_signin.nextcloud_url(db, association)
            association_id = association.id
        if not base_url:
            raise QuorumError(_("No Nextcloud is connected to this association yet."))
        flow = nc_signin.start_flow(base_url)
    except (QuorumError, IntegrationError) as err:
        return _page(400, error=_said(err))
    state = {
        "endpoint": flow.endpoint,
        "token": flow.token,
        "login_url": flow.login_url,
        "base_url": base_url,
        "association_id": association_id,
        "act_for_me": request.form.get("act_for_me") == "on",
        "next": request.form.get("next", ""),
    }
    session["nc_flow"] = services().vault.encrypt(json.dumps(state)).decode("ascii")
    return render_template("pages/login_flow.html", login_url=flow.login_url)


@bp.post("/login/nextcloud/poll")
@public
def nextcloud_poll() -> ResponseReturnValue:
    """After approving in Nextcloud: fetch the app password, check the identity, sign in."""
    raw = session.get("nc_flow")
    if not isinstance(raw, str):
        flash(_("Start again: the Nextcloud sign-in expired."), "error")
        return redirect(url_for("signin.login"))
    state = json.loads(services().vault.decrypt(raw.encode("ascii")))
    flow = nc_signin.Flow(state["endpoint"], state["token"], state["login_url"])
    try:
        found = nc_signin.poll_flow(state["base_url"], flow)
        if found is None:
            return render_template(
                "pages/login_flow.html", login_url=flow.login_url, pending=True
            ), 202
        with services().db.session() as db:
            association = db.get(Association, state["association_id"])
            if association is None:
                raise QuorumError(_("This association no longer exists."))
            user = nc_signin.finish_sign_in(
                db,
                services().vault,
                association,
                state["base_url"],
                found[0],
                found[1],
                act_for_me=bool(state["act_for_me"]),
            )
            sign_in(db, user)
            ids = {"user_id": user.id, "association_id": association.id}
    except (QuorumError, IntegrationError) as err:
        session.pop("nc_flow", None)
        return _page(403, error=_said(err))
    audit("sign_in", login=found[0], method="nextcloud", kept=state["act_for_me"], **ids)
    return redirect(_safe_next(state.get("next")))


def _said(err: QuorumError | IntegrationError) -> str:
    """A refusal in the page's language (a server's own error stays as it was said)."""
    return error_text(err) if isinstance(err, QuorumError) else err.message


@bp.post("/logout")
@requires("member")
def logout() -> ResponseReturnValue:
    audit("sign_out")
    with services().db.session() as db:
        sign_out(db)
    flash(_("You are signed out."), "ok")
    return redirect(url_for("signin.login"))
