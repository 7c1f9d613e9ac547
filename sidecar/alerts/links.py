"""Signed acknowledge/snooze links: anyone holding the link may do that one thing to that alert.

Signed with itsdangerous (the same secret as the web sessions), valid for 30 days; the token
names the alert, the action and the recipient, so the log says who acknowledged.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadData, URLSafeTimedSerializer

from sidecar.storage.private_files import write_private_text

SALT = "quorum-alert-action"
MAX_AGE = 30 * 86400
ACTIONS = ("acknowledge", "snooze")


@dataclass(frozen=True)
class Action:
    alert_id: int
    action: str
    by: str


def link_secret(secret_key: str, data_dir: Path) -> str:
    """The web app's signing key: configured, else the one generated into the data directory."""
    if secret_key:
        return secret_key
    path = data_dir / "flask-secret"
    if not path.exists():
        write_private_text(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def sign(secret: str, alert_id: int, action: str, by: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return URLSafeTimedSerializer(secret, salt=SALT).dumps([alert_id, action, by])


def verify(secret: str, token: str, max_age: int = MAX_AGE) -> Action | None:
    """The action a token allows, or None when it is forged, altered or expired."""
    try:
        alert_id, action, by = URLSafeTimedSerializer(secret, salt=SALT).loads(
            token, max_age=max_age
        )
    except (BadData, ValueError, TypeError):
        return None
    if action not in ACTIONS or not isinstance(alert_id, int):
        return None
    return Action(alert_id, str(action), str(by))


def links(base_url: str, secret: str, alert_id: int, by: str) -> dict[str, str]:
    """The URLs a message carries."""
    root = base_url.rstrip("/")
    return {
        "open": f"{root}/alerts/",
        "acknowledge": f"{root}/alerts/act/{sign(secret, alert_id, 'acknowledge', by)}",
        "snooze": f"{root}/alerts/act/{sign(secret, alert_id, 'snooze', by)}",
    }
