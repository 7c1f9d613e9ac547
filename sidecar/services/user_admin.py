"""What an admin changes about access: local users, roles, the Nextcloud group → role mapping,
and reading the audit log. No Flask: :mod:`sidecar.web.admin` calls these in its transaction.

Errors name the form field they belong to (:class:`FieldError`), so a page can show each one
next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from integrations.urls import check_url
from sidecar.errors import NotFound, QuorumError
from sidecar.services import feeds
from sidecar.services import sessions as user_sessions
from sidecar.services.accounts import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    access_settings,
    find_user,
    hash_password,
)
from sidecar.storage.models import Association, AuditLog, User

AUDIT_PAGE_SIZE = 50


class FieldError(QuorumError):
    """A form value is wrong; ``field`` names the form field."""

    def __init__(self, field: str, message: str, *, code: str = "", **params: object) -> None:
        super().__init__(message, code=code, **params)
        self.field = field


def users(session: Session, association_id: int) -> list[User]:
    """Every account of the association, by login."""
    return list(
        session.scalars(
            select(User).where(User.association_id == association_id).order_by(User.login)
        )
    )


def create_local_user(
    session: Session, association: Association, login: str, password: str, role: str
) -> User:
    """A new local account (password sign-in) with ``role``; never overwrites an existing one."""
    login = login.strip()
    if not login or len(login) > 200:
        raise FieldError(
            "login", "The login must be between 1 and 200 characters.", code="user.login"
        )
    if find_user(session, association.id, login) is not None:
        raise FieldError(
            "login",
            f"There is already a user {login!r}: pick another login.",
            code="user.login_taken",
            login=login,
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError(
            "password",
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            code="user.password_short",
            min=MIN_PASSWORD_LENGTH,
        )
    _check_role(role)
    user = User(association_id=association.id, login=login, display_name=login, role=role)
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise FieldError("role", f"Choose a role among {', '.join(ROLES)}.", code="user.role")


def find(session: Session, association_id: int, user_id: int) -> User:
    """User ``user_id`` of this association (never another's)."""
    user = session.get(User, user_id)
    if user is None or user.association_id != association_id:
        raise NotFound(
            f"No user {user_id} in this association.", code="user.id_unknown", user_id=user_id
        )
    return user


def change_role(session: Session, user: User, role: str) -> None:
    """Give ``user`` another role; the last active admin keeps theirs."""
    _check_role(role)
    if user.role == "admin" and role != "admin":
        _keep_one_admin(session, user)
    if user.role != role:
        user_sessions.revoke_user(session, user.id)  # open pages must not keep the old rights
    user.role = role


def deactivate(session: Session, user: User, *, by_user_id: int) -> None:
    """Stop ``user`` from signing in (sessions and tokens stop working at once)."""
    if user.id == by_user_id:
        raise QuorumError("You cannot deactivate your own account.", code="user.deactivate_self")
    if user.role == "admin":
        _keep_one_admin(session, user)
    user.active = False
    user.app_password_enc = None  # an "act for me" app password is of no use any more
    user_sessions.revoke_user(session, user.id)
    feeds.revoke_for_user(session, user)


def _keep_one_admin(session: Session, user: User) -> None:
    admins = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.association_id == user.association_id, User.role == "admin", User.active)
    )
    if (admins or 0) <= 1 and user.active:
        raise FieldError(
            "role",
            "This is the last admin of the association: name another first.",
            code="user.last_admin",
        )


@dataclass(frozen=True)
class AccessForm:
    """The ``[access]`` settings as the admin page edits them."""

    nextcloud_url: str
    default_role: str
    groups: str  # one "group = role" per line


def access_form(association: Association) -> AccessForm:
    """The current ``[access]`` settings, ready for the form."""
    found = access_settings(association)
    mapping = found.get("groups") if isinstance(found.get("groups"), dict) else {}
    lines = "\n".join(f"{group} = {role}" for group, role in sorted((mapping or {}).items()))
    return AccessForm(
        str(found.get("nextcloud_url") or ""), str(found.get("default_role") or ""), lines
    )


def parse_groups(text: str) -> dict[str, str]:
    """``group = role`` lines into a mapping; a wrong line is a FieldError on ``groups``."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        group, sep, role = (part.strip() for part in line.rpartition("="))
        if not sep or not group or role not in ROLES:
            raise FieldError(
                "groups",
                f"Line {number}: write “group = role”, role among {', '.join(ROLES)}.",
                code="access.groups_line",
                line=number,
            )
        mapping[group] = role
    return mapping


def save_access(
    association: Association, form: AccessForm, *, allow_private: bool
) -> dict[str, Any]:
    """Validate and store the ``[access]`` settings; return them (for the audit log)."""
    url = form.nextcloud_url.strip()
    if url:
        try:
            url = check_url(url, allow_private=allow_private)
        except (ValueError, IntegrationError) as err:
            raise FieldError(
                "nextcloud_url",
                f"This address cannot be used: {err}",
                code="access.url",
                reason=str(err),
            ) from err
    if form.default_role and form.default_role not in ROLES:
        raise FieldError(
            "default_role",
            f"Choose a role among {', '.join(ROLES)}, or none.",
            code="access.default_role",
        )
    access = {
        "nextcloud_url": url,
        "default_role": form.default_role or None,
        "groups": parse_groups(form.groups),
    }
    settings = dict(association.settings or {})
    settings["access"] = {k: v for k, v in access.items() if v}
    association.settings = settings  # a new dict, so the JSON column sees the change
    return access


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first."""

    rows: tuple[AuditLog, ...]
    page: int
    pages: int
    actions: tuple[str, ...]  # every action recorded, for the filter


def audit_page(
    session: Session, association_id: int, *, action: str = "", page: int = 1
) -> AuditPage:
    """Entries of the association, newest first, ``AUDIT_PAGE_SIZE`` a page, by ``action``."""
    where = [AuditLog.association_id == association_id]
    if action:
        where.append(AuditLog.action == action)
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.scalars(
        select(AuditLog)
        .where(*where)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE)
    )
    actions = session.scalars(
        select(AuditLog.action)
        .where(AuditLog.association_id == association_id)
        .distinct()
        .order_by(AuditLog.action)
    )
    return AuditPage(tuple(rows), page, pages, tuple(actions))


def harmless(details: Mapping[str, Any]) -> str:
    """Audit details for display, one ``key: value`` per entry."""
    return "; ".join(f"{key}: {value}" for key, value in sorted(details.items()))
