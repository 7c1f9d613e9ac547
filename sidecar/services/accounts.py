"""Accounts: local users (for first setup), Nextcloud users, roles, and the audit log.

No Flask here: the web layer (:mod:`sidecar.web.auth`) and the CLI (:mod:`sidecar.cli.access`)
both call these functions inside their own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from sidecar.errors import QuorumError
from sidecar.services import sessions as user_sessions
from sidecar.storage.models import Association, AuditLog, Member, User

ROLES = ("member", "officer", "admin")
MIN_PASSWORD_LENGTH = 12
# werkzeug's scrypt (N=2^15, r=8, p=1: about 0.1 s of CPU per hash), written out so it is seen.
# The test suite lowers N for speed (tests/conftest.py); tests/security/test_passwords.py checks
# this value in a process of its own.
PASSWORD_HASH_METHOD = "scrypt:32768:8:1"  # noqa: S105 (a method name, not a password)
# A hash to compare against when the login does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method=PASSWORD_HASH_METHOD)


def hash_password(password: str) -> str:
    """The stored form of a local account's password (the method is kept in the hash)."""
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def rank(role: str) -> int:
    """Position of ``role`` in :data:`ROLES` (-1 when unknown): higher includes lower."""
    return ROLES.index(role) if role in ROLES else -1


def create_local_admin(
    session: Session, association: Association, login: str, password: str
) -> User:
    """Create (or reset the password of) a local admin account."""
    login = login.strip()
    if not login or len(login) > 200:
        raise QuorumError("The login must be between 1 and 200 characters.", code="user.login")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise QuorumError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            code="user.password_short",
            min=MIN_PASSWORD_LENGTH,
        )
    user = find_user(session, association.id, login)
    if user is None:
        user = User(association_id=association.id, login=login, display_name=login)
        session.add(user)
    user.role, user.active = "admin", True
    user.password_hash = hash_password(password)
    session.flush()
    user_sessions.revoke_user(session, user.id)  # a reset password ends every open session
    return user


def find_user(session: Session, association_id: int, login: str) -> User | None:
    return session.scalar(
        select(User).where(User.association_id == association_id, User.login == login)
    )


def find_nextcloud_user(session: Session, association_id: int, nc_user: str) -> User | None:
    """The account of a Nextcloud identity: matched on ``nc_user`` only, never on a local login,
    so a Nextcloud user called "admin" can never step into the local "admin" account."""
    return session.scalar(
        select(User).where(User.association_id == association_id, User.nc_user == nc_user)
    )


def _free_login(session: Session, association_id: int, nc_user: str) -> str:
    """``nc_user``, or ``nc:<nc_user>`` when a local account already holds that login."""
    return nc_user if find_user(session, association_id, nc_user) is None else f"nc:{nc_user}"


def check_local_password(
    session: Session, association_id: int, login: str, password: str
) -> User | None:
    """The active local user with this login and password, or None (constant-time check)."""
    user = find_user(session, association_id, login)
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not user.password_hash or not matches:
        return None
    user.last_login_at = datetime.now(UTC)
    return user


def role_from_groups(
    groups: Iterable[str], mapping: Mapping[str, str], *, is_member: bool, default: str | None
) -> str | None:
    """The highest role the user's Nextcloud groups give, per the association's mapping.

    Without a mapped group, a person on the association's roster is a member; anyone else gets
    ``default`` (None: refused), so an account on a shared Nextcloud does not get in by itself.
    """
    roles = [mapping[g] for g in groups if mapping.get(g) in ROLES]
    if roles:
        return max(roles, key=rank)
    if is_member:
        return "member"
    return default if default in ROLES else None


def access_settings(association: Association) -> dict[str, Any]:
    """The association's ``[access]`` settings: ``nextcloud_url``, ``groups``, ``default_role``."""
    found = (association.settings or {}).get("access")
    return dict(found) if isinstance(found, dict) else {}


def sign_in_nextcloud_user(
    session: Session,
    association: Association,
    nc_user: str,
    display_name: str,
    email: str | None,
    groups: Iterable[str],
) -> User:
    """Create or refresh the user for a Nextcloud identity; raise QuorumError when refused."""
    settings = access_settings(association)
    mapping = settings.get("groups") if isinstance(settings.get("groups"), dict) else {}
    on_roster = session.scalar(
        select(Member.id).where(Member.association_id == association.id, Member.nc_user == nc_user)
    )
    role = role_from_groups(
        groups, mapping or {}, is_member=on_roster is not None, default=settings.get("default_role")
    )
    if role is None:
        raise QuorumError(
            f"The Nextcloud account {nc_user} is not part of {association.name}: ask an admin to "
            "add you to the roster or to a group Quorum knows.",
            code="signin.not_member",
            nc_user=nc_user,
            association=association.name,
        )
    user = find_nextcloud_user(session, association.id, nc_user)
    if user is None:
        login = _free_login(session, association.id, nc_user)
        user = User(association_id=association.id, login=login, nc_user=nc_user)
        session.add(user)
    elif not user.active:
        raise QuorumError(
            "This account was deactivated by an admin of the association.", code="user.deactivated"
        )
    elif user.role != role:
        user_sessions.revoke_user(session, user.id)  # other browsers keep no stale rights
    user.display_name, user.email, user.role = display_name, email, role
    user.last_login_at = datetime.now(UTC)
    session.flush()
    return user


def record_audit(
    session: Session,
    action: str,
    *,
    actor: str,
    user_id: int | None,
    association_id: int | None,
    details: Mapping[str, Any],
) -> None:
    """Append one audit entry (the caller's transaction commits it)."""
    session.add(
        AuditLog(
            association_id=association_id,
            user_id=user_id,
            actor=actor,
            action=action,
            details=dict(details),
        )
    )
