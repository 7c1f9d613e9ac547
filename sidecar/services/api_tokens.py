"""Personal API tokens: shown once, stored as SHA-256, scoped (read/write), revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from sidecar.errors import NotFound, QuorumError
from sidecar.services.sessions import ACCOUNT_COLUMNS, SEEN_EVERY, Account, account_of
from sidecar.storage.models import ApiToken, Association, User

SCOPES = ("read", "write")
PREFIX = "qrm_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """What ``quorum token list`` shows: never the token itself."""

    id: int
    user: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def create_token(session: Session, user: User, name: str, scopes: tuple[str, ...]) -> str:
    """Issue a token for ``user``; the clear value is returned once and never stored."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise QuorumError(
            f"Scopes must be among {', '.join(SCOPES)} (got {', '.join(scopes)}).",
            code="token.scopes",
            allowed=", ".join(SCOPES),
            scopes=", ".join(scopes),
        )
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=digest(token), scopes=list(scopes)))
    session.flush()
    return token


# Built once: every API request runs it, and building a statement costs more than running it.
_LIVE_TOKEN = (
    select(ApiToken.id, ApiToken.token_hash, ApiToken.scopes, ApiToken.last_used_at)
    .add_columns(*ACCOUNT_COLUMNS, Association)
    .join(User, User.id == ApiToken.user_id)
    .join(Association, Association.id == User.association_id)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)


def user_for_token(
    session: Session, token: str
) -> tuple[Account, tuple[str, ...], Association] | None:
    """The active user, scopes and association of a valid, unrevoked token; None otherwise.

    One query; when the token was used, is written at most every few minutes
    (:data:`~sidecar.services.sessions.SEEN_EVERY`), so that reading is not a write."""
    if not token.startswith(PREFIX):
        return None
    wanted = digest(token)
    found = session.execute(_LIVE_TOKEN, {"digest": wanted}).first()
    if found is None or not hmac.compare_digest(found[1], wanted):
        return None
    token_id, _hash, scopes, last_used = found[:4]
    now = datetime.now(UTC)
    if last_used is None or now - last_used > SEEN_EVERY:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return account_of(found[4:-1]), tuple(str(s) for s in scopes), found[-1]


def list_tokens(session: Session, association_id: int) -> list[TokenInfo]:
    rows = session.execute(
        select(ApiToken, User.login)
        .join(User, User.id == ApiToken.user_id)
        .where(User.association_id == association_id)
        .order_by(ApiToken.id)
    )
    return [
        TokenInfo(
            t.id,
            login,
            t.name,
            tuple(t.scopes),
            t.created_at,
            t.last_used_at,
            t.revoked_at is not None,
        )
        for t, login in rows
    ]


def revoke_token(session: Session, association_id: int, token_id: int) -> ApiToken:
    """Revoke token ``token_id`` of this association (idempotent)."""
    found = session.scalar(
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == token_id, User.association_id == association_id)
    )
    if found is None:
        raise NotFound(
            f"No API token {token_id} in this association: `quorum token list`.",
            code="token.unknown",
            token_id=token_id,
        )
    found.revoked_at = found.revoked_at or datetime.now(UTC)
    return found
