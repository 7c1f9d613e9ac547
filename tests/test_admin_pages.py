"""Admin pages: users and roles, API tokens (shown once), the group → role mapping, the audit
log; every change audited, forms CSRF-protected, errors next to their field, French and English.
(The route-by-role walk of tests/test_access.py covers these routes for every role too.)
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sidecar.context import Services, resolve_association
from sidecar.storage.models import ApiToken, Association, AuditLog, User
from sidecar.web import create_app
from tests.access_helpers import make_user, sign_in, signed_in_client

PASSWORD = "a long enough password"


def _app(services: Services, csrf: bool = False) -> Flask:
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": csrf}, services=services)


def _actions(services: Services) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_admin_creates_a_local_user_changes_role_and_deactivates(services: Services) -> None:
    app = _app(services)
    admin = signed_in_client(app, "admin")
    created = admin.post(
        "/admin/users", data={"login": "zoe", "password": PASSWORD, "role": "officer"}
    )
    assert created.status_code == 302
    with services.db.session() as session:
        zoe = session.scalar(select(User).where(User.login == "zoe"))
        assert zoe is not None and zoe.role == "officer" and zoe.password_hash
        assert PASSWORD not in zoe.password_hash
        zoe_id = zoe.id
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "zoe" in page and 'name="csrf_token"' in page and '<label for="f-login">' in page
    assert admin.post(f"/admin/users/{zoe_id}/role", data={"role": "member"}).status_code == 302
    assert admin.post(f"/admin/users/{zoe_id}/deactivate").status_code == 302
    with services.db.session() as session:
        zoe = session.get(User, zoe_id)
        assert zoe is not None and zoe.role == "member" and not zoe.active
    assert _actions(services) == ["admin.user.create", "admin.user.role", "admin.user.deactivate"]
    with services.db.session() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "admin.user.role"))
        assert entry is not None and entry.details["before"] == "officer"
        assert PASSWORD not in str(list(session.scalars(select(AuditLog.details))))
    login = app.test_client().post("/login", data={"login": "zoe", "password": PASSWORD})
    assert login.status_code == 401, "a deactivated user cannot sign in"


def test_errors_are_shown_next_to_their_field(services: Services) -> None:
    admin = signed_in_client(_app(services), "admin")
    short = admin.post(
        "/admin/users?lang=en", data={"login": "yann", "password": "short", "role": "member"}
    )
    assert short.status_code == 400
    html = short.get_data(as_text=True)
    assert re.search(r'id="f-password"[^>]*aria-invalid="true"', html)
    assert 'id="f-password-error">The password must have at least 12' in html
    assert 'value="yann"' in html, "what was typed is kept"
    bad_role = admin.post("/admin/users", data={"login": "y", "password": PASSWORD, "role": "god"})
    assert 'id="f-role-error"' in bad_role.get_data(as_text=True)
    mapping = admin.post("/admin/access?lang=en", data={"groups": "CA = king"})
    assert mapping.status_code == 400 and 'id="f-groups-error">Line 1' in mapping.get_data(
        as_text=True
    )
    url = admin.post("/admin/access", data={"nextcloud_url": "http://169.254.169.254/"})
    assert 'id="f-nextcloud_url-error"' in url.get_data(as_text=True)
    assert _actions(services) == [], "refused changes are not audited"


def test_the_last_admin_cannot_be_demoted_nor_deactivate_themselves(services: Services) -> None:
    app = _app(services)
    admin_id, token = make_user(services, "admin")
    admin = sign_in(app.test_client(), admin_id, token)
    refused = admin.post(f"/admin/users/{admin_id}/role?lang=en", data={"role": "member"})
    assert refused.status_code == 400 and "last admin" in refused.get_data(as_text=True)
    assert admin.post(f"/admin/users/{admin_id}/deactivate").status_code == 400
    with services.db.session() as session:
        me = session.get(User, admin_id)
        assert me is not None and me.role == "admin" and me.active


def test_an_api_token_is_shown_once_listed_and_revocable(services: Services) -> None:
    app = _app(services)
    admin = signed_in_client(app, "admin")
    with services.db.session() as session:
        login = session.scalars(select(User.login)).one()
    made = admin.post(
        "/admin/tokens", data={"name": "ci", "user": login, "scopes": ["read", "write"]}
    )
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    token = re.search(r'value="(qrm_[^"]+)"', made.get_data(as_text=True))
    assert token is not None
    listing = admin.get("/admin/tokens").get_data(as_text=True)
    assert "ci" in listing and token.group(1) not in listing, "shown once only"
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert api.get("/api/v1/jobs", headers=bearer).status_code == 200
    with services.db.session() as session:
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "ci"))
    assert admin.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/v1/jobs", headers=bearer).status_code == 401
    assert _actions(services) == ["admin.token.create", "admin.token.revoke"]
    no_scope = admin.post("/admin/tokens", data={"name": "x", "user": login})
    assert no_scope.status_code == 400 and 'id="f-scopes-error"' in no_scope.get_data(as_text=True)


def test_the_group_mapping_is_saved_and_used_by_sign_in(services: Services) -> None:
    admin = signed_in_client(_app(services), "admin")
    saved = admin.post(
        "/admin/access",
        data={"groups": "CA = officer\nadmin = admin\n", "default_role": "", "nextcloud_url": ""},
    )
    assert saved.status_code == 302
    with services.db.session() as session:
        association = resolve_association(session, None)
        assert association.settings["access"] == {"groups": {"CA": "officer", "admin": "admin"}}
    page = admin.get("/admin/access").get_data(as_text=True)
    assert 'name="group" value="CA"' in page and 'name="group" value="admin"' in page
    assert '<option value="officer" selected>responsable (bureau)</option>' in page
    again = admin.post(  # the page's rows: group names and roles chosen from a list
        "/admin/access",
        data={"group": ["Bureau", "CA", ""], "group_role": ["officer", "member", "member"]},
    )
    assert again.status_code == 302
    with services.db.session() as session:
        association = resolve_association(session, None)
        assert association.settings["access"]["groups"] == {"Bureau": "officer", "CA": "member"}
    assert _actions(services) == ["admin.access.save", "admin.access.save"]


def test_the_audit_log_is_newest_first_paginated_and_filtered(services: Services) -> None:
    admin = signed_in_client(_app(services), "admin")
    with services.db.session() as session:
        association = session.scalars(select(Association)).one()
        for n in range(60):
            session.add(
                AuditLog(association_id=association.id, actor="x", action="a.old", details={"n": n})
            )
        session.add(AuditLog(association_id=association.id, actor="x", action="b.new", details={}))
        other = Association(slug="other", name="Other", settings={})
        session.add(other)
        session.flush()
        session.add(AuditLog(association_id=other.id, actor="y", action="c.theirs", details={}))
    first = admin.get("/admin/audit?lang=en").get_data(as_text=True)
    assert first.index("b.new</code>") < first.index("a.old</code>") and "Page 1 of 2" in first
    assert "c.theirs" not in first, "never another association's log"
    value = 'n: <span translate="no">{}</span>'  # the number is data, the key is words
    assert value.format(59) in first and value.format(0) not in first
    second = admin.get("/admin/audit?page=2").get_data(as_text=True)
    assert value.format(0) in second and "b.new</code>" not in second
    only = admin.get("/admin/audit?action=b.new").get_data(as_text=True)
    assert "b.new</code>" in only and "a.old</code>" not in only and "Page 1 of 1" in only


def test_admin_pages_need_admin_and_csrf(services: Services, client: FlaskClient) -> None:
    app = _app(services, csrf=True)
    officer = signed_in_client(app, "officer")
    assert officer.get("/admin/users").status_code == 403
    admin = signed_in_client(app, "admin")
    form = {"login": "zoe", "password": PASSWORD, "role": "admin"}
    assert admin.post("/admin/users", data=form).status_code == 400  # no CSRF token
    with services.db.session() as session:
        assert session.scalar(select(User).where(User.login == "zoe")) is None


def test_admin_pages_in_french(services: Services) -> None:
    admin = signed_in_client(_app(services), "admin")
    page = admin.get("/admin/users?lang=fr").get_data(as_text=True)
    assert "Utilisateurs" in page and "Nouvel utilisateur local" in page
    assert "Journal d’audit" in admin.get("/admin/audit").get_data(as_text=True)


def test_the_audit_log_reads_as_words(services: Services) -> None:
    """Actions by name (not ``admin.access.save``), details as « clé : valeur » (never a
    Python dict or ``None``), in French and in English."""
    admin = signed_in_client(_app(services), "admin")
    admin.post(
        "/admin/access",
        data={"group": ["Bureau", ""], "group_role": ["officer", "member"], "default_role": ""},
    )
    with services.db.session() as session:  # as older versions wrote it: the text of a dict
        association = session.scalars(select(Association)).one()
        legacy = {"default_role": "None", "groups": "{'CA': 'member'}"}
        session.add(
            AuditLog(association_id=association.id, actor="x", action="admin.access.save",
                     details=legacy)
        )  # fmt: skip
    page = admin.get("/admin/audit?lang=fr").get_data(as_text=True)
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split("<table", 1)[1]))
    assert "admin.access.save" not in re.sub(r"<[^>]+>", " ", page), "only in the filter's values"
    assert "Réglages d’accès enregistrés" in words
    assert "None" not in words and "{" not in words and "'" not in words
    assert "Bureau → responsable (bureau)" in words and "CA → membre" in words, words
    assert "rôle par défaut : non défini" in words.lower(), words
    english = admin.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Access settings saved" in english and "Default role: not set" in english
