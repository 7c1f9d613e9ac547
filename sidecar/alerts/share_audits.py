"""The cached sharing audit: read the shares through OCS now and then, let rules read the cache.

The audit costs one OCS request per source and group, so it runs every
:data:`REFRESH_EVERY` from the scheduler and on ``quorum alerts run --shares``, never on each
alerts cycle (and when an officer presses "refresh now" on the shares page). An audit that worked
replaces the cached findings, with its partial problems as notes (a group the account may not
list, checked by name only); a failed one (shares unreadable, login refused) keeps them, and
records its error, which raises the ``share_audit_failing`` alert instead of resolving the share
alerts: "could not look" never reads as "nothing wrong".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from sidecar.projection.shares import Finding
from sidecar.security.vault import Vault
from sidecar.services import share_audit as audit_service
from sidecar.services.share_audit import AuditNote
from sidecar.storage.models import Association, ShareAudit

REFRESH_EVERY = timedelta(hours=4)
Auditor = Callable[[Session, Association, Vault, date], audit_service.AuditResult]


@dataclass(frozen=True)
class CachedAudit:
    """The findings of the last successful audit (None: never succeeded) and the last error.

    ``share_count``, ``expires`` and ``notes`` belong to the audit behind ``findings``.
    """

    findings: tuple[Finding, ...] | None
    at: datetime | None
    error: str | None
    share_count: int | None = None
    expires: Mapping[str, date] = field(default_factory=dict)
    notes: tuple[AuditNote, ...] = ()


def cached(session: Session, association_id: int) -> CachedAudit:
    """What the rules and the shares page read instead of calling OCS."""
    row = session.get(ShareAudit, association_id)
    if row is None:
        return CachedAudit(None, None, None)
    if row.at is None:
        return CachedAudit(None, None, row.error)
    return CachedAudit(
        tuple(Finding(**item) for item in row.findings),
        row.at,
        row.error,
        row.share_count,
        {share: date.fromisoformat(day) for share, day in (row.expires or {}).items()},
        tuple(AuditNote(**item) for item in row.notes or []),
    )


def refresh(
    session: Session,
    association: Association,
    vault: Vault,
    now: datetime,
    auditor: Auditor = audit_service.share_audit,
) -> CachedAudit:
    """Audit the shares now and store the outcome; errors are kept, never raised."""
    result = auditor(session, association, vault, now.date())
    row = session.get(ShareAudit, association.id)
    if row is None:
        row = ShareAudit(association_id=association.id, findings=[])
        session.add(row)
    row.attempted_at = now
    if result.errors:
        # The error texts name sources and groups, never a password.
        row.error = "; ".join(result.errors)[:2000]
    else:
        row.at, row.error, row.share_count = now, None, result.share_count
        row.findings = [asdict(f) for f in result.findings]
        row.expires = {share: day.isoformat() for share, day in result.expires.items()}
        row.notes = [asdict(n) for n in result.notes]
    session.flush()
    return cached(session, association.id)
