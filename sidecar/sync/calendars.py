"""Mirror the calendars of a source: one PROPFIND on the home, then sync-collection where needed.

Calendars whose sync-token (or ctag) did not move are not touched. Changed objects arrive with
their data in the sync-collection answer (or by calendar-multiget, in batches). An invalid token
means one full resync of that calendar, never an authentication error. Every object is parsed and
expanded alone, before anything is written: a broken one is recorded with its reason and the rest
of the calendar syncs. :func:`plan_calendar` reads; :func:`apply_calendar` writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from integrations.caldav import CalendarClient, token_number
from integrations.errors import InvalidSyncToken
from integrations.types import CalendarInfo, CalendarObject, SyncDelta
from sidecar.errors import SyncRefused
from sidecar.storage.models import CalendarObjectRecord, Collection, Occurrence
from sidecar.sync.counts import Counts
from sidecar.sync.expand import (
    MAX_OBJECT_BYTES,
    ExpansionError,
    ParsedObject,
    UnreadableData,
    default_window,
    parse_object,
)

MAX_TRUNCATED_ROUNDS = 20
REEXPAND_EVERY_DAYS = 7


@dataclass(frozen=True)
class ObjectChange:
    href: str
    etag: str | None
    ics: str
    parsed: ParsedObject | None
    error: str | None
    retry: bool = False  # unreadable data: stored without ETag and asked for at the next sync


@dataclass(frozen=True)
class CalendarPlan:
    collection_id: int
    info: CalendarInfo
    token: str | None
    changes: tuple[ObjectChange, ...]
    removed: frozenset[str]
    full: bool
    #: What kept this answer from being complete (the run is then ``partial``).
    problems: tuple[str, ...] = ()


def calendar_changed(collection: Collection, info: CalendarInfo) -> bool:
    """Compare the cursor stored at the last sync with what the home listing says now."""
    if (collection.state or {}).get("retry"):
        return True  # objects whose last read failed are asked for again
    if info.sync_token is not None:
        return info.sync_token != collection.sync_token
    if info.ctag is not None:
        return info.ctag != collection.ctag
    return True  # nothing to compare: list ETags


def plan_calendar(
    session: Session,
    client: CalendarClient,
    collection: Collection,
    info: CalendarInfo,
    now: datetime,
    tz: str,
    *,
    allow_mass_delete: bool = False,
) -> CalendarPlan:
    """Fetch what changed in one calendar and parse it; writes nothing.

    Raises SyncRefused when the answer would remove most of the calendar at once (unless
    ``allow_mass_delete``): an invalid token followed by an empty listing is not a deletion.
    """
    rows = session.execute(
        select(CalendarObjectRecord.href, CalendarObjectRecord.etag).where(
            CalendarObjectRecord.collection_id == collection.id
        )
    )
    stored: dict[str, str | None] = {href: etag for href, etag in rows}
    retry = set(collection.state.get("retry", [])) if collection.state else set()
    if info.sync_token is not None:
        delta = _delta_by_token(client, collection, stored)
    else:
        delta = _full_delta(client.listing(collection.remote_path), None)
    changed = [
        obj
        for obj in delta.changed
        if obj.href not in stored or stored[obj.href] != obj.etag or obj.href in retry
    ]
    # Objects whose last read failed (empty or undecodable data) are asked for again.
    if delta.sent_token is not None:  # a full listing already names every object still there
        listed = {obj.href for obj in changed}
        changed += [CalendarObject(h, None) for h in sorted(retry - listed - set(delta.removed))]
    changed, unresolved = _with_data(client, collection.remote_path, changed, delta.failed)
    outcome = _outcome(collection, info, stored, delta, unresolved)
    if not allow_mass_delete:
        refuse_mass_removal(collection, len(outcome.removed), len(stored), full=outcome.full)
    window = default_window(now)
    changes = tuple(_parse(obj, window, tz) for obj in changed if obj.data is not None)
    return CalendarPlan(
        collection.id,
        info,
        outcome.token,
        changes,
        frozenset(outcome.removed),
        outcome.full,
        tuple(outcome.problems),
    )


@dataclass(frozen=True)
class _Delta:
    """What the server said, before deciding what may be removed and which token to keep."""

    sent_token: str | None  # None: a full listing
    token: str | None
    changed: tuple[CalendarObject, ...]
    removed: tuple[str, ...]
    failed: tuple[str, ...]
    unreadable: int
    truncated: bool


def _full_delta(listing: SyncDelta, sent: str | None) -> _Delta:
    return _Delta(
        sent,
        listing.token,
        listing.changed,
        listing.removed,
        listing.failed,
        listing.unreadable,
        listing.truncated,
    )


@dataclass(frozen=True)
class _Outcome:
    token: str | None
    removed: set[str]
    full: bool
    problems: list[str]


def _outcome(
    collection: Collection,
    info: CalendarInfo,
    stored: dict[str, str | None],
    delta: _Delta,
    unresolved: set[str],
) -> _Outcome:
    """What may be removed and which token to store, given how complete the answer was.

    Only a complete answer moves the token; an incomplete full listing removes nothing (what it
    does not name may just be what it failed on), an incomplete incremental one removes only
    what the server explicitly reported gone (404).
    """
    problems = []
    if unresolved or delta.unreadable:
        count = len(unresolved) + delta.unreadable
        problems.append(
            f"{count} entries of the server's answer could not be read; they are asked for "
            "again at the next sync"
        )
    if delta.truncated:
        problems.append(
            f"the server kept truncating its answer (507) after {MAX_TRUNCATED_ROUNDS} requests; "
            "what arrived was kept and the rest is asked for at the next sync"
        )
    complete = not problems
    full = delta.sent_token is None
    if full:
        listed = {obj.href for obj in delta.changed} | set(delta.failed)
        removed = set(stored) - listed if complete else set()
    else:
        removed = set(delta.removed) & set(stored)
    kept = None if full else collection.sync_token
    return _Outcome((delta.token or info.sync_token) if complete else kept, removed, full, problems)


#: Calendars are small: three objects gone at once, and more than half of them, is suspect.
MASS_REMOVAL_MINIMUM = 3


def refuse_mass_removal(collection: Collection, removed: int, stored: int, *, full: bool) -> None:
    """The files' safety rail, for a calendar: raise SyncRefused instead of deleting most of it.

    A full listing (after an invalid token, or on a server without tokens) that names none of the
    stored objects is refused whatever the size: that is an empty answer, not a deletion.
    """
    everything = full and stored > 0 and removed >= stored
    if everything or (removed >= MASS_REMOVAL_MINIMUM and removed * 2 > stored):
        raise SyncRefused(
            f"{removed} of {stored} events and tasks of the calendar "
            f"{collection.display_name or collection.remote_path} disappeared at once; nothing "
            "was deleted. If this is intended, run `quorum sync --allow-mass-delete`."
        )


def _parse(obj: CalendarObject, window: tuple[datetime, datetime], tz: str) -> ObjectChange:
    assert obj.data is not None
    try:
        parsed = parse_object(obj.data, window=window, default_tz=tz)
    except UnreadableData as err:
        return ObjectChange(
            obj.href, None, "", None, f"{err}; asked for again at the next sync", True
        )
    except ExpansionError as err:
        # An oversized object is not stored either (the error says why): the mirror stays bounded.
        kept = obj.data if len(obj.data.encode("utf-8", "replace")) <= MAX_OBJECT_BYTES else ""
        return ObjectChange(obj.href, obj.etag, kept, None, str(err))
    return ObjectChange(obj.href, obj.etag, obj.data, parsed, "; ".join(parsed.warnings) or None)


def _delta_by_token(
    client: CalendarClient, collection: Collection, stored: dict[str, str | None]
) -> _Delta:
    token = collection.sync_token
    try:
        delta = _sync_rounds(client, collection.remote_path, token)
        if token is not None and _went_backwards(token, delta.token):
            raise InvalidSyncToken("the server's sync token went backwards")
    except InvalidSyncToken:
        token = None
        delta = _sync_rounds(client, collection.remote_path, None)
    return _full_delta(delta, token)


def _sync_rounds(client: CalendarClient, href: str, token: str | None) -> SyncDelta:
    """Ask again while the server says the answer was truncated (507)."""
    changed: dict[str, CalendarObject] = {}
    removed: set[str] = set()
    failed: set[str] = set()
    unreadable = 0
    truncated = False
    for _ in range(MAX_TRUNCATED_ROUNDS):
        delta = client.sync_collection(href, token)
        for obj in delta.changed:
            changed[obj.href] = obj
            removed.discard(obj.href)
            failed.discard(obj.href)
        for gone in delta.removed:
            changed.pop(gone, None)
            failed.discard(gone)
            removed.add(gone)
        for href_failed in delta.failed:
            changed.pop(href_failed, None)
            failed.add(href_failed)
        unreadable += delta.unreadable
        token, truncated = delta.token, delta.truncated
        if not truncated:
            break
    return SyncDelta(
        token,
        tuple(changed.values()),
        tuple(sorted(removed)),
        truncated,
        tuple(sorted(failed)),
        unreadable,
    )


def _went_backwards(old: str, new: str | None) -> bool:
    """Nextcloud answers a garbage or future token with 207 and its current, lower token."""
    before, after = token_number(old), token_number(new) if new else None
    return before is not None and after is not None and after < before


def _with_data(
    client: CalendarClient, href: str, objects: Iterable[CalendarObject], failed: Iterable[str]
) -> tuple[list[CalendarObject], set[str]]:
    """Fetch by multiget what came without data and what the server failed on; the hrefs still
    without data are returned apart (never taken for removed)."""
    objects = list(objects)
    ready = {obj.href: obj for obj in objects if obj.data is not None}
    missing = sorted(({obj.href for obj in objects if obj.data is None} | set(failed)) - set(ready))
    if not missing:
        return list(ready.values()), set()
    fetched = {obj.href: obj for obj in client.multiget(href, missing) if obj.data is not None}
    return list(ready.values()) + list(fetched.values()), set(missing) - set(fetched)


def apply_calendar(
    session: Session, collection: Collection, plan: CalendarPlan, now: datetime, tz: str
) -> Counts:
    """Write a calendar plan and the calendar's new cursor (inside the run's transaction)."""
    records = {
        r.href: r
        for r in session.scalars(
            select(CalendarObjectRecord).where(CalendarObjectRecord.collection_id == collection.id)
        )
    }
    if plan.removed:
        gone = [records.pop(href).id for href in plan.removed if href in records]
        _delete_occurrences(session, gone)
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            session.execute(delete(CalendarObjectRecord).where(CalendarObjectRecord.id.in_(chunk)))
    known = [c for c in plan.changes if c.href in records]
    new = [c for c in plan.changes if c.href not in records]
    for change in known:
        record = records[change.href]
        record.etag, record.ics, record.updated_at = change.etag, change.ics, now
        _describe(record, change)
    _delete_occurrences(session, [records[c.href].id for c in known])
    ids = {records[c.href].id: c for c in known}
    ids.update(_insert_objects(session, collection, new, now))
    occurrences = [
        row for object_id, c in ids.items() for row in _occurrence_rows(collection, object_id, c)
    ]
    for start in range(0, len(occurrences), 1000):
        session.execute(insert(Occurrence), occurrences[start : start + 1000])
    _remember_retries(collection, plan)
    collection.sync_token = plan.token
    collection.ctag = plan.info.ctag
    collection.display_name = plan.info.display_name or collection.display_name
    collection.last_synced_at = now
    _reexpand_if_window_moved(session, collection, records, plan, now, tz)
    return Counts(added=len(new), changed=len(known), removed=len(plan.removed))


def _remember_retries(collection: Collection, plan: CalendarPlan) -> None:
    """Objects read as empty or garbled are asked for again by the next runs until they read."""
    state = dict(collection.state or {})
    settled = {c.href for c in plan.changes} | set(plan.removed)
    retry = set(state.get("retry", [])) - settled | {c.href for c in plan.changes if c.retry}
    if retry:
        state["retry"] = sorted(retry)
    else:
        state.pop("retry", None)
    collection.state = state


def _describe(record: CalendarObjectRecord, change: ObjectChange) -> None:
    record.error = change.error
    if change.parsed is not None:
        record.uid, record.component = change.parsed.uid, change.parsed.component


def _insert_objects(
    session: Session, collection: Collection, new: list[ObjectChange], now: datetime
) -> dict[int, ObjectChange]:
    """Bulk insert (one statement per thousand, not one per object), returning the new ids."""
    by_href = {c.href: c for c in new}
    rows = [
        {
            "collection_id": collection.id,
            "href": c.href,
            "etag": c.etag,
            "ics": c.ics,
            "uid": c.parsed.uid if c.parsed else None,
            "component": c.parsed.component if c.parsed else "VEVENT",
            "error": c.error,
            "first_seen": now,
            "updated_at": now,
        }
        for c in new
    ]
    ids: dict[int, ObjectChange] = {}
    for start in range(0, len(rows), 1000):
        inserted = session.execute(
            insert(CalendarObjectRecord).returning(
                CalendarObjectRecord.id, CalendarObjectRecord.href
            ),
            rows[start : start + 1000],
        )
        ids.update({object_id: by_href[href] for object_id, href in inserted})
    return ids


def _occurrence_rows(
    collection: Collection, object_id: int, change: ObjectChange
) -> list[dict[str, Any]]:
    parsed = change.parsed
    if parsed is None:
        return []
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for occ in parsed.occurrences:
        rows.setdefault(
            (occ.uid or parsed.uid, occ.recurrence_id),
            {
                "object_id": object_id,
                "collection_id": collection.id,
                "uid": occ.uid or parsed.uid,
                "recurrence_id": occ.recurrence_id,
                "component": occ.component,
                "summary": occ.summary,
                "start": occ.start,
                "end": occ.end,
                "all_day": occ.all_day,
                "status": occ.status,
                "details": occ.details,
            },
        )
    return list(rows.values())


def _reexpand_if_window_moved(
    session: Session,
    collection: Collection,
    records: dict[str, CalendarObjectRecord],
    plan: CalendarPlan,
    now: datetime,
    tz: str,
) -> None:
    """Recurring series need new occurrences as time passes: re-expand the rest once a week."""
    window = default_window(now)
    last = collection.expanded_from
    if last is not None and (window[0] - last).days < REEXPAND_EVERY_DAYS:
        return
    fresh = {change.href for change in plan.changes}
    stale = [record for href, record in records.items() if href not in fresh and record.ics]
    _delete_occurrences(session, [record.id for record in stale])
    rows: list[dict[str, Any]] = []
    for record in stale:
        change = _parse(CalendarObject(record.href, record.etag, record.ics), window, tz)
        _describe(record, change)
        rows.extend(_occurrence_rows(collection, record.id, change))
    for start in range(0, len(rows), 1000):
        session.execute(insert(Occurrence), rows[start : start + 1000])
    collection.expanded_from = window[0]


def _delete_occurrences(session: Session, object_ids: list[int]) -> None:
    for start in range(0, len(object_ids), 500):  # stay under bind-parameter limits
        chunk = object_ids[start : start + 500]
        session.execute(delete(Occurrence).where(Occurrence.object_id.in_(chunk)))
