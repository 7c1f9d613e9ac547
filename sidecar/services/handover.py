"""Officer handover: when a seat changes, list what the departing person held and track its transfer.

A seat change is seen by comparing the roster with the snapshot kept at the previous look
(:class:`~sidecar.storage.models.SeatSnapshot`): whoever lost a seat, or whose member record
was deactivated, gets a handover listing what they still hold:

- dossiers they own (``Grant.owner_member_id``) and open actions of the minutes assigned to them;
- deadlines they organise in the association's deadline calendars;
- shares they created (``uid_owner``), public links apart, as the source account can read them;
- folders their Nextcloud account owns in the mirror, and calendars shared by their account
  (Nextcloud names them ``<calendar>_shared_by_<user>``) or the source itself when it is theirs;
- alert routes that reach nobody else (a role only they held) and channels writing to them;
- API tokens of their Quorum accounts that are not revoked.

Each becomes a checklist item; an item is done when someone marks it, or by itself when the
next look no longer finds it (the dossier got a new owner, the token was revoked). A marked item
the next look still finds with them is *still held*: the handover stays open, and once their
account is deactivated (``Handover.deactivated_at``, stamped the first time a look sees it) the
overdue alert counts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from integrations.ocs import OcsClient
from sidecar.errors import NotFound
from sidecar.projection.handover import ChecklistItem, HandoverState, Holding, is_closed, merge
from sidecar.projection.readiness import normalise
from sidecar.projection.shares import ShareInfo
from sidecar.services.share_audit import share_info
from sidecar.storage.models import (
    ApiToken,
    Association,
    Body,
    Channel,
    Collection,
    FileRecord,
    Grant,
    Handover,
    HandoverItem,
    Member,
    Membership,
    MinutesAction,
    Occurrence,
    RoutingRule,
    SeatSnapshot,
    Source,
    User,
)

PUBLIC_LINK = 3


def read_shares(ocs: OcsClient) -> list[ShareInfo]:
    """The shares the source account sees: its own and those made with it (by their owners)."""
    found = {s.id: share_info(s) for s in ocs.shares()}
    for share in ocs.shared_with_me():
        found.setdefault(share.id, share_info(share))
    return list(found.values())


def _seats(session: Session, association_id: int) -> dict[str, list[str]]:
    """email → ["CA:trésorier", …] for every active member's seats."""
    rows = session.execute(
        select(Member.email, Body.code, Membership.role)
        .join(Membership, Membership.member_id == Member.id)
        .join(Body, Membership.body_id == Body.id)
        .where(Member.association_id == association_id, Member.active.is_(True))
    )
    seats: dict[str, list[str]] = {}
    for email, code, role in rows:
        seats.setdefault(email.lower(), []).append(f"{code}:{role}")
    return {email: sorted(roles) for email, roles in seats.items()}


# --- inventory -------------------------------------------------------------------------


def holdings(
    session: Session, association_id: int, member: Member, shares: Sequence[ShareInfo] = ()
) -> list[Holding]:
    """Everything ``member`` holds now (see the module's list)."""
    found = _dossiers(session, association_id, member) + _deadlines(session, association_id, member)
    found += _shares(member, shares) + _folders(session, association_id, member)
    found += _calendars(session, association_id, member) + _routes(session, association_id, member)
    return found + _tokens(session, association_id, member)


def _dossiers(session: Session, association_id: int, member: Member) -> list[Holding]:
    grants = session.scalars(
        select(Grant).where(
            Grant.association_id == association_id, Grant.owner_member_id == member.id
        )
    )
    found = [
        Holding("dossier", str(g.id), " ".join(filter(None, (g.funder, g.programme, str(g.year or "")))),
                g.submission_deadline.isoformat() if g.submission_deadline else "")
        for g in grants
    ]  # fmt: skip
    actions = session.scalars(
        select(MinutesAction).where(
            MinutesAction.association_id == association_id,
            MinutesAction.owner_email == member.email.lower(),
            MinutesAction.status != "COMPLETED",
        )
    )
    found += [
        Holding("action", str(a.id), a.title, a.due.isoformat() if a.due else "") for a in actions
    ]
    return found


def _deadlines(session: Session, association_id: int, member: Member) -> list[Holding]:
    rows = session.execute(
        select(Occurrence.uid, Occurrence.summary, Occurrence.start, Occurrence.details)
        .join(Collection, Occurrence.collection_id == Collection.id)
        .join(Source, Collection.source_id == Source.id)
        .where(Source.association_id == association_id, Collection.role == "deadlines")
    )
    email = member.email.lower()
    found: dict[str, Holding] = {}
    for uid, summary, start, details in rows:
        organizer = str((details or {}).get("organizer", "")).lower().removeprefix("mailto:")
        if organizer == email:
            found.setdefault(
                uid, Holding("deadline", uid, summary, start.date().isoformat() if start else "")
            )
    return list(found.values())


