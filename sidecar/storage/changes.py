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

The same hook counts, in ``Association.inputs_version``, every write to what the read models
are derived from (:data:`INPUTS`: settings, bodies, seats, members, overrides, grants, the
collections' settings and sync cursors, and mirror rows written through the ORM), as the
writing transaction commits. The sync's bulk writes move their collections' cursors in the same
transaction, so they count too. A reader that checked the read models at a version need not
read their inputs again until it changes (:func:`sidecar.storage.read_models.freshness`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from sidecar.storage.models import (
    Association,
    Body,
    CalendarObjectRecord,
    Channel,
    Collection,
    FileRecord,
    Grant,
    GrantPieceTick,
    MeetingOverrideRecord,
    MeetingProxyRecord,
    Member,
    Membership,
    Occurrence,
    OfficerChange,
    RoutingRule,
    Source,
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
_NOT_SETTINGS = frozenset({"alerts_due_at", "alerts_checked_at", "disabled_at", "inputs_version"})
#: Rows whose every write changes what the read models are derived from. The mirror's rows
#: (files, calendar objects, occurrences) among them: the sync writes those in bulk, not seen
#: here, but moves its collections' cursors with them; written through the ORM, they count.
INPUTS: tuple[type[Any], ...] = (
    Body,
    Member,
    Membership,
    MeetingOverrideRecord,
    Grant,
    GrantPieceTick,
    Source,
    FileRecord,
    CalendarObjectRecord,
    Occurrence,
)
#: The collection columns the read models read (their sync cursors among them); the time of
#: the last poll is not one, so an idle poll counts nothing.
COLLECTION_INPUTS = frozenset(
    {"role", "enabled", "display_name", "sync_token", "ctag", "etag", "expanded_from"}
)
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
    """Associations whose settings or read models this flush writes (an alerts cycle is due)."""
    return _written(session, (*WATCHED, Membership, GrantPieceTick), collections=False)


def changed_inputs(session: Session) -> set[int]:
    """Associations whose read models' inputs this flush writes."""
    return _written(session, INPUTS, collections=True)


def _written(session: Session, kinds: tuple[type[Any], ...], *, collections: bool) -> set[int]:
    """Associations of this flush's writes to their settings, to rows of ``kinds`` and, if
    ``collections``, to the collection columns the read models read."""
    found: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Association):
            if obj.id is not None and _settings_changed(session, obj):
                found.add(obj.id)
        elif collections and isinstance(obj, Collection):
            if obj not in session.dirty or _changed(obj) & COLLECTION_INPUTS:
                found |= _association_of(session, obj)
        elif isinstance(obj, kinds):
            found |= _association_of(session, obj)
    return found


def _changed(obj: object) -> set[str]:
    return {a.key for a in inspect(obj).attrs if a.history.has_changes()}


def _association_of(session: Session, obj: object) -> set[int]:
    """The association a row belongs to, through its body, grant, collection or source."""
    association_id = getattr(obj, "association_id", None)
    if association_id is not None:
        return {int(association_id)}
    for key, parent in (
        ("body_id", Body),
        ("grant_id", Grant),
        ("collection_id", Collection),
        ("source_id", Source),
    ):
        parent_id = getattr(obj, key, None)
        if parent_id is not None:
            found = session.get(parent, parent_id)
            return _association_of(session, found) if found is not None else set()
    return set()


def _settings_changed(session: Session, association: Association) -> bool:
    if association in session.new:
        return False  # a new association is due anyway (its due time is empty)
    return bool(_changed(association) - _NOT_SETTINGS)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    with session.no_autoflush:
        changed = changed_inputs(session)
        if changed:  # counted at the commit (_count_inputs)
            session.info.setdefault(_INPUTS_CHANGED, set()).update(changed)
        if _quiet.get():
            return
        for association_id in changed_associations(session):
            association = session.get(Association, association_id)
            if association is not None and association.alerts_due_at is not None:
                association.alerts_due_at = None  # due at once, whatever the clock says


_INPUTS_CHANGED = "quorum.inputs_changed"


def _count_inputs(session: Session) -> None:
    """Add one to the count of each association whose inputs the transaction wrote, as it
    commits. Written at the first flush instead, the count would lock the association's row
    from then on: a sync applies its changes in one transaction (tens of seconds at the large
    benchmark size) and flushes its first collection early, and every other writer of that
    association would wait for it."""
    session.flush()  # the last changes count too
    changed = session.info.pop(_INPUTS_CHANGED, None)
    if changed:  # in the database: concurrent writers add up
        session.execute(
            update(Association)
            .where(Association.id.in_(sorted(changed)))
            .values(inputs_version=Association.inputs_version + 1)
            .execution_options(synchronize_session=False)
        )


def _forget_inputs(session: Session, *_args: object) -> None:
    session.info.pop(_INPUTS_CHANGED, None)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "before_commit", _count_inputs)
event.listen(Session, "after_rollback", _forget_inputs)
