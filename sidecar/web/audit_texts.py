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
from markupsafe import Markup, escape

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
    if _REQUEST.match(action):
        return str(gettext("Change made on a page"))  # which page: the details' « Page »
    return action


def is_known(action: str) -> bool:
    """Whether :func:`action_label` has words for ``action`` (else the page shows the code)."""
    return action in ACTIONS or bool(_REQUEST.match(action))


def details_text(details: Mapping[str, Any] | None) -> Markup:
    """« Groupes Nextcloud : Bureau → responsable (bureau) ; Rôle par défaut : non défini »;
    what people typed or Nextcloud named (logins, paths, group names) is marked as data."""
    shown = []
    for key, value in sorted((details or {}).items()):
        label = escape(str(DETAILS.get(key, key)))
        template = escape(gettext("%(key)s: %(value)s", key="\0key\0", value="\0value\0"))
        # Markup.replace escapes what it is given: the label and value stay as built
        shown.append(
            template.replace("\0key\0", label).replace("\0value\0", value_html(key, value))
        )
    return Markup(" ; ").join(shown)


def value_html(key: str, value: Any) -> Markup:
    """One value: mappings as « a → b », lists joined, nothing as « non défini », roles and
    yes/no in words; the rest is data, shown as it is and never translated."""
    value = _as_data(value)
    if value is None or value == "" or value == {} or value == []:
        return escape(gettext("not set"))
    if isinstance(value, bool):
        return escape(gettext("yes") if value else gettext("no"))
    if isinstance(value, Mapping):
        return Markup(", ").join(
            Markup("{} → {}").format(_data(k), value_html(key, v)) for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return Markup(", ").join(value_html(key, v) for v in value)
    text = str(value)
    if key in ROLE_KEYS and text in ("member", "officer", "admin"):
        return escape(role_label(text))
    return _data(text)


def _data(value: object) -> Markup:
    return Markup('<span translate="no">{}</span>').format(value)


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