def _shares(member: Member, shares: Sequence[ShareInfo]) -> list[Holding]:
    if not member.nc_user:
        return []
    return [
        Holding(
            "public_link" if s.share_type == PUBLIC_LINK else "share",
            s.id,
            s.path,
            s.label or s.share_with_displayname or s.share_with or "",
        )
        for s in shares
        if s.owner == member.nc_user
    ]


def _folders(session: Session, association_id: int, member: Member) -> list[Holding]:
    if not member.nc_user:
        return []
    paths = sorted(
        session.scalars(
            select(FileRecord.path)
            .join(Collection, FileRecord.collection_id == Collection.id)
            .join(Source, Collection.source_id == Source.id)
            .where(
                Source.association_id == association_id,
                FileRecord.is_folder.is_(True),
                FileRecord.owner == member.nc_user,
            )
        )
    )
    tops: list[str] = []
    for path in paths:  # a folder inside one already listed is transferred with it
        if not any(path.startswith(top) for top in tops):
            tops.append(path)
    return [Holding("folder", path, path) for path in tops]


def _calendars(session: Session, association_id: int, member: Member) -> list[Holding]:
    if not member.nc_user:
        return []
    user = member.nc_user
    rows = session.execute(
        select(Collection.remote_path, Collection.display_name, Source.login)
        .join(Source, Collection.source_id == Source.id)
        .where(Source.association_id == association_id, Collection.kind == "calendar")
    )
    return [
        Holding("calendar", path, name or path)
        for path, name, login in rows
        if login == user or f"_shared_by_{user}" in path
    ]


def _routes(session: Session, association_id: int, member: Member) -> list[Holding]:
    mine = {
        r.split(":", 1)[1] for r in _seats(session, association_id).get(member.email.lower(), [])
    }
    others = {
        normalise(r.split(":", 1)[1])
        for email, roles in _seats(session, association_id).items()
        if email != member.email.lower()
        for r in roles
    }
    mine_plain = {normalise(r) for r in mine} | {normalise(r) for r in _left_roles(session, member)}
    found = [
        Holding("alert_route", f"route:{r.id}", f"{r.topic} → {r.role}", r.body_code or "")
        for r in session.scalars(
            select(RoutingRule).where(RoutingRule.association_id == association_id)
        )
        if normalise(r.role) in mine_plain and normalise(r.role) not in others
    ]
    email = member.email.lower()
    for channel in session.scalars(select(Channel).where(Channel.association_id == association_id)):
        if email in str(channel.config).lower():
            found.append(
                Holding("alert_route", f"channel:{channel.id}", channel.name, channel.kind)
            )
    return found


def _left_roles(session: Session, member: Member) -> list[str]:
    """The roles named in this member's open handovers (seats they already left)."""
    rows = session.scalars(
        select(Handover.roles).where(Handover.member_id == member.id, Handover.closed_at.is_(None))
    )
    return [str(r).split(":", 1)[-1] for roles in rows for r in roles]


def _users_of(session: Session, association_id: int, member: Member) -> list[User]:
    clauses = [User.email == member.email]
    if member.nc_user:
        clauses.append(User.nc_user == member.nc_user)
    return list(
        session.scalars(select(User).where(User.association_id == association_id, or_(*clauses)))
    )


def _tokens(session: Session, association_id: int, member: Member) -> list[Holding]:
    users = {u.id: u for u in _users_of(session, association_id, member)}
    if not users:
        return []
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id.in_(list(users)), ApiToken.revoked_at.is_(None))
    )
    return [Holding("api_token", str(t.id), t.name, users[t.user_id].login) for t in tokens]


# --- handovers -------------------------------------------------------------------------


def _items(row: Handover) -> list[ChecklistItem]:
    return [
        ChecklistItem(i.kind, i.ref, i.label, i.detail, i.done_at is not None, i.done_how, i.held)
        for i in row.items
    ]


def _apply(row: Handover, merged: Iterable[ChecklistItem], now: datetime) -> None:
    by_ref = {(i.kind, i.ref): i for i in row.items}
    for item in merged:
        stored = by_ref.get((item.kind, item.ref))
        if stored is None:
            stored = HandoverItem(kind=item.kind, ref=item.ref)
            row.items.append(stored)
        stored.label, stored.detail = item.label[:2000], item.detail[:2000]
        stored.held = item.held
        if item.done and stored.done_at is None:
            stored.done_at, stored.done_how, stored.done_by = now, item.done_how, "Quorum"
        elif not item.done:
            stored.done_at = stored.done_how = stored.done_by = None
    row.closed_at = (row.closed_at or now) if is_closed(list(merged)) else None


