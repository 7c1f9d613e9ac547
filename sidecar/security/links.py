"""Which URLs may become links: only ``http``/``https`` (and ``mailto:`` where an address is meant).

Every ``href`` built from synced or user data, and every link the API hands out, goes through
:func:`safe_url`; anything refused is shown (or sent) as text. The rules live in
:mod:`sidecar.projection.links`, so the meetings projection can use them too.
"""

from __future__ import annotations

from sidecar.projection.links import MAX_LENGTH, WEB_SCHEMES, is_safe_url, safe_url

__all__ = ["MAX_LENGTH", "WEB_SCHEMES", "is_safe_url", "safe_url"]
