"""Per-member ICS feeds: grant deadlines, obligations and board meetings, behind a secret token.

Only the SHA-256 of a token is stored, so a leaked database does not give away subscriptions;
a member who lost a token gets a new one, and the old one stops working.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar import i18n
from sidecar.i18n import N_
from sidecar.projection.grants import Dossier
from sidecar.projection.inputs import EventInstance
from sidecar.projection.obligations import Obligation
from sidecar.services import accounts
from sidecar.services import dossiers as dossier_service
from sidecar.services import meetings as meetings_service
from sidecar.storage import models
from sidecar.storage.read import load_events

PRODID = "-//Quorum//Grants and meetings feed//FR"
UID_DOMAIN = "quorum.invalid"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, member_id: int) -> str:
    """A new secret token for ``member_id``; earlier tokens of the member are revoked."""
    for old in session.scalars(
        select(models.FeedToken).where(models.FeedToken.member_id == member_id)
    ):
        session.delete(old)
    token = secrets.token_urlsafe(32)
    session.add(models.FeedToken(member_id=member_id, token_hash=_digest(token)))
    session.flush()
    return token


def member_for_token(session: Session, token: str) -> models.Member | None:
    """The active member the token belongs to, or None (unknown, revoked, inactive member, or
    a member whose Quorum account was deactivated)."""
    row = session.scalar(
        select(models.FeedToken).where(models.FeedToken.token_hash == _digest(token))
    )
    if row is None:
        return None
    member = session.get(models.Member, row.member_id)
    if member is None or not member.active:
        return None
    user = user_of(session, member)
    if user is not None and not user.active:
        return None
    row.last_used_at = datetime.now(UTC)
    return member


def member_of(
    session: Session, association_id: int, *, nc_user: str | None
) -> models.Member | None:
    """The active roster member a signed-in Nextcloud user is: the seat an officer linked to
    that Nextcloud user id. Never matched by e-mail: anyone can set any address in Nextcloud."""
    if not nc_user:
        return None
    return session.scalar(
        select(models.Member).where(
            models.Member.association_id == association_id,
            models.Member.active.is_(True),
            models.Member.nc_user == nc_user,
        )
    )


def user_of(session: Session, member: models.Member) -> models.User | None:
    """The Quorum account linked to ``member`` (same association, same Nextcloud user id)."""
    if not member.nc_user:
        return None
    return session.scalar(
        select(models.User).where(
            models.User.association_id == member.association_id,
            models.User.nc_user == member.nc_user,
        )
    )


def revoke_for_user(session: Session, user: models.User) -> int:
    """Revoke the feed of the member linked to ``user`` (when the account is deactivated)."""
    if not user.nc_user:
        return 0
    members = select(models.Member.id).where(
        models.Member.association_id == user.association_id,
        models.Member.nc_user == user.nc_user,
    )
    rows = list(
        session.scalars(select(models.FeedToken).where(models.FeedToken.member_id.in_(members)))
    )
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def token_info(session: Session, member_id: int) -> models.FeedToken | None:
    """The member's current token row (its hash, creation and last use), if any."""
    return session.scalar(
        select(models.FeedToken).where(models.FeedToken.member_id == member_id).limit(1)
    )


def _all_day(uid: str, summary: str, day: date, description: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    if description:
        event.add("description", description)
    return event


def _meeting(instance: EventInstance, stamp: datetime) -> Event | None:
    if instance.start is None or instance.status == "CANCELLED":
        return None
    event = Event()
    # Each expanded occurrence becomes its own event, so it needs its own UID.
    digest = _digest(f"{instance.uid}|{instance.recurrence_id}")[:16]
    event.add("uid", f"meeting-{digest}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("summary", instance.summary)
    event.add("dtstart", instance.start.date() if instance.all_day else instance.start)
    if instance.end is not None:
        event.add("dtend", instance.end.date() if instance.all_day else instance.end)
    if instance.location:
        event.add("location", instance.location)
    return event


def build_calendar(
    dossiers: Sequence[Dossier],
    obligations: Sequence[Obligation],
    meetings: Sequence[EventInstance],
    name: str,
    stamp: datetime,
    language: str = "fr",
) -> bytes:
    """The ICS text of a feed: one all-day event per deadline or obligation, and the meetings,
    worded in ``language`` (the member's)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for d in dossiers:
        if d.submission_deadline and d.status in ("idea", "preparing"):
            missing = ", ".join(p.name for p in d.missing)
            cal.add_component(
                _all_day(
                    f"grant-{_digest(d.key)[:16]}",
                    i18n.gettext(
                        language,
                        N_("Deadline — dossier %(dossier)s"),
                        dossier=f"{d.funder} {d.year or ''}".strip(),
                    ),
                    d.submission_deadline,
                    i18n.gettext(language, N_("Missing pieces: %(pieces)s"), pieces=missing)
                    if missing
                    else "",
                    stamp,
                )
            )
    for o in obligations:
        if o.status != "done":
            uid = f"obligation-{_digest(o.key)[:16]}"
            reason = i18n.gettext(language, o.reason)  # the projection's reasons are msgids
            cal.add_component(_all_day(uid, o.title, o.due, reason, stamp))
    for instance in meetings:
        event = _meeting(instance, stamp)
        if event is not None:
            cal.add_component(event)
    return bytes(cal.to_ical())


@dataclass(frozen=True)
class FeedScope:
    """What one member's feed may carry: what their role and bodies show on the pages."""

    sees_grants: bool  # grant deadlines and obligations: officers and admins only
    bodies: frozenset[str] | None  # codes of the bodies whose meetings they see; None: all


def scope_for(session: Session, member: models.Member) -> FeedScope:
    """The member's scope: the role of their linked account (member when none), their seats."""
    user = user_of(session, member)
    role = user.role if user is not None and user.active else "member"
    if accounts.rank(role) >= accounts.rank("officer"):
        return FeedScope(sees_grants=True, bodies=None)
    codes = session.scalars(
        select(models.Body.code)
        .join(models.Membership, models.Membership.body_id == models.Body.id)
        .where(models.Membership.member_id == member.id)
    )
    return FeedScope(sees_grants=False, bodies=frozenset(codes))


def _meetings_in_scope(
    session: Session, association: models.Association, now: datetime, scope: FeedScope
) -> list[EventInstance]:
    start = now - timedelta(days=30)
    events = load_events(session, association.id, roles=("meetings",), start=start)
    if scope.bodies is None:
        return events
    # The same classification as the meetings pages decides which body an event belongs to.
    allowed = {
        (m.uid, m.recurrence_id)
        for m in meetings_service.list_meetings(session, association.id, now, start=start)
        if m.body.code in scope.bodies
    }
    return [e for e in events if (e.uid, e.recurrence_id) in allowed]


def feed_for(
    session: Session,
    association: models.Association,
    now: datetime,
    *,
    scope: FeedScope | None = None,
    language: str = "fr",
) -> bytes:
    """A feed: open dossiers, obligations, meetings of the last 30 days on, within ``scope``
    (everything of the association when None: the association-wide view of an officer), worded
    in ``language`` (the member's)."""
    scope = scope or FeedScope(sees_grants=True, bodies=None)
    today = now.date()
    dossiers: list[Dossier] = []
    obligations: list[Obligation] = []
    if scope.sees_grants:
        dossiers = list(dossier_service.dossiers(session, association, today))
        obligations = list(dossier_service.obligations(session, association, today, dossiers))
    meetings = _meetings_in_scope(session, association, now, scope)
    name = f"Quorum — {association.name}"
    return build_calendar(dossiers, obligations, meetings, name, now, language)
