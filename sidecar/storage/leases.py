"""Database leases: one holder at a time for a named duty (the scheduler, an alerts cycle).

A lease expires on its own, so a process killed while holding one blocks nobody for long.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from sidecar.storage import Database
from sidecar.storage.models import Lease


def acquire_lease(db: Database, name: str, holder: str, ttl: float, now: datetime) -> bool:
    """Take or renew ``name`` for ``ttl`` seconds; False if someone else holds it unexpired."""
    expires = now + timedelta(seconds=ttl)
    with db.session() as session:
        result = session.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
            .values(holder=holder, expires_at=expires)
        )
        if int(result.rowcount) == 1:  # type: ignore[attr-defined]
            return True
    try:
        with db.session() as session:
            session.add(Lease(name=name, holder=holder, expires_at=expires))
    except IntegrityError:  # it exists and is someone else's, or another process inserted first
        return False
    return True


def release_lease(db: Database, name: str, holder: str) -> None:
    with db.session() as session:
        session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


__all__ = ["acquire_lease", "release_lease"]
