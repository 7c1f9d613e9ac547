"""What a view works with: the application's services, bound to the current Flask app."""

from __future__ import annotations

from flask import current_app

from sidecar.context import Services


def services() -> Services:
    """The :class:`Services` that :func:`sidecar.web.create_app` was given."""
    found: Services = current_app.extensions["quorum"]
    return found
