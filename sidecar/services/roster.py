"""Bodies and their roster: rules edited by an admin, members imported from a Nextcloud group
or entered by hand.

An import adds and updates, never removes: a member missing from the group is reported, and the
admin decides. A Nextcloud account without an e-mail address cannot be matched to calendar
attendees, so it is skipped and reported too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from integrations.errors import IntegrationError
from integrations.types import NcUser
from sidecar.errors import NotFound, QuorumError
from sidecar.formatting import whole_number
from sidecar.security.vault import Vault
from sidecar.storage.models import Association, Body, Member, Membership, Source
from sidecar.sync.connection import Connection, connect

KINDS = ("ca", "bureau", "ag", "age", "custom")
DEFAULT_ROLE = "membre"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
QUORUM = re.compile(r"^\d+(/\d+)?$")
INT_RULES = ("notice_days", "proxy_cap", "minutes_due_days")
BOOL_RULES = ("proxies_allowed", "remote_allowed")


@dataclass(frozen=True)
class RosterImport:
    """What an import from a group did."""

    body: str
    group: str
    added: tuple[str, ...] = ()  # e-mails of members newly seated on the body
    updated: tuple[str, ...] = ()  # already seated: name or Nextcloud id refreshed
    skipped: tuple[str, ...] = ()  # Nextcloud ids without an e-mail address
    not_in_group: tuple[str, ...] = ()  # seated on the body but absent from the group
    # Nextcloud ids whose e-mail is already another roster member's: never linked by e-mail
    # (a Nextcloud user can set any address); an admin links the seat to the id by hand.
    unconfirmed: tuple[str, ...] = ()


@dataclass
class _Tally:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)


# Built once: the bodies page and GET /api/v1/bodies read it on every request (building a
# statement costs about as much as running it on PostgreSQL).
_BODIES_WITH_SEATS = (
    select(Body)
    .where(Body.association_id == bindparam("association_id"))
    .order_by(Body.id)
    # each body's seats and members in the same query, not two queries per body
    .options(joinedload(Body.memberships).joinedload(Membership.member))
)


def bodies_with_seats(session: Session, association_id: int) -> list[Body]:
    """The association's bodies, by id, with their seats and members loaded."""
    return list(session.scalars(_BODIES_WITH_SEATS, {"association_id": association_id}).unique())


def find_body(session: Session, association_id: int, code: str) -> Body:
    """The body with ``code`` (case-insensitive)."""
    for body in session.scalars(select(Body).where(Body.association_id == association_id)):
        if body.code.casefold() == code.casefold():
            return body
    raise NotFound(
        f"No body {code!r}: the bodies are listed on the Bodies & roster page.",
        code="roster.no_body",
        body=code,
    )


def get_body(session: Session, association_id: int, body_id: int) -> Body:
    body = session.get(Body, body_id)
    if body is None or body.association_id != association_id:
        raise NotFound(f"No body #{body_id}.")
    return body


def _member_for(session: Session, association_id: int, email: str, nc_user: str | None) -> Member:
    """The member known by Nextcloud id or e-mail, or a new one (not yet flushed)."""
    if nc_user:
        found = session.scalar(
            select(Member).where(Member.association_id == association_id, Member.nc_user == nc_user)
        )
        if found is not None:
            return found
    found = session.scalar(
        select(Member).where(Member.association_id == association_id, Member.email == email)
    )
    if found is not None:
        return found
    member = Member(association_id=association_id, name=email, email=email)
    session.add(member)
    return member


def seat(
    session: Session,
    body: Body,
    *,
    name: str,
    email: str,
    role: str = DEFAULT_ROLE,
    nc_user: str | None = None,
    keep_role: bool = False,
) -> bool:
    """Seat a person on ``body`` (creating or updating the member); True if newly seated."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise QuorumError(f"{email!r} is not an e-mail address.", code="roster.email", email=email)
    member = _member_for(session, body.association_id, email, nc_user or None)
    with session.no_autoflush:  # a new member is not in the database yet
        holder = session.scalar(
            select(Member).where(
                Member.association_id == body.association_id, Member.email == email
            )
        )
    if holder is not None and holder is not member:
        raise QuorumError(
            f"{email} is already the address of another member.",
            code="roster.email_taken",
            email=email,
        )
    member.name = name.strip() or member.name
    member.email = email
    member.nc_user = nc_user or member.nc_user
    member.active = True
    session.flush()
    existing = next((m for m in body.memberships if m.member_id == member.id), None)
    if existing is None:
        body.memberships.append(Membership(member=member, role=role.strip() or DEFAULT_ROLE))
        session.flush()
        return True
    if not keep_role:
        existing.role = role.strip() or existing.role
    return False


def unseat(session: Session, body: Body, member_id: int) -> bool:
    """Take a member off ``body`` (the member stays known, with their other seats)."""
    for membership in list(body.memberships):
        if membership.member_id == member_id:
            body.memberships.remove(membership)
            session.flush()
            return True
    return False


def import_users(session: Session, body: Body, group: str, users: Sequence[NcUser]) -> RosterImport:
    """Seat the group's users on ``body``; existing roles are kept, nobody is removed."""
    tally = _Tally()
    for user in users:
        if not user.email:
            tally.skipped.append(user.id)
            continue
        if not _linkable(session, body.association_id, user):
            tally.unconfirmed.append(user.id)
            continue
        try:
            newly = seat(
                session,
                body,
                name=user.display_name or user.id,
                email=user.email,
                nc_user=user.id,
                keep_role=True,
            )
        except QuorumError:  # its new e-mail is another member's: keep both as they are
            tally.unconfirmed.append(user.id)
            continue
        (tally.added if newly else tally.updated).append(user.email.lower())
    ids = {u.id for u in users}
    emails = {u.email.lower() for u in users if u.email}
    absent = tuple(
        m.member.email
        for m in body.memberships
        if m.member.nc_user not in ids and m.member.email not in emails
    )
    return RosterImport(
        body.code,
        group,
        tuple(tally.added),
        tuple(tally.updated),
        tuple(tally.skipped),
        absent,
        tuple(tally.unconfirmed),
    )


