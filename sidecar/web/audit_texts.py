"""The audit log in words: each action by its name and its details as « clé : valeur ».

Entries are stored with stable codes (``admin.access.save``) and plain details; the page shows
them in the reader's language. Values are never shown as Python: a mapping reads
« Bureau → responsable (bureau) », nothing reads « non défini ». Entries written before details
were kept as plain data hold the text of a dict (``"{'Bureau': 'officer'}"``, ``"None"``): they
are read back as data first.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from sidecar.web.labels import role_label

ACTIONS = {
    "admin.access.save": _l("Access settings saved"),
    "admin.association.settings": _l("Association settings saved"),
    "admin.setup": _l("Guided setup applied"),
    "admin.source.add": _l("Source added"),
    "admin.source.password": _l("App password of a source changed"),
    "admin.token.create": _l("API token created"),
    "admin.token.revoke": _l("API token revoked"),
    "admin.user.create": _l("Local user created"),
    "admin.user.deactivate": _l("User deactivated"),
    "admin.user.role": _l("Role of a user changed"),
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Sign-in failed"),
    "sign_in_throttled": _l("Sign-in refused: too many attempts"),
    "sign_out": _l("Signed out"),
}
DETAILS = {
    "ip": _l("IP address"),
    "target": _l("Subject"),
    "target_id": _l("Number"),
    "role": _l("Quorum role"),
    "before": _l("Before"),
    "name": _l("Name"),
    "scopes": _l("Rights"),
    "token_id": _l("Token number"),
    "default_role": _l("Default role"),
    "groups": _l("Nextcloud groups"),
    "nextcloud_url": _l("Nextcloud address"),
    "login": _l("Login"),
    "method": _l("Sign-in through"),
    "kept": _l("Kept signed in"),
    "bodies": _l("Bodies created"),
    "nc_user": _l("Nextcloud account"),
    "path": _l("Page"),
    "args": _l("Parameters"),
    "form": _l("Form"),
    "json": _l("Data"),
    "via": _l("Through"),
}
ROLE_KEYS = frozenset({"role", "before", "default_role", "groups"})
_REQUEST = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (\S+)$")


def action_label(action: str) -> str:
    """What an entry records, in words; a request to a page names its endpoint."""
    known = ACTIONS.get(action)
    if known is not None:
        return str(known)
    request = _REQUEST.match(action)
    if request:
        return str(gettext("Change sent to %(endpoint)s", endpoint=request.group(2)))
    return action


def is_known(action: str) -> bool:
    """Whether :func:`action_label` has words for ``action`` (else the page shows the code)."""
    return action in ACTIONS or bool(_REQUEST.match(action))


def details_text(details: Mapping[str, Any] | None) -> str:
    """« Groupes Nextcloud : Bureau → responsable (bureau) ; Rôle par défaut : non défini »."""
    shown = []
    for key, value in sorted((details or {}).items()):
        label = str(DETAILS.get(key, key))
        shown.append(gettext("%(key)s: %(value)s", key=label, value=value_text(key, value)))
    return " ; ".join(shown) if shown else ""


def value_text(key: str, value: Any) -> str:
    """One value as words: mappings as « a → b », lists joined, nothing as « non défini »."""
    value = _as_data(value)
    if value is None or value == "" or value == {} or value == []:
        return str(gettext("not set"))
    if isinstance(value, bool):
        return str(gettext("yes") if value else gettext("no"))
    if isinstance(value, Mapping):
        return ", ".join(f"{k} → {value_text(key, v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(key, v) for v in value)
    text = str(value)
    return role_label(text) if key in ROLE_KEYS and text in ("member", "officer", "admin") else text


def _as_data(value: Any) -> Any:
    """A value stored as the text of a Python dict, list or None, read back as data."""
    if not isinstance(value, str):
        return value
    if value == "None":
        return None
    if value[:1] in "{[" and len(value) < 4000:
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
    return value
