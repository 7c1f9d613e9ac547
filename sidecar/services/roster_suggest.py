"""A starting roster for an account without special rights in Nextcloud.

Listing a group's members needs Nextcloud admin or group-admin (subadmin) rights; a volunteer's
own account usually has neither, and Nextcloud answers 403. Then Quorum says so in one line,
with the fix, and offers another start: the people invited (ATTENDEE) to the body's meetings in
the mirrored calendars, and the account itself when it is in the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from sidecar.errors import QuorumError
from sidecar.projection.inputs import EventInstance
from sidecar.projection.meetings import classify
from sidecar.storage.models import Association, Body
from sidecar.storage.read import load_bodies, load_events


@dataclass(frozen=True)
class Suggestion:
    """Someone to seat: seen as an attendee of ``meetings`` of the body's meetings."""

    email: str
    name: str
    meetings: int
    nc_user: str = ""


class GroupRefused(QuorumError):
    """Nextcloud would not list the group's members to this account."""


def refused(login: str, group: str, body: str, detail: str) -> GroupRefused:
    """The one-line error, with the fix and the other way to start the roster."""
    return GroupRefused(
        f"Nextcloud does not let {login} list the members of group {group} ({detail}): the "
        f"account is neither an admin nor a group admin of {group}. Fix: in Nextcloud, Users, "
        f"make {login} a group admin of {group}; or start from the people invited to "
        f"{body}'s meetings (`quorum roster suggest {body} --seat`).",
        code="roster.group_refused",
        login=login,
        group=group,
        body=body,
    )


def is_refusal(err: IntegrationError) -> str | None:
    """Why listing was refused on rights (403, OCS 997), or None for another failure."""
    from sidecar.services.share_audit import group_refused

    return group_refused(err)


def attendees_of(events: Sequence[EventInstance], body_id: int) -> list[Suggestion]:
    """Everyone invited to the meetings of body ``body_id`` among ``events``, most seen first."""
    seen: dict[str, tuple[str, int]] = {}
    for event in events:
        for attendee in event.attendees:
            email = attendee.email.strip().lower()
            if "@" not in email or "/" in email:
                continue  # a principal URL or a room, not a person's address
            name, count = seen.get(email, ("", 0))
            seen[email] = (name or attendee.name, count + 1)
    found = [Suggestion(e, n or e.split("@")[0], c) for e, (n, c) in seen.items()]
    return sorted(found, key=lambda s: (-s.meetings, s.email))


def suggest(session: Session, association: Association, body: Body) -> list[Suggestion]:
    """The people invited to ``body``'s meetings, from the mirrored calendars."""
    bodies = load_bodies(session, association.id)
    mine = [
        e
        for e in load_events(session, association.id, roles=None)
        if (found := classify(e, bodies)) is not None and found.id == body.id
    ]
    return attendees_of(mine, body.id)
