"""What a view works with: the application's services, bound to the current Flask app."""

from __future__ import annotations

from flask import current_app, g, request

from sidecar.context import Services
from sidecar.storage.models import Association

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def services() -> Services:
    """The :class:`Services` that :func:`sidecar.web.create_app` was given."""
    found: Services = current_app.extensions["quorum"]
    return found


def read_association() -> Association | None:
    """For a read request, the signed-in user's association as the sign-in check read it (not
    attached to any session); None for a write, which may change it, or nobody signed in."""
    principal = g.get("principal")
    kept: Association | None = g.get("quorum_association")
    if principal is None or kept is None or kept.id != principal.association_id:
        return None
    return kept if request.method in SAFE_METHODS else None
