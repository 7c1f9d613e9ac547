"""Signed-in sessions kept on the server, so that signing out, a password reset, a role change
or a deactivation ends them everywhere at once.

The browser's cookie holds a random token; the database holds its SHA-256 and an absolute
expiry (12 hours after sign-in, as SECURITY.md states), so a cookie copied before sign-out, or
one older than the lifetime, opens nothing even though its signature is still valid.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from sidecar.storage.models import Association, User, UserSession

LIFETIME = timedelta(hours=12)
SEEN_EVERY = timedelta(minutes=5)  # write last_seen_at at most this often


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    session: Session, user: User, *, now: datetime | None = None, lifetime: timedelta = LIFETIME
) -> str:
    """A new session of ``user``: its token, for the cookie (only its hash is stored)."""
    now = now or datetime.now(UTC)
    session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class Account:
    """Who a live session (or API token) belongs to: what every request needs of the user."""

    user_id: int
    login: str
    role: str
    association_id: int
    nc_user: str | None
    email: str | None


ACCOUNT_COLUMNS = (User.id, User.login, User.role, User.association_id, User.nc_user, User.email)


def account_of(values: Sequence[Any]) -> Account:
    """An :class:`Account` from the values of :data:`ACCOUNT_COLUMNS`, in that order."""
    return Account(*values)


# Built once: every request runs it, and building a statement costs more than running it.
_LIVE_SESSION = (
    select(UserSession.id, UserSession.expires_at, UserSession.last_seen_at)
    .add_columns(*ACCOUNT_COLUMNS, Association)
    .join(User, User.id == UserSession.user_id)
    .join(Association, Association.id == User.association_id)
    .where(UserSession.token_hash == bindparam("digest"), User.active.is_(True))
)


def user_for(
    session: Session, token: str, *, now: datetime | None = None
) -> tuple[Account, Association] | None:
    """The active user of a live session and their association, or None (unknown, ended,
    expired or deactivated). One query, read on every request: a revoked session is refused at
    the next one."""
    now = now or datetime.now(UTC)
    found = session.execute(_LIVE_SESSION, {"digest": _digest(token)}).first()
    if found is None or found[1] <= now:
        return None
    session_id, _expires, last_seen = found[:3]
    if last_seen is None or now - last_seen > SEEN_EVERY:
        session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )
    return account_of(tuple(found[3:-1])), found[-1]


def end(session: Session, token: str) -> None:
    """End one session (sign-out)."""
    session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def revoke_user(session: Session, user_id: int) -> int:
    """End every session of a user (password, role or status changed); how many ended."""
    rows = list(session.scalars(select(UserSession).where(UserSession.user_id == user_id)))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def live_count(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    """How many unexpired sessions ``user_id`` has (for tests and the admin page)."""
    now = now or datetime.now(UTC)
    rows = session.scalars(
        select(UserSession.id).where(UserSession.user_id == user_id, UserSession.expires_at > now)
    )
    return len(list(rows))
