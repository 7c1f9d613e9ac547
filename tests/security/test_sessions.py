"""Sessions live on the server: sign-out, a password reset, a role change and a deactivation
end them, and the 12 hours SECURITY.md states really apply (issue 12, item 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sidecar.context import Services, resolve_association
from sidecar.services import accounts
from sidecar.services import sessions as user_sessions
from sidecar.storage.models import User, UserSession
from sidecar.web import create_app
from tests.access_helpers import make_user, sign_in, signed_in_client

PASSWORD = "correct horse battery staple"


def _app(services: Services) -> Flask:
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)


def _local_admin(services: Services, password: str = PASSWORD) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        accounts.create_local_admin(session, association, "root", password)


def _signed_in(app: Flask, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    answer = client.post("/login", data={"login": "root", "password": password})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app: Flask, cookie: str) -> int:
    """A fresh browser presenting a saved cookie: the status of an admin page."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/admin/users").status_code


def test_the_lifetime_is_12_hours_in_the_cookie_and_on_the_server(services: Services) -> None:
    _local_admin(services)
    app = _app(services)
    assert app.permanent_session_lifetime == timedelta(hours=12)
    client = _signed_in(app)
    with services.db.session() as session:
        row = session.scalars(select(UserSession)).one()
        assert row.expires_at - row.created_at == timedelta(hours=12)
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)  # 12 hours later
    assert client.get("/admin/users").status_code == 302, "expired on the server"


def test_a_cookie_saved_before_sign_out_no_longer_works(services: Services) -> None:
    _local_admin(services)
    app = _app(services)
    client = _signed_in(app)
    saved = _cookie(client)
    assert _replay(app, saved) == 200
    assert client.post("/logout").status_code == 302
    assert _replay(app, saved) == 302


def test_a_password_reset_ends_every_session(services: Services) -> None:
    _local_admin(services)
    app = _app(services)
    saved = _cookie(_signed_in(app))
    _local_admin(services, "another long password")  # `quorum user create-admin` resets it
    assert _replay(app, saved) == 302
    assert _replay(app, _cookie(_signed_in(app, "another long password"))) == 200


def test_a_role_change_and_a_deactivation_end_the_sessions(services: Services) -> None:
    app = _app(services)
    admin = signed_in_client(app, "admin")
    user_id, token = make_user(services, "officer")
    officer = sign_in(app.test_client(), user_id, token)
    saved = _cookie(officer)
    assert officer.get("/alerts/").status_code == 200
    assert admin.post(f"/admin/users/{user_id}/role", data={"role": "member"}).status_code == 302
    assert _replay(app, saved) == 302, "the officer's open session ended with the role"
    again = sign_in(app.test_client(), user_id, token)
    assert again.get("/alerts/").status_code == 403, "a new session has the new role"
    assert admin.post(f"/admin/users/{user_id}/deactivate").status_code == 302
    with services.db.session() as session:
        assert user_sessions.live_count(session, user_id) == 0
        assert session.get(User, user_id).active is False  # type: ignore[union-attr]
    assert again.get("/").status_code == 302


def test_an_old_style_cookie_signs_nobody_in(services: Services) -> None:
    """A cookie from before server-side sessions (uid + time) is refused, not trusted."""
    app = _app(services)
    user_id, _token = make_user(services, "admin")
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"], session["auth_at"] = user_id, int(datetime.now(UTC).timestamp())
    assert client.get("/admin/users").status_code == 302
