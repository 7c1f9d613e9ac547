"""Navigation that follows the role: a page shows only the links and buttons its reader may use.

:func:`can` answers from the role each view declares (:mod:`sidecar.web.access`), the same rule
the access check enforces, so a member is never offered a link that ends in "access refused".
:func:`main_menu` is the header's menu with the current section marked (``aria-current``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request, url_for
from flask_babel import lazy_gettext

from sidecar.web.access import ROLES, role_of


@dataclass(frozen=True)
class MenuItem:
    url: str
    label: str
    current: bool


# (endpoint, label msgid, endpoints that belong to the same section)
_MENU: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("overview.index", "Overview", ("feed_page.show",)),
    ("meetings.index", "Meetings", ("meetings.show", "roster.index")),
    ("grants.pipeline", "Grants", ("grants.dossier", "grants_edit.edit")),
    ("grants.documents", "Documents", ()),
    ("grants.shares", "Sharing audit", ()),
    ("alerts.index", "Alerts", ()),
    ("register.index", "Register", ("register.",)),
    ("minutes_actions.index", "Actions", ("minutes_actions.",)),
    ("handovers.index", "Handovers", ("handovers.",)),
    ("jobs.index", "Sync jobs", ()),
    ("admin.users", "Administration", ("admin.",)),
)


def _rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


def can(endpoint: str) -> bool:
    """May the signed-in reader use ``endpoint``? (False for an unknown endpoint.)"""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    needed = role_of(view)
    if needed == "public":
        return True
    principal = g.get("principal")
    if needed is None or principal is None:
        return False
    return _rank(str(principal.role)) >= _rank(needed)


_LABELS = {
    "Overview": lazy_gettext("Overview"),
    "Meetings": lazy_gettext("Meetings"),
    "Grants": lazy_gettext("Grants"),
    "Documents": lazy_gettext("Documents"),
    "Sharing audit": lazy_gettext("Sharing audit"),
    "Alerts": lazy_gettext("Alerts"),
    "Register": lazy_gettext("Register"),
    "Actions": lazy_gettext("Actions"),
    "Handovers": lazy_gettext("Handovers"),
    "Sync jobs": lazy_gettext("Sync jobs"),
    "Administration": lazy_gettext("Administration"),
}


def _label(msgid: str) -> str:
    """The menu entry in the reader's language (only this one is translated)."""
    return str(_LABELS[msgid])


def _in_section(endpoint: str, main: str, others: tuple[str, ...]) -> bool:
    if endpoint == main or endpoint in others:
        return True
    return any(o.endswith(".") and endpoint.startswith(o) for o in others)


def main_menu() -> list[MenuItem]:
    """The header's links the reader may follow, the current section marked."""
    principal = g.get("principal")
    if principal is None:
        return []
    here = request.endpoint or ""
    if here == "admin_sources.index":
        here = "admin.sources"
    return [
        MenuItem(url, _label(msgid), _in_section(here, endpoint, others))
        for endpoint, url, msgid, others in _allowed(str(principal.role))
    ]


_Entry = tuple[str, str, str, tuple[str, ...]]  # endpoint, its URL, label msgid, section


def _allowed(role: str) -> list[_Entry]:
    """The menu entries ``role`` may follow, with their URLs: the same for every request of
    that role under the same script root, so built once per process (11 ``url_for``)."""
    kept: dict[tuple[str, str], list[_Entry]] = current_app.extensions.setdefault("quorum_menu", {})
    key = (role, request.script_root)
    found = kept.get(key)
    if found is None:
        found = [
            (endpoint, url_for(endpoint), msgid, others)
            for endpoint, msgid, others in _MENU
            if endpoint in current_app.view_functions and can(endpoint)
        ]
        kept[key] = found
    return found


def register(app: Flask) -> None:
    app.add_template_global(can)
    app.add_template_global(main_menu)
