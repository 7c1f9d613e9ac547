"""A starting roster for an account without special rights in Nextcloud.

Listing a group's members needs Nextcloud admin or group-admin (subadmin) rights; a volunteer's
own account usually has neither. Then Quorum says so in one line, with the fix, and offers
another start, each person tagged with where they come from:

- ``attendee``: invited (ATTENDEE) to the body's meetings in the mirrored calendars;
- ``account``: the source's own account, when ``cloud/user`` lists the group among its groups;
- ``visible``: an account the sharing search shows to this one. That search has no group
  filter, so these are "visible to the account, not confirmed in the group": one also seen as
  an attendee is merged into that attendee (and gives its Nextcloud id); the others are offered
  unticked, for the admin to tick.

Why the sharing search and not the group's DAV principal: ``PROPFIND
principals/groups/{gid}/`` with ``group-member-set`` is readable by any signed-in account (the
principal's ACL grants ``{DAV:}read`` to ``{DAV:}authenticated``, OCA\\DAV\\CalDAV\\Principal\\
User::getACL), but Nextcloud's GroupPrincipalBackend::getGroupMemberSet returns principal
*arrays* where sabre/dav's ACL plugin expects URIs (it calls ``rtrim($member, '/')``), so on
PHP 8 any non-empty group answers 500. The sharee search is what Nextcloud's own sharing dialog
uses; it works for a plain account.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import AuthError, IntegrationError
from integrations.ocs import OcsClient
from integrations.types import NcUser
from sidecar.errors import QuorumError
from sidecar.projection.inputs import EventInstance
from sidecar.projection.meetings import classify
from sidecar.security.vault import Vault
from sidecar.storage.models import Association, Body, Source
from sidecar.storage.read import load_bodies, load_events
from sidecar.sync.connection import Connection, connect

ATTENDEE, ACCOUNT, VISIBLE = "attendee", "account", "visible"


@dataclass(frozen=True)
class Suggestion:
    """Someone to seat, with where they were seen (``origins``: attendee, account, visible)."""

    email: str
    name: str
    meetings: int  # meetings of the body they were invited to
    nc_user: str = ""
    origins: tuple[str, ...] = (ATTENDEE,)

    @property
    def confirmed(self) -> bool:
        """Seen as an attendee or known to be in the group: ticked by default."""
        return self.origins != (VISIBLE,)


@dataclass(frozen=True)
class StartingRoster:
    """The suggestions, and why some kinds could not be read (English, for the logs/CLI)."""

    suggestions: list[Suggestion]
    group: str
    problems: list[str] = field(default_factory=list)


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


def no_group(group: str) -> QuorumError:
    return QuorumError(
        f"Nextcloud has no group {group!r}: check its exact name in Nextcloud, Users "
        "(upper and lower case count).",
        code="roster.no_group",
        group=group,
    )


def password_refused(source: str, login: str) -> QuorumError:
    """A 401: the app password is wrong or revoked; no right is missing."""
    return QuorumError(
        f"Nextcloud refused the app password of source {source!r} ({login}): create a new one "
        "in Nextcloud (Settings → Security → Devices & sessions) and enter it with "
        f"`quorum source update {source} --password-stdin` or on the Sources page.",
        code="roster.password_refused",
        source=source,
        login=login,
    )


def listing_error(
    ocs: OcsClient, source: Source, group: str, body: str, err: IntegrationError
) -> QuorumError | None:
    """The error to show for a failed group listing, or None when it is not about rights, the
    group or the password (then the original error stands)."""
    from sidecar.services.share_audit import listing_refusal

    why = listing_refusal(ocs, group, err, login_works=False)
    if why is None:
        return None
    if why.kind == "password":
        return password_refused(source.name, source.login)
    if why.kind == "no_group":
        return no_group(group)
    return refused(source.login, group, body, why.detail)


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


def _key(text: str) -> str:
    """A name compared without case, accents or extra spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


def merge(
    attendees: Sequence[Suggestion], group: str, me: NcUser | None, visible: Sequence[NcUser]
) -> list[Suggestion]:
    """Attendees first; the account and the visible accounts merged into them by e-mail, id or
    name (the merge gives the attendee its Nextcloud id); the others after, unconfirmed last."""
    people = list(attendees)

    def absorb(user: NcUser, origin: str) -> bool:
        email = (user.email or "").strip().lower()
        for i, person in enumerate(people):
            same = (email and person.email == email) or (
                person.nc_user and person.nc_user == user.id
            )
            same = same or _key(person.name) in (_key(user.display_name), _key(user.id))
            if same:
                people[i] = replace(
                    person,
                    nc_user=person.nc_user or user.id,
                    origins=person.origins + ((origin,) if origin not in person.origins else ()),
                )
                return True
        if not email:
            return False  # no address to seat them with
        people.append(Suggestion(email, user.display_name or user.id, 0, user.id, (origin,)))
        return True

    if me is not None and group in me.groups:
        absorb(me, ACCOUNT)
    for user in visible:
        if me is None or user.id != me.id:
            absorb(user, VISIBLE)
    return sorted(people, key=lambda s: (not s.confirmed, -s.meetings, s.name.casefold()))


def starting_roster(
    session: Session,
    association: Association,
    body: Body,
    vault: Vault,
    connect: Callable[..., Connection] = connect,
    group: str | None = None,
) -> StartingRoster:
    """The three kinds of suggestion for ``body`` (group ``group``, by default its code).

    Raises the password error on a 401 (nothing else can be read then); any other failure to
    read Nextcloud leaves the attendees, with the problem said.
    """
    group = group or body.code
    attendees = suggest(session, association, body)
    source = session.scalar(
        select(Source).where(Source.association_id == association.id).order_by(Source.id)
    )
    if source is None:
        return StartingRoster(attendees, group, ["No Nextcloud source yet."])
    problems: list[str] = []
    me: NcUser | None = None
    visible: list[NcUser] = []
    conn = connect(source, vault)
    try:
        try:
            me = conn.ocs.current_user()
        except AuthError as err:
            raise password_refused(source.name, source.login) from err
        try:
            visible = conn.ocs.sharees()
        except IntegrationError as err:
            problems.append(str(err))
    except IntegrationError as err:
        problems.append(str(err))
    finally:
        conn.close()
    return StartingRoster(merge(attendees, group, me, visible), group, problems)
