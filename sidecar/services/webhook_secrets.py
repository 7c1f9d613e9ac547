"""Each association's own webhook secret, so that an event Nextcloud sends for one association
can only ever make that association's jobs due.

Only the SHA-256 of a secret is kept (in the association's settings): it is shown once, when
it is made, to be pasted into ``occ webhook_listeners:add`` with the association's own URL,
``/webhooks/nextcloud/<association slug>``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.storage.models import Association

SETTING = "webhook_secret_sha256"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(association: Association) -> str:
    """A fresh secret for ``association`` (the previous one stops working); shown once."""
    secret = secrets.token_urlsafe(32)
    settings = dict(association.settings or {})
    settings[SETTING] = _digest(secret)
    association.settings = settings  # a new dict: the JSON column sees the change
    return secret


def matches(association: Association, given: str) -> bool:
    """Whether ``given`` is the association's current secret (constant-time)."""
    stored = (association.settings or {}).get(SETTING)
    if not isinstance(stored, str) or not stored or not given:
        return False
    return hmac.compare_digest(stored, _digest(given))


def only_association(session: Session) -> Association | None:
    """The install's association when it serves exactly one (the legacy global secret's
    scope), else None."""
    found = list(session.scalars(select(Association).order_by(Association.id).limit(2)))
    return found[0] if len(found) == 1 else None
