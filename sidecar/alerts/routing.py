"""Who receives an alert: by role (and body) per topic, by member for personal reminders.

Defaults follow how French associations share the work: the treasurer gets grants and reports,
the secretary gets convocations, agendas and minutes, the president gets what concerns the
whole association and the escalations. Rows of :class:`RoutingRule` replace the defaults of
their topic.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.alerts.channels.base import Recipient
from sidecar.storage.models import Body, Member, Membership, RoutingRule

DEFAULT_ROUTES: dict[str, tuple[str, ...]] = {
    "meetings": ("secrétaire",),
    "minutes": ("secrétaire",),
    "grants": ("trésorier",),
    "declarations": ("secrétaire", "président"),
    "shares": ("président", "secrétaire"),
    "system": ("président", "secrétaire"),
}
DEFAULT_ESCALATION: tuple[str, ...] = ("président",)


def role_key(role: str) -> str:
    """ "Trésorière", "trésorier" and "TRESORIER" are one role; so are "présidente"/"président"."""
    plain = unicodedata.normalize("NFKD", role.strip().lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return plain.removesuffix("e")


@dataclass(frozen=True)
class Route:
    topic: str
    role: str  # a role_key
    body_code: str | None = None
    escalation: bool = False


@dataclass
class Roster:
    """Active members with their roles per body, and the routes in force."""

    people: dict[str, Recipient] = field(default_factory=dict)  # by lower-case e-mail
    roles: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # email → (body, role)
    routes: list[Route] = field(default_factory=list)

    def holders(self, role: str, body_code: str | None) -> list[Recipient]:
        found = [
            self.people[email]
            for email, held in self.roles.items()
            if any(r == role and (body_code is None or b == body_code) for b, r in held)
        ]
        return sorted(found, key=lambda r: r.email)


def load_roster(session: Session, association_id: int) -> Roster:
    roster = Roster()
    for member in session.scalars(
        select(Member).where(Member.association_id == association_id, Member.active.is_(True))
    ):
        email = member.email.lower()
        roster.people[email] = Recipient(email, member.name, member.language, member.nc_user)
        roster.roles[email] = set()
    rows = session.execute(
        select(Membership.role, Body.code, Member.email)
        .join(Body, Membership.body_id == Body.id)
        .join(Member, Membership.member_id == Member.id)
        .where(Body.association_id == association_id)
    )
    for role, code, email in rows:
        roster.roles.setdefault(email.lower(), set()).add((code, role_key(role)))
    roster.routes = [
        Route(r.topic, role_key(r.role), r.body_code, r.escalation)
        for r in session.scalars(
            select(RoutingRule).where(RoutingRule.association_id == association_id)
        )
    ]
    return roster


def _routes(roster: Roster, topic: str, escalation: bool) -> list[Route]:
    stored = [r for r in roster.routes if r.topic in (topic, "*") and r.escalation == escalation]
    if stored:
        return stored
    defaults = DEFAULT_ESCALATION if escalation else DEFAULT_ROUTES.get(topic, ())
    return [Route(topic, role_key(role)) for role in defaults]


def recipients(roster: Roster, audience: Mapping[str, Any]) -> list[Recipient]:
    """The people an alert goes to; a personal alert goes to its members only."""
    members: Iterable[str] = audience.get("members") or ()
    if members:
        return [roster.people[m] for m in members if m in roster.people]
    return _by_routes(roster, audience, escalation=False)


def escalation_recipients(roster: Roster, audience: Mapping[str, Any]) -> list[Recipient]:
    """Another officer, for an alert nobody acknowledged; never the first recipients again."""
    first = {r.email for r in recipients(roster, audience)}
    return [r for r in _by_routes(roster, audience, escalation=True) if r.email not in first]


def _by_routes(roster: Roster, audience: Mapping[str, Any], *, escalation: bool) -> list[Recipient]:
    topic, body = str(audience.get("topic") or ""), audience.get("body_code")
    found: dict[str, Recipient] = {}
    for route in _routes(roster, topic, escalation):
        # A route bound to a body, else the alert's body first, else any body.
        holders = roster.holders(route.role, route.body_code or body) or roster.holders(
            route.role, None
        )
        found |= {r.email: r for r in holders}
    return sorted(found.values(), key=lambda r: r.email)