def start(
    session: Session,
    association_id: int,
    member: Member,
    roles: Sequence[str],
    now: datetime,
    *,
    shares: Sequence[ShareInfo] = (),
    reason: str = "seat_change",
) -> Handover:
    """Open a handover for ``member`` (or return the open one) with its inventory."""
    row = session.scalar(
        select(Handover).where(
            Handover.association_id == association_id,
            Handover.member_id == member.id,
            Handover.closed_at.is_(None),
        )
    )
    if row is None:
        row = Handover(
            association_id=association_id,
            member_id=member.id,
            member_name=member.name,
            member_email=member.email.lower(),
            nc_user=member.nc_user,
            roles=list(roles),
            reason=reason,
            started_at=now,
        )
        session.add(row)
        session.flush()
    refresh(session, row, now, shares=shares)
    return row


def refresh(
    session: Session, row: Handover, now: datetime, *, shares: Sequence[ShareInfo] | None = None
) -> None:
    """Take a new inventory of a handover's member and update its checklist.

    ``shares`` None: the shares could not be read this time, so share items are left as they are
    (not read is not transferred).
    """
    if row.closed_at is not None:
        return
    deactivated = _deactivated(session, row)
    row.deactivated_at = (row.deactivated_at or now) if deactivated else None
    member = session.get(Member, row.member_id) if row.member_id else None
    if member is None:
        return
    held = holdings(session, row.association_id, member, shares or ())
    recorded = _items(row)
    if shares is None:
        kept = {"share", "public_link"}
        held += [
            Holding(i.kind, i.ref, i.label, i.detail)
            for i in recorded
            if i.kind in kept and i.outstanding
        ]
    _apply(row, merge(recorded, held), now)
    session.flush()


def detect(
    session: Session,
    association_id: int,
    now: datetime,
    *,
    shares: Sequence[ShareInfo] | None = None,
) -> list[Handover]:
    """Open a handover for each member who lost a seat (or was deactivated) since the last look."""
    snapshot = session.get(SeatSnapshot, association_id)
    if snapshot is None:
        if session.get(Association, association_id) is None:
            raise NotFound(f"No association #{association_id}.")
        snapshot = SeatSnapshot(association_id=association_id, seats={})
        session.add(snapshot)
    current = _seats(session, association_id)
    previous: dict[str, list[str]] = dict(snapshot.seats or {})
    opened = []
    for email, roles in previous.items():
        lost = sorted(set(roles) - set(current.get(email, [])))
        if not lost:
            continue
        member = session.scalar(
            select(Member).where(Member.association_id == association_id, Member.email == email)
        )
        if member is not None:
            opened.append(start(session, association_id, member, lost, now, shares=shares or ()))
    snapshot.seats, snapshot.taken_at = current, now  # a new dict, so the JSON column is saved
    for row in list_handovers(session, association_id):
        if row.closed_at is None and row not in opened:
            refresh(session, row, now, shares=shares)
    return opened


def list_handovers(session: Session, association_id: int) -> list[Handover]:
    return list(
        session.scalars(
            select(Handover)
            .where(Handover.association_id == association_id)
            .order_by(Handover.closed_at.is_not(None), Handover.started_at.desc())
        )
    )


def get_handover(session: Session, association_id: int, handover_id: int) -> Handover:
    row = session.get(Handover, handover_id)
    if row is None or row.association_id != association_id:
        raise NotFound(f"No handover #{handover_id}.")
    return row


def mark_done(
    session: Session, association_id: int, handover_id: int, item_id: int, by: str, now: datetime
) -> Handover:
    """Someone says this item was transferred; the handover closes with its last item.

    An item the last inventory still found with the departing person stays *held* (and the
    handover open) until a new inventory no longer finds it.
    """
    row = get_handover(session, association_id, handover_id)
    item = next((i for i in row.items if i.id == item_id), None)
    if item is None:
        raise NotFound(f"No item #{item_id} in this handover.")
    if item.done_at is None:
        item.done_at, item.done_by, item.done_how = now, by, "marked"
    if all(i.done_at is not None and not i.held for i in row.items):
        row.closed_at = now
    session.flush()
    return row


def _deactivated(session: Session, row: Handover) -> bool:
    member = session.get(Member, row.member_id) if row.member_id else None
    if member is None or not member.active:
        return True
    users = _users_of(session, row.association_id, member)
    return bool(users) and not any(u.active for u in users)


def states(session: Session, association_id: int) -> list[HandoverState]:
    """Every open handover as the rules see it."""
    return [
        HandoverState(
            id=row.id,
            name=row.member_name,
            started_at=row.started_at,
            closed=row.closed_at is not None,
            account_deactivated=_deactivated(session, row),
            open_items=sum(1 for i in row.items if i.done_at is None or i.held),
            deactivated_at=row.deactivated_at,
        )
        for row in list_handovers(session, association_id)
        if row.closed_at is None
    ]
