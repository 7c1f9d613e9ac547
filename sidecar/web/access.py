"""Who may call which route: every view declares its role; undeclared views are refused.

Views are marked with :func:`requires` (``"member"``, ``"officer"`` or ``"admin"``) or
:func:`public` (health probes, token-authenticated feeds, secret-authenticated webhooks). The
enforcement (sign-in, roles, association scoping) lives in :mod:`sidecar.web.auth`; a test walks
``app.url_map`` and fails on any view left unmarked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

ROLES = ("member", "officer", "admin")  # each includes the rights of those before it
F = TypeVar("F", bound=Callable[..., Any])


def requires(role: str) -> Callable[[F], F]:
    """Mark a view as needing at least ``role`` in the current association."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")

    def mark(view: F) -> F:
        view.quorum_role = role  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    """Mark a view as reachable without a session (it authenticates otherwise, or not at all)."""
    view.quorum_role = "public"  # type: ignore[attr-defined]
    return view


def role_of(view: Callable[..., Any]) -> str | None:
    """The declared role of a view, or None when it declared nothing (refused)."""
    role = getattr(view, "quorum_role", None)
    return role if isinstance(role, str) else None
