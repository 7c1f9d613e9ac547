"""Signed-in sessions kept on the server, so that signing out, a password reset, a role change
or a deactivation ends them everywhere at once.

The browser's cookie holds a random token; the database holds its SHA-256 and an absolute
expiry (12 hours after sign-in, as SECURITY.md states), so a cookie copied before sign-out, or
one older than the lifetime, opens nothing even though its signature is still valid.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sidecar.storage.models import User, UserSession

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


def user_for(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The active user of a live session, or None (unknown, ended, expired or deactivated)."""
    now = now or datetime.now(UTC)
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_seen_at is None or now - row.last_seen_at > SEEN_EVERY:
        row.last_seen_at = now
    return user


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
