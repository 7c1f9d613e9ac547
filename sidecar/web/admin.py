"""Admin pages: users and roles, API tokens, the Nextcloud group → role mapping, the audit log.

Every view needs the admin role of the signed-in user's association and works on that
association only. Every change is written to the audit log under an ``admin.*`` action (the
request-level entry of :func:`sidecar.web.auth._audit_change` is then skipped). A new API token
is shown once, in the answer to the form that created it, and never again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sidecar.errors import NotFound, QuorumError
from sidecar.formatting import whole_number
from sidecar.services import api_tokens, user_admin
from sidecar.services.accounts import ROLES, find_user
from sidecar.services.user_admin import FieldError
from sidecar.web import audit_texts
from sidecar.web.access import requires
from sidecar.web.auth import audit, current_association, current_principal
from sidecar.web.context import services
from sidecar.web.error_texts import error_text

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _field_errors(err: FieldError) -> dict[str, str]:
    return {err.field: error_text(err)}


# --- users --------------------------------------------------------------------------------


@bp.get("/users")
@requires("admin")
def users() -> ResponseReturnValue:
    return _users_page()


def _users_page(
    status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> ResponseReturnValue:
    with services().db.session() as db:
        rows = user_admin.users(db, current_association(db).id)
        return render_template(
            "pages/admin_users.html",
            users=rows,
            roles=ROLES,
            errors=errors or {},
            values=values or {},
            me=current_principal().user_id,
        ), status


@bp.post("/users")
@requires("admin")
def create_user() -> ResponseReturnValue:
    """Create a local account (login and password) with a role."""
    form = request.form
    login, role = form.get("login", ""), form.get("role", "member")
    try:
        with services().db.session() as db:
            association = current_association(db)
            user = user_admin.create_local_user(
                db, association, login, form.get("password", ""), role
            )
            user_id = user.id
    except FieldError as err:
        return _users_page(400, _field_errors(err), {"login": login, "role": role})
    audit("admin.user.create", target=login.strip(), target_id=user_id, role=role)
    flash(_("User %(login)s created.", login=login.strip()), "ok")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/role")
@requires("admin")
def change_role(user_id: int) -> ResponseReturnValue:
    role = request.form.get("role", "")
    try:
        with services().db.session() as db:
            user = user_admin.find(db, current_association(db).id, user_id)
            before = user.role
            user_admin.change_role(db, user, role)
            login = user.login
    except NotFound:
        abort(404)
    except FieldError as err:
        return _users_page(400, {f"role-{user_id}": error_text(err)})
    audit("admin.user.role", target=login, target_id=user_id, before=before, role=role)
    flash(_("%(login)s is now %(role)s.", login=login, role=_role_label(role)), "ok")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
@requires("admin")
def deactivate(user_id: int) -> ResponseReturnValue:
    try:
        with services().db.session() as db:
            user = user_admin.find(db, current_association(db).id, user_id)
            user_admin.deactivate(db, user, by_user_id=current_principal().user_id)
            login = user.login
    except NotFound:
        abort(404)
    except QuorumError as err:
        return _users_page(400, {f"active-{user_id}": error_text(err)})
    audit("admin.user.deactivate", target=login, target_id=user_id)
    flash(_("%(login)s can no longer sign in.", login=login), "ok")
    return redirect(url_for("admin.users"))


def _role_label(role: str) -> str:
    labels = {"member": _("member"), "officer": _("officer"), "admin": _("admin")}
    return str(labels.get(role, role))


# --- API tokens ---------------------------------------------------------------------------


@bp.get("/tokens")
@requires("admin")
def tokens() -> ResponseReturnValue:
    return _tokens_page()


def _tokens_page(
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    new_token: str | None = None,
) -> ResponseReturnValue:
    with services().db.session() as db:
        association_id = current_association(db).id
        rows = api_tokens.list_tokens(db, association_id)
        logins = [u.login for u in user_admin.users(db, association_id) if u.active]
    page = render_template(
        "pages/admin_tokens.html",
        tokens=rows,
        logins=logins,
        scopes=api_tokens.SCOPES,
        errors=errors or {},
        values=values or {},
        new_token=new_token,
    )
    # The page that shows a new token must not be kept by the browser or a proxy.
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/tokens")
@requires("admin")
def create_token() -> ResponseReturnValue:
    """Issue a token; the answer shows it once, only its hash is stored."""
    form = request.form
    login, name = form.get("user", ""), form.get("name", "").strip()
    scopes = tuple(s for s in form.getlist("scopes") if s)
    values = {"user": login, "name": name, "scopes": scopes}
    try:
        if not name or len(name) > 100:
            raise FieldError("name", _("Give the token a name of 1 to 100 characters."))
        if not scopes or any(s not in api_tokens.SCOPES for s in scopes):
            raise FieldError("scopes", _("Tick at least one scope."))
        with services().db.session() as db:
            user = find_user(db, current_association(db).id, login)
            if user is None or not user.active:
                raise FieldError("user", _("Choose an active user of the association."))
            value = api_tokens.create_token(db, user, name, scopes)
    except FieldError as err:
        return _tokens_page(400, _field_errors(err), values)
    audit("admin.token.create", target=login, name=name, scopes=",".join(scopes))
    return _tokens_page(201, new_token=value)


@bp.post("/tokens/<int:token_id>/revoke")
@requires("admin")
def revoke_token(token_id: int) -> ResponseReturnValue:
    try:
        with services().db.session() as db:
            api_tokens.revoke_token(db, current_association(db).id, token_id)
    except NotFound:
        abort(404)
    audit("admin.token.revoke", token_id=token_id)
    flash(_("Token revoked."), "ok")
    return redirect(url_for("admin.tokens"))


# --- Nextcloud groups → roles --------------------------------------------------------------


@bp.get("/access")
@requires("admin")
def access() -> ResponseReturnValue:
    with services().db.session() as db:
        form = user_admin.access_form(current_association(db))
    return render_template(
        "pages/admin_access.html", form=form, roles=ROLES, rows=_group_rows(form.groups), errors={}
    )


def _group_rows(text: str, blank: int = 2) -> list[tuple[str, str]]:
    """The mapping's lines as (group, role) rows for the form, plus ``blank`` empty rows."""
    rows = []
    for line in text.splitlines():
        group, _sep, role = (part.strip() for part in line.rpartition("="))
        if group:
            rows.append((group, role))
    return rows + [("", "")] * blank


