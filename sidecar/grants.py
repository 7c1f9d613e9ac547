"""Grants service: loads the mirror and the admin's records, runs the projections, reads shares.

The projections stay pure; this module is where rows become their plain inputs and where OCS
shares become :class:`ShareInfo`, so neither the database nor the protocol leaks into them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import AuthError, ForbiddenError, IntegrationError, OcsError
from integrations.ocs import OcsClient
from integrations.types import Share
from sidecar import sources as sources_service
from sidecar.errors import NotFound
from sidecar.projection import grants as projection
from sidecar.projection.grants import Dossier, GrantConventions, GrantRecord, PieceTick
from sidecar.projection.obligations import Obligation, OfficerChange, all_obligations
from sidecar.projection.shares import DEFAULT_SENSITIVE, Finding, Insiders, ShareInfo, audit
from sidecar.storage import models
from sidecar.storage.read import load_bodies, load_events, load_files, load_members
from sidecar.vault import Vault

EDITABLE = (
    "funder", "programme", "year", "status", "amount_requested_cents", "amount_awarded_cents",
    "submission_deadline", "decision_date", "action_start", "action_end", "report_due",
    "folder", "owner_member_id", "confirmed",
)  # fmt: skip


def conventions(association: models.Association) -> GrantConventions:
    return GrantConventions.from_settings(
        association.settings or {}, association.financial_year_end
    )


def _record(row: models.Grant) -> GrantRecord:
    return GrantRecord(**{name: getattr(row, name) for name in ("id", *EDITABLE)})


def load_records(session: Session, association_id: int) -> list[GrantRecord]:
    rows = session.scalars(
        select(models.Grant)
        .where(models.Grant.association_id == association_id)
        .order_by(models.Grant.id)
    )
    return [_record(r) for r in rows]


def load_ticks(session: Session, association_id: int) -> list[PieceTick]:
    rows = session.scalars(
        select(models.GrantPieceTick)
        .join(models.Grant, models.GrantPieceTick.grant_id == models.Grant.id)
        .where(models.Grant.association_id == association_id)
    )
    return [PieceTick(r.grant_id, r.piece_key, r.link) for r in rows]


def load_officer_changes(session: Session, association_id: int) -> list[OfficerChange]:
    rows = session.scalars(
        select(models.OfficerChange)
        .where(models.OfficerChange.association_id == association_id)
        .order_by(models.OfficerChange.changed_on)
    )
    return [OfficerChange(r.id, r.changed_on, r.description, r.declared_on) for r in rows]


def dossiers(session: Session, association: models.Association, today: date) -> list[Dossier]:
    """Every dossier of the association, found and recorded, with its pieces."""
    return projection.find_dossiers(
        load_files(session, association.id),
        load_events(session, association.id, roles=("deadlines", "grants")),
        load_records(session, association.id),
        load_ticks(session, association.id),
        conventions(association),
        today,
    )


def obligations(
    session: Session,
    association: models.Association,
    today: date,
    found: Sequence[Dossier] | None = None,
) -> list[Obligation]:
    """Every obligation of the association, soonest first."""
    found = dossiers(session, association, today) if found is None else found
    changes = load_officer_changes(session, association.id)
    return all_obligations(found, changes, association.financial_year_end, today)


def save_grant(
    session: Session, association_id: int, values: dict[str, Any], grant_id: int | None = None
) -> models.Grant:
    """Create or update a recorded grant; only the editable fields are taken from ``values``."""
    if values.get("status", "preparing") not in projection.STATUSES:
        raise ValueError(f"Unknown status {values['status']!r}: use one of {projection.STATUSES}.")
    row = session.get(models.Grant, grant_id) if grant_id is not None else None
    if row is None or row.association_id != association_id:
        row = models.Grant(association_id=association_id, funder="", programme="")
        session.add(row)
    for name in EDITABLE:
        if name in values:
            setattr(row, name, values[name])
    session.flush()
    return row


def tick_piece(session: Session, grant_id: int, piece_key: str, link: str) -> None:
    """Record that a piece exists elsewhere (a link, or on paper)."""
    tick = session.get(models.GrantPieceTick, (grant_id, piece_key))
    if tick is None:
        session.add(models.GrantPieceTick(grant_id=grant_id, piece_key=piece_key, link=link))
    else:
        tick.link = link


@dataclass(frozen=True)
class Glance:
    """One open dossier as the overview shows it."""

    key: str
    label: str
    completeness: int | None
    next_deadline: date | None


def glance(
    session: Session, association: models.Association, today: date, *, limit: int = 5
) -> list[Glance]:
    """Open dossiers (idea, preparing, submitted), the soonest deadline first."""
    rows = [
        Glance(
            d.key,
            f"{d.funder} {d.year or ''}".strip(),
            d.completeness,
            projection.next_deadline(d, today),
        )
        for d in dossiers(session, association, today)
        if d.status in projection.OPEN_STATUSES
    ]
    rows.sort(key=lambda g: (g.next_deadline is None, g.next_deadline or today, g.label))
    return rows[:limit]


# --- editing ----------------------------------------------------------------------------

DATE_FIELDS = (
    "submission_deadline", "decision_date", "action_start", "action_end", "report_due",
)  # fmt: skip
AMOUNT_FIELDS = ("amount_requested_cents", "amount_awarded_cents")
MAX_AMOUNT_CENTS = 10**13  # ten thousand million euros: anything above is a typing slip


def parse_amount(text: str) -> int:
    """Euros as typed in France or elsewhere ("1 500,50", "1500.5", "23 000 €") to cents."""
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    cleaned = cleaned.replace(",", ".")
    if cleaned.count(".") > 1 or not cleaned.replace(".", "").isdigit():
        raise ValueError(text)
    euros, _, cents = cleaned.partition(".")
    if len(cents) > 2:
        raise ValueError(text)
    return int(euros or "0") * 100 + int((cents + "00")[:2])


def _parse_one(name: str, text: str) -> tuple[Any, str | None]:
    """One field's value from its text, or an error code (``amount``, ``date``, ``number``…)."""
    if name in AMOUNT_FIELDS:
        try:
            cents = parse_amount(text)
        except ValueError:
            return None, "amount"
        return (cents, None) if cents < MAX_AMOUNT_CENTS else (None, "amount")
    if name in DATE_FIELDS:
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None, "date"
    if name in ("year", "owner_member_id"):
        return (int(text), None) if text.isdigit() else (None, "number")
    if name == "status":
        return (text, None) if text in projection.STATUSES else (None, "status")
    if name == "folder":
        return "/" + text.strip("/") + "/", None
    if name == "confirmed":
        return text.lower() in ("1", "on", "true", "yes"), None
    return text, None


