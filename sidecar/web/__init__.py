"""The web side: pages, the JSON API (:mod:`sidecar.web.api`) and the ICS feeds.

:func:`create_app` (in :mod:`sidecar.web.app`) is the only wiring point; every blueprint is listed
once in :mod:`sidecar.web.blueprints`.
"""

from sidecar.web.app import create_app

__all__ = ["create_app"]