def _linkable(session: Session, association_id: int, user: NcUser) -> bool:
    """Whether an import may seat ``user`` by its Nextcloud id: its own seat exists, or its
    e-mail belongs to no other member (then a new member is created for that id)."""
    linked = session.scalar(
        select(Member.id).where(Member.association_id == association_id, Member.nc_user == user.id)
    )
    if linked is not None:
        return True
    holder = session.scalar(
        select(Member).where(
            Member.association_id == association_id,
            Member.email == (user.email or "").strip().lower(),
        )
    )
    return holder is None


def import_group(
    session: Session,
    association: Association,
    body_code: str,
    group: str,
    vault: Vault,
    connect: Callable[..., Connection] = connect,
) -> RosterImport:
    """Read group ``group`` through OCS (first source of the association) and seat its users."""
    body = find_body(session, association.id, body_code)
    source = session.scalar(
        select(Source).where(Source.association_id == association.id).order_by(Source.id)
    )
    if source is None:
        raise QuorumError(
            "No Nextcloud source yet: add one (`quorum source add`) first.",
            code="roster.no_source",
        )
    conn = connect(source, vault)
    try:
        users = conn.ocs.group_members(group)
    except IntegrationError as err:
        from sidecar.services.roster_suggest import listing_error

        error = listing_error(conn.ocs, source, group, body.code, err)
        if error is None:
            raise
        raise error from err
    finally:
        conn.close()
    return import_users(session, body, group, users)


# --- rules ------------------------------------------------------------------------------


def parse_rules(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Body rules from a form or JSON: (values, errors by field with an error code).

    Codes: ``required``, ``number`` (a whole number ≥ 0), ``quorum`` (a count or a fraction
    such as 1/2, at most 1), ``kind``.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in ("name",):
        if name in form:
            text = str(form[name]).strip()
            if not text:
                errors[name] = "required"
            values[name] = text
    if "kind" in form:
        if form["kind"] not in KINDS:
            errors["kind"] = "kind"
        values["kind"] = form["kind"]
    for name in INT_RULES:
        if name in form:
            number = whole_number(str(form[name]).strip())
            if number is None:
                errors[name] = "number"
            else:
                values[name] = number
    for name in ("quorum_first", "quorum_second"):
        if name in form:
            text = str(form[name]).replace(" ", "")
            if not _valid_quorum(text):
                errors[name] = "quorum"
            values[name] = text
    for name in BOOL_RULES:
        values[name] = str(form.get(name, "")).lower() in ("1", "on", "true", "yes")
    if "match_patterns" in form:
        lines = str(form["match_patterns"]).splitlines()
        values["match_patterns"] = [line.strip() for line in lines if line.strip()]
    if "folder" in form:
        values["folder"] = str(form["folder"]).strip().strip("/") or None
    return values, errors


def _valid_quorum(text: str) -> bool:
    if not QUORUM.match(text):
        return False
    if "/" in text:
        top, bottom = (int(p) for p in text.split("/"))
        return bottom > 0 and top <= bottom
    return True


def update_rules(session: Session, body: Body, values: Mapping[str, Any]) -> None:
    """Apply parsed rules (see :func:`parse_rules`) to ``body``."""
    for name, value in values.items():
        setattr(body, name, value)
    session.flush()


def create_body(session: Session, association_id: int, code: str, name: str, kind: str) -> Body:
    """A new body with the French defaults (docs/design.md); the code must be new."""
    code = code.strip().upper()
    if not code or not name.strip():
        raise QuorumError(
            "A body needs a short code (CA, BUREAU…) and a name.", code="roster.body_fields"
        )
    if kind not in KINDS:
        raise QuorumError(
            f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}.", code="roster.kind", kind=kind
        )
    try:
        find_body(session, association_id, code)
    except NotFound:
        body = Body(association_id=association_id, code=code, name=name.strip(), kind=kind)
        session.add(body)
        session.flush()
        return body
    raise QuorumError(f"A body {code!r} already exists.", code="roster.body_taken", body=code)