def _groups_text() -> str:
    """The mapping as "group = role" lines, from the rows of the page (or a "groups" text)."""
    if "groups" in request.form:
        return request.form.get("groups", "")
    names, roles = request.form.getlist("group"), request.form.getlist("group_role")
    return "\n".join(
        f"{name.strip()} = {role}" for name, role in zip(names, roles, strict=False) if name.strip()
    )


@bp.post("/access")
@requires("admin")
def save_access() -> ResponseReturnValue:
    """Store the Nextcloud address to sign in with, the group mapping and the default role."""
    form = user_admin.AccessForm(
        request.form.get("nextcloud_url", ""),
        request.form.get("default_role", ""),
        _groups_text(),
    )
    try:
        with services().db.session() as db:
            saved = user_admin.save_access(
                current_association(db),
                form,
                allow_private=services().settings.allow_private_addresses,
            )
    except FieldError as err:
        page = render_template(
            "pages/admin_access.html",
            form=form,
            roles=ROLES,
            rows=_group_rows(form.groups, blank=0),
            errors=_field_errors(err),
        )
        return page, 400
    audit("admin.access.save", **saved)  # plain data: the log shows it as words
    flash(_("Access settings saved."), "ok")
    return redirect(url_for("admin.access"))


# --- audit log ------------------------------------------------------------------------------


@bp.get("/audit")
@requires("admin")
def audit_log() -> ResponseReturnValue:
    """The association's audit log, newest first, filtered by action, paginated."""
    action = request.args.get("action", "")[:100]
    page = whole_number(request.args.get("page"), 1) or 1
    with services().db.session() as db:
        association = current_association(db)
        found = user_admin.audit_page(db, association.id, action=action, page=page)
        return render_template(
            "pages/admin_audit.html",
            log=found,
            action=action,
            describe=audit_texts.details_text,
            action_label=audit_texts.action_label,
            is_known=audit_texts.is_known,
            action_names=audit_texts.ACTIONS,
            tz=association.timezone,
        )
