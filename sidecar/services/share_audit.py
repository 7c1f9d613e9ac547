"""The sharing audit: OCS shares become :class:`ShareInfo`, the pure audit judges them.

Neither the database nor the protocol leaks into :mod:`sidecar.projection.shares`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import AuthError, ForbiddenError, IntegrationError, OcsError
from integrations.ocs import OcsClient
from integrations.types import Share
from sidecar.projection import grants as projection
from sidecar.projection.shares import DEFAULT_SENSITIVE, Finding, Insiders, ShareInfo, audit
from sidecar.security.vault import Vault
from sidecar.storage import models
from sidecar.storage.read import load_bodies, load_members
from sidecar.sync.connection import Connection, connect


@dataclass(frozen=True)
class AuditNote:
    """A problem that left the audit usable but less precise (e.g. a group checked by name)."""

    kind: str  # group_members_unreadable
    subject: str  # the group id
    detail: str  # Nextcloud's own words, for the admin


@dataclass(frozen=True)
class AuditResult:
    """What one audit found; ``errors`` are fatal (the findings are not to be trusted), ``notes``
    partial (the findings stand, some checks were coarser)."""

    findings: list[Finding]
    share_count: int
    errors: list[str] = field(default_factory=list)
    expires: dict[str, date] = field(default_factory=dict)  # share id → expiration day
    notes: list[AuditNote] = field(default_factory=list)


@dataclass(frozen=True)
class SharesRead:
    """The shares of one account, the members of the groups it could read, and what it could not."""

    shares: list[ShareInfo]
    groups: dict[str, tuple[str, ...]]
    notes: list[AuditNote]


def share_info(share: Share) -> ShareInfo:
    """An OCS share as the pure audit sees it."""
    return ShareInfo(
        id=share.id,
        share_type=share.share_type,
        path=share.path,
        item_type=share.item_type,
        owner=share.owner,
        share_with=share.share_with,
        share_with_displayname=share.share_with_displayname,
        permissions=share.permissions,
        has_password=share.has_password,
        expiration=share.expiration,
        url=share.url,
        label=share.label,
    )


def insiders(
    session: Session, association_id: int, group_members: dict[str, tuple[str, ...]]
) -> Insiders:
    """Members of the bodies (Nextcloud ids and e-mails), the bodies' names, known groups."""
    members = load_members(session, association_id)
    bodies = load_bodies(session, association_id)
    return Insiders(
        users=frozenset(m.nc_user for m in members if m.nc_user),
        emails=frozenset(m.email.casefold() for m in members),
        body_names=frozenset(projection.normalise(n) for b in bodies for n in (b.code, b.name)),
        group_members=group_members,
    )


@dataclass(frozen=True)
class ListingRefusal:
    """Why Nextcloud would not list a group's members: ``rights`` (the account is neither an
    admin nor a group admin of it), ``no_group`` (there is no such group) or ``password`` (the
    app password itself was refused)."""

    kind: str
    detail: str  # Nextcloud's own words, for the admin


def listing_refusal(
    ocs: OcsClient, gid: str, err: IntegrationError, *, login_works: bool
) -> ListingRefusal | None:
    """Tell a refusal on rights from a missing group or a refused app password; None for any
    other failure (a server in trouble says nothing about rights).

    Nextcloud 29's ``cloud/groups/{gid}/users/details`` answers a non-subadmin 404 "The
    requested group could not be found", as for a group that does not exist
    (GroupsController::getGroupUsersDetails); ``cloud/groups/{gid}/users`` tells them apart:
    403 for a refusal, 404 for no group. Older servers answered OCS 997, which OCS v2 sends as
    HTTP 401: that is a refusal only when this app password is known to work (``login_works``,
    e.g. the shares were just read with it), so otherwise ``cloud/user`` is asked once.
    """
    if isinstance(err, AuthError):
        if not login_works:
            try:
                ocs.current_user()
            except AuthError as refused:
                return ListingRefusal("password", str(refused))
        return ListingRefusal("rights", "Nextcloud answered 401 Unauthorised (OCS 997)")
    if isinstance(err, ForbiddenError) or (
        isinstance(err, OcsError) and (err.statuscode in (403, 997) or err.http_status == 403)
    ):
        return ListingRefusal("rights", str(err))
    if isinstance(err, OcsError) and 404 in (err.statuscode, err.http_status):
        try:
            ocs.group_member_ids(gid)
        except IntegrationError as probe:
            if isinstance(probe, OcsError) and 404 in (probe.statuscode, probe.http_status):
                return ListingRefusal("no_group", str(err))
            if isinstance(probe, AuthError | ForbiddenError | OcsError):
                found = listing_refusal(ocs, gid, probe, login_works=login_works)
                if found is not None and found.kind != "no_group":
                    return found
            return None
    return None


def read_shares(ocs: OcsClient) -> SharesRead:
    """Shares of one account and, where readable, the members of the groups they target.

    Raises :class:`IntegrationError` when the shares themselves (or a group, for any reason but
    missing rights) cannot be read; a group the account may not list becomes an :class:`AuditNote`.
    """
    shares = [share_info(s) for s in ocs.shares()]
    groups: dict[str, tuple[str, ...]] = {}
    notes: list[AuditNote] = []
    for gid in sorted({s.share_with for s in shares if s.share_type == 1 and s.share_with}):
        try:
            groups[gid] = tuple(u.id for u in ocs.group_members(gid))
        except IntegrationError as err:
            # The shares were just read with this app password: a 401 here is about rights.
            why = listing_refusal(ocs, gid, err, login_works=True)
            if why is None:
                raise
            # Listing a group needs admin rights (or the group is gone): fall back to matching
            # the body's name.
            notes.append(AuditNote("group_members_unreadable", gid, why.detail))
    return SharesRead(shares, groups, notes)


def audit_shares(
    shares: Sequence[ShareInfo],
    groups: dict[str, tuple[str, ...]],
    session: Session,
    association: models.Association,
    today: date,
) -> list[Finding]:
    sensitive = (association.settings or {}).get("sensitive_folders") or list(DEFAULT_SENSITIVE)
    return audit(shares, insiders(session, association.id, groups), sensitive, today)


def share_audit(
    session: Session,
    association: models.Association,
    vault: Vault,
    today: date,
    connect: Callable[..., Connection] = connect,
) -> AuditResult:
    """Read every source's shares through OCS and audit them; Quorum changes no share."""
    shares: list[ShareInfo] = []
    groups: dict[str, tuple[str, ...]] = {}
    errors: list[str] = []
    notes: list[AuditNote] = []
    rows = session.scalars(
        select(models.Source).where(models.Source.association_id == association.id)
    )
    for source in rows:
        conn = connect(source, vault)
        try:
            read = read_shares(conn.ocs)
        except IntegrationError as err:
            errors.append(f"{source.name}: {err}")
            continue
        finally:
            conn.close()
        shares += read.shares
        groups |= read.groups
        notes += read.notes
    expires = {s.id: s.expiration.date() for s in shares if s.expiration is not None}
    findings = audit_shares(shares, groups, session, association, today)
    return AuditResult(findings, len(shares), errors, expires, notes)
