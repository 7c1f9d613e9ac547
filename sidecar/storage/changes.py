"""Changes that call for an alerts cycle: any write to what the rules read makes it due now.

It lives in storage so that every process with a database has it (the web, the CLI, the
scheduler, a worker): :mod:`sidecar.storage` imports it, and it only knows the models.

One ``before_flush`` hook on every ORM session sees each insert, update and delete of the
association's settings and read models (bodies, members, grants, meeting overrides, channels,
routes, the association's own settings) and empties that association's ``alerts_due_at`` (due at once),
in the same transaction. So the web, the API, the CLI and ``config import`` need not remember
to ask for a cycle, and an idle association costs nothing on a tick.

The sync's own writes are not watched here (they are bulk and numerous): the scheduler marks
the association of a sync run that changed something (see :func:`sidecar.alerts.cycle.mark_changed`).
Inside a cycle (:func:`quiet`), writes are the cycle's own bookkeeping and mark nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from sidecar.storage.models import (
    Association,
    Body,
    Channel,
    Grant,
    GrantPieceTick,
    MeetingOverrideRecord,
    MeetingProxyRecord,
    Member,
    Membership,
    OfficerChange,
    RoutingRule,
)

WATCHED = (
    Body,
    Channel,
    Grant,
    MeetingOverrideRecord,
    MeetingProxyRecord,
    Member,
    OfficerChange,
    RoutingRule,
)
# Association columns that are bookkeeping, not settings the rules read.
_NOT_SETTINGS = frozenset({"alerts_due_at", "alerts_checked_at", "disabled_at"})
_quiet: ContextVar[bool] = ContextVar("quorum_alerts_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Writes made inside are not changes that call for a cycle (the cycle's own)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def changed_associations(session: Session) -> set[int]:
    """Associations whose settings or read models this flush writes."""
    found: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Association):
            if obj.id is not None and _settings_changed(session, obj):
                found.add(obj.id)
        elif isinstance(obj, WATCHED):
            association_id = getattr(obj, "association_id", None)
            if association_id is not None:
                found.add(int(association_id))
        elif isinstance(obj, Membership):
            found |= _owner(session, Body, obj.body_id)
        elif isinstance(obj, GrantPieceTick):
            found |= _owner(session, Grant, obj.grant_id)
    return found


def _settings_changed(session: Session, association: Association) -> bool:
    if association in session.new:
        return False  # a new association is due anyway (its due time is empty)
    changed = {a.key for a in inspect(association).attrs if a.history.has_changes()}
    return bool(changed - _NOT_SETTINGS)


def _owner(session: Session, parent: type[Body] | type[Grant], parent_id: int | None) -> set[int]:
    """The association of a row that hangs off a body or a grant."""
    if parent_id is None:
        return set()
    found = session.get(parent, parent_id)
    return {found.association_id} if isinstance(found, Body | Grant) else set()


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _quiet.get():
        return
    with session.no_autoflush:
        for association_id in changed_associations(session):
            association = session.get(Association, association_id)
            if association is not None and association.alerts_due_at is not None:
                association.alerts_due_at = None  # due at once, whatever the clock says


event.listen(Session, "before_flush", _before_flush)