def parse_grant(
    raw: Mapping[str, Any], *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Editable grant fields from a form or JSON: (values, error codes by field).

    Amounts are given in euros (``amount_requested`` / ``amount_awarded``) or in cents (the
    ``*_cents`` names, JSON only); dates are ISO (2027-03-31); an empty field clears the value.
    Codes: ``required``, ``amount``, ``date``, ``number``, ``status``, ``period``.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in EDITABLE:
        given = raw.get(name, raw.get(name.removesuffix("_cents")))
        if given is None:
            continue
        if name in AMOUNT_FIELDS and name in raw:  # cents, as the API returns them
            ok = isinstance(given, int) and not isinstance(given, bool) and given >= 0
            values[name] = given if ok else None
            errors.update({} if ok else {name: "amount"})
            continue
        text = str(given).strip() if not isinstance(given, bool) else str(given).lower()
        if text == "" and name not in ("funder", "status", "confirmed", "programme"):
            values[name] = None
            continue
        value, problem = _parse_one(name, text)
        if problem:
            errors[name] = problem
        else:
            values[name] = value
    if ("funder" in values or not partial) and not str(values.get("funder") or "").strip():
        errors["funder"] = "required"
    start, end = values.get("action_start"), values.get("action_end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        errors["action_end"] = "period"
    return values, errors


def grant_row(session: Session, association_id: int, grant_id: int) -> models.Grant:
    """A recorded grant of the association."""
    row = session.get(models.Grant, grant_id)
    if row is None or row.association_id != association_id:
        raise NotFound(f"No grant dossier #{grant_id}.")
    return row


def found_dossier(
    session: Session, association: models.Association, today: date, key: str
) -> Dossier:
    """The dossier with ``key`` (``g12``, ``f:/Subventions/…/``, ``e:Funder 2027``)."""
    for d in dossiers(session, association, today):
        if d.key == key:
            return d
    raise NotFound(f"No dossier {key!r}: it may have been renamed or removed in Nextcloud.")


def draft_values(dossier: Dossier) -> dict[str, Any]:
    """What a dossier found automatically would be recorded as (the admin may correct it)."""
    if dossier.record is not None:
        return {name: getattr(dossier.record, name) for name in EDITABLE}
    return {
        "funder": dossier.funder,
        "year": dossier.year,
        "status": dossier.status,
        "folder": dossier.folder,
        "submission_deadline": dossier.submission_deadline,
        "confirmed": True,
    }


def confirm_dossier(
    session: Session, association: models.Association, today: date, key: str
) -> models.Grant:
    """Record a dossier found automatically as the admin's (or mark a recorded one confirmed)."""
    dossier = found_dossier(session, association, today, key)
    if dossier.record is not None:
        row = grant_row(session, association.id, dossier.record.id)
        row.confirmed = True
        session.flush()
        return row
    return save_grant(session, association.id, draft_values(dossier))


def grant_for_key(
    session: Session, association: models.Association, today: date, key: str
) -> models.Grant:
    """The recorded grant behind ``key``, confirming a found dossier first (ticks need a row)."""
    if key.startswith("g") and key[1:].isdigit():
        return grant_row(session, association.id, int(key[1:]))
    return confirm_dossier(session, association, today, key)


def untick_piece(session: Session, grant_id: int, piece_key: str) -> bool:
    """Forget a hand tick; the piece is matched against the files again."""
    tick = session.get(models.GrantPieceTick, (grant_id, piece_key))
    if tick is None:
        return False
    session.delete(tick)
    session.flush()
    return True


def record_officer_change(
    session: Session,
    association_id: int,
    changed_on: date,
    description: str,
    declared_on: date | None = None,
) -> models.OfficerChange:
    """A change of officers: the préfecture declaration is due within 3 months."""
    row = models.OfficerChange(
        association_id=association_id,
        changed_on=changed_on,
        description=description.strip(),
        declared_on=declared_on,
    )
    session.add(row)
    session.flush()
    return row


def mark_declared(
    session: Session, association_id: int, change_id: int, declared_on: date
) -> models.OfficerChange:
    """Record that the change was declared to the préfecture (the obligation is then done)."""
    row = session.get(models.OfficerChange, change_id)
    if row is None or row.association_id != association_id:
        raise NotFound(f"No change of officers #{change_id}.")
    row.declared_on = declared_on
    session.flush()
    return row


# --- documents ------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentChange:
    """One entry of the recent-activity log, with a link that opens the file in Nextcloud."""

    change: str
    path: str
    old_path: str | None
    is_folder: bool
    at: datetime
    open_url: str | None
    fileid: str | None = None


def document_changes(
    session: Session, association_id: int, since: datetime, *, limit: int = 500
) -> list[DocumentChange]:
    """Files added, changed, moved or removed since ``since``, newest first."""
    rows = session.execute(
        select(models.FileChange, models.Source.base_url)
        .join(models.Collection, models.FileChange.collection_id == models.Collection.id)
        .join(models.Source, models.Collection.source_id == models.Source.id)
        .where(models.Source.association_id == association_id, models.FileChange.at >= since)
        .order_by(models.FileChange.at.desc(), models.FileChange.id.desc())
        .limit(limit)
    )
    return [
        DocumentChange(
            c.change,
            c.path,
            c.old_path,
            c.is_folder,
            c.at,
            open_url(base, c.fileid) if c.change != "removed" else None,
            c.fileid,
        )
        for c, base in rows
    ]


def open_url(base_url: str, fileid: str | None) -> str | None:
    """Nextcloud's permanent link to a file (survives renames and moves)."""
    if not fileid:
        return None
    # OC-FileId headers carry the instance id after the zero-padded number: keep the number.
    number = fileid.split("oc", 1)[0].lstrip("0") or "0"
    return f"{base_url.rstrip('/')}/index.php/f/{number}"


# --- sharing audit --------------------------------------------------------------------


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


def group_refused(err: IntegrationError) -> str | None:
    """Why Nextcloud refused to list a group's members on rights, or None for any other failure.

    A non-admin account gets OCS 997, which OCS v2 sends as HTTP 401 (so it arrives as an
    :class:`AuthError`), or a 403. The shares list, read just before with the same app password,
    shows the login itself works, so here a 401 means "not allowed", not "wrong password".
    """
    if isinstance(err, AuthError):
        return "Nextcloud answered 401 Unauthorised (OCS 997) for this account"
    if isinstance(err, OcsError) and (err.statuscode in (403, 997) or err.http_status == 403):
        return str(err)
    return str(err) if isinstance(err, ForbiddenError) else None


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
            detail = group_refused(err)
            if detail is None:
                raise
            # Listing a group needs admin rights: fall back to matching the body's name.
            notes.append(AuditNote("group_members_unreadable", gid, detail))
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
    connect: Callable[..., sources_service.Connection] = sources_service.connect,
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
