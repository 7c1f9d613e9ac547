"""Signing tests in: a user of a given role in an association, a session and an API token."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sidecar.context import Services, resolve_association
from sidecar.services import api_tokens
from sidecar.services import sessions as user_sessions
from sidecar.storage.models import Association, User

_numbers = count(1)
LoginAs = Callable[..., FlaskClient]


def association_id(services: Services, slug: str | None) -> int:
    """The association ``slug`` (created if missing); without one, the install's only one."""
    with services.db.session() as session:
        if slug is None:
            return resolve_association(session, None, create=True).id
        found = session.scalar(select(Association).where(Association.slug == slug))
        if found is None:
            found = Association(slug=slug, name=f"Association {slug}", settings={})
            session.add(found)
            session.flush()
        return found.id


def make_user(
    services: Services,
    role: str,
    *,
    association: str | None = None,
    nc_user: str | None = None,
    email: str | None = None,
) -> tuple[int, str]:
    """A user with ``role`` and a read+write API token: (user id, token)."""
    assoc_id = association_id(services, association)
    with services.db.session() as session:
        user = User(
            association_id=assoc_id,
            login=nc_user or f"{role}{next(_numbers)}",
            display_name=role.title(),
            nc_user=nc_user,
            email=email,
            role=role,
        )
        session.add(user)
        session.flush()
        token = api_tokens.create_token(session, user, "tests", ("read", "write"))
        return user.id, token


def sign_in(client: FlaskClient, user_id: int, token: str) -> FlaskClient:
    """Give ``client`` the user's session (a server-side record and its cookie) and Bearer
    token (pages and API alike)."""
    services: Services = client.application.extensions["quorum"]
    with services.db.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        session_token = user_sessions.start(db, user)
    with client.session_transaction() as session:
        session.permanent = True
        session["sid"] = session_token
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def signed_in_client(app: Flask, role: str = "admin", **options: str | None) -> FlaskClient:
    """A new test client of ``app`` signed in with ``role``."""
    client = app.test_client()
    return sign_in(client, *make_user(app.extensions["quorum"], role, **options))
