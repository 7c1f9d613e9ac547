"""Grant dossiers: rows become the projection's plain inputs; the admin's records and ticks.

The projection (:mod:`sidecar.projection.grants`) stays pure; this module loads the mirror and the
admin's records, runs it, and writes what an admin decides (a recorded dossier, a ticked piece, an
officer change)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from sidecar.errors import NotFound, QuorumError
from sidecar.formatting import whole_number
from sidecar.projection import grants as projection
from sidecar.projection.grants import Dossier, GrantConventions, GrantRecord, PieceTick
from sidecar.projection.obligations import Obligation, OfficerChange, all_obligations
from sidecar.security import links
from sidecar.storage import models, read_models
from sidecar.storage.kept import Kept
from sidecar.storage.read import load_events, load_files

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


# Built once: the obligations are read on every request, and building a statement costs about
# as much as running it on PostgreSQL.
_OFFICER_CHANGES = (
    select(models.OfficerChange)
    .where(models.OfficerChange.association_id == bindparam("association_id"))
    .order_by(models.OfficerChange.changed_on)
)


def load_officer_changes(session: Session, association_id: int) -> list[OfficerChange]:
    rows = session.scalars(_OFFICER_CHANGES, {"association_id": association_id})
    return [OfficerChange(r.id, r.changed_on, r.description, r.declared_on) for r in rows]


#: Associations × days one process keeps; each is a few kB.
_DOSSIERS: Kept[tuple[int, str, date], list[Dossier]] = Kept(32)


def dossiers(session: Session, association: models.Association, today: date) -> list[Dossier]:
    """Every dossier of the association, found and recorded, with its pieces.

    Computed once per change of what they depend on (the read models' fingerprint: the
    mirror's cursors, grants, ticks, settings) and per day in each process, then reused.
    """
    key = (association.id, read_models.fingerprint(session, association), today)
    return _DOSSIERS.get(
        key,
        lambda: projection.find_dossiers(
            load_files(session, association.id),
            load_events(session, association.id, roles=("deadlines", "grants")),
            load_records(session, association.id),
            load_ticks(session, association.id),
            conventions(association),
            today,
        ),
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
    session: Session,
    association_id: int,
    values: dict[str, Any],
    grant_id: int | None = None,
    *,
    former_key: str | None = None,
) -> models.Grant:
    """Create or update a recorded grant; only the editable fields are taken from ``values``.

    ``former_key`` is the address the dossier had before (a found dossier being recorded): it
    is kept, so links to it keep leading to the grant whatever is corrected later.
    """
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
    if former_key:
        remember_address(session, association_id, former_key, row.id)
    return row


def remember_address(session: Session, association_id: int, old_key: str, grant_id: int) -> None:
    """Keep ``old_key`` leading to grant ``grant_id`` (the latest grant wins a reused key)."""
    if old_key == f"g{grant_id}":
        return
    alias = session.get(models.GrantAlias, (association_id, old_key))
    if alias is None:
        session.add(
            models.GrantAlias(association_id=association_id, old_key=old_key, grant_id=grant_id)
        )
    else:
        alias.grant_id = grant_id
    session.flush()


def address_now(session: Session, association_id: int, old_key: str) -> str | None:
    """The key of the grant a former address leads to, if one was kept."""
    alias = session.get(models.GrantAlias, (association_id, old_key))
    return f"g{alias.grant_id}" if alias is not None else None


def tick_piece(session: Session, grant_id: int, piece_key: str, link: str) -> None:
    """Record that a piece exists elsewhere (a link, or on paper: no link).

    The link is shown to every officer as a link, so only an http(s) address is kept: a
    ``javascript:`` one would run script in the session of whoever clicks it.
    """
    link = link.strip()
    if link and not links.is_safe_url(link):
        raise QuorumError(
            "The link must be an address starting with https:// or http://.",
            code="grant.link_scheme",
        )
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


def grant_row(session: Session, association_id: int, grant_id: int) -> models.Grant:
    """A recorded grant of the association."""
    row = session.get(models.Grant, grant_id)
    if row is None or row.association_id != association_id:
        raise NotFound(f"No grant dossier #{grant_id}.", code="grant.unknown", grant_id=grant_id)
    return row


def found_dossier(
    session: Session, association: models.Association, today: date, key: str
) -> Dossier:
    """The dossier with ``key`` (``g12``, ``f:/Subventions/…/``, ``e:Funder 2027``)."""
    for d in dossiers(session, association, today):
        if d.key == key:
            return d
    raise NotFound(
        f"No dossier {key!r}: it may have been renamed or removed in Nextcloud.",
        code="dossier.unknown",
        key=key,
    )


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
    return save_grant(session, association.id, draft_values(dossier), former_key=dossier.key)


def grant_for_key(
    session: Session, association: models.Association, today: date, key: str
) -> models.Grant:
    """The recorded grant behind ``key``, confirming a found dossier first (ticks need a row)."""
    grant_id = whole_number(key[1:]) if key.startswith("g") else None
    if grant_id is not None:
        return grant_row(session, association.id, grant_id)
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
        raise NotFound(
            f"No change of officers #{change_id}.", code="officers.unknown", change_id=change_id
        )
    row.declared_on = declared_on
    session.flush()
    return row
