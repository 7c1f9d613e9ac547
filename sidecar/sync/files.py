"""Mirror one folder collection into the database, from a :class:`FilesClient`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from integrations.types import FileEntry
from integrations.webdav import FilesClient
from sidecar.errors import SyncRefused
from sidecar.storage.models import Collection, FileChange, FileRecord
from sidecar.sync import filetree
from sidecar.sync.counts import Counts

FULL_WALK_EVERY = timedelta(hours=24)
#: An initial sync first asks for the whole tree at once; above this size (about 15,000 files
#: on Nextcloud) it walks folder by folder instead, which keeps memory bounded on big trees.
WHOLE_TREE_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FolderOptions:
    allow_mass_delete: bool = False


@dataclass(frozen=True)
class FolderPlan:
    """What one run will do to one folder collection (computed without writing anything)."""

    collection_id: int
    changes: filetree.FilePlan
    tree: filetree.TreeWalk
    full: bool
    #: Entries recorded and skipped (the run is then ``partial``); the rest is applied.
    problems: tuple[str, ...] = ()


def plan_folder(
    session: Session,
    client: FilesClient,
    collection: Collection,
    now: datetime,
    options: FolderOptions = FolderOptions(),
) -> FolderPlan:
    """Read the remote tree as far as needed and plan the changes; raises on refusal.

    The root alone is asked for first: when its ETag is the one stored at the last run (and no
    full walk is due), nothing below it changed, so no stored row is read and the plan is empty.
    An idle poll then costs one small request and O(1) work whatever the mirror's size; a run
    that finds a change pays one more request (the root's listing) than a walk that starts there.
    """
    full = _needs_full_walk(collection, now)
    if not full and collection.etag is not None:
        # Depth 0: the root alone, so the answer's size does not grow with the root's children.
        top = filetree.root_entry(
            client.propfind(collection.remote_path, "0"), collection.remote_path
        )
        if top.etag == collection.etag:
            walked = filetree.TreeWalk({top.path: top})
            return FolderPlan(collection.id, filetree.FilePlan(), walked, full)
    stored = {
        r.path: filetree.StoredFile(r.path, r.is_folder, r.etag, r.fileid)
        for r in session.execute(
            select(FileRecord.path, FileRecord.is_folder, FileRecord.etag, FileRecord.fileid).where(
                FileRecord.collection_id == collection.id
            )
        )
    }
    notes: dict[str, list[str]] = {}

    def lister(path: str, depth: filetree.Depth) -> list[FileEntry]:
        max_body = WHOLE_TREE_MAX_BYTES if depth == "infinity" else None
        listing = client.listing(path, depth, max_body=max_body)
        if listing.notes:
            notes.setdefault(path, []).extend(listing.notes)
        return listing.entries

    tree = filetree.walk(
        lister,
        collection.remote_path,
        stored,
        full=full,
        list_all=lambda root: lister(root, "infinity"),
    )
    changes = filetree.plan(stored, tree)
    if notes:
        # Entries that could not be read: remove nothing below those folders, and keep their
        # old ETags so the next run lists them again.
        changes = filetree.hold_back(changes, stored, set(notes))
    if not options.allow_mass_delete:
        _refuse_mass_disappearance(collection, changes, tree, len(stored))
    problems = tuple(note for found in notes.values() for note in found)
    return FolderPlan(collection.id, changes, tree, full, problems[:20])


def _refuse_mass_disappearance(
    collection: Collection, changes: filetree.FilePlan, tree: filetree.TreeWalk, stored: int
) -> None:
    """Raise SyncRefused when the answer looks like a loss rather than a deletion."""
    hint = "If this is intended, run `quorum sync --allow-mass-delete`."
    if filetree.mass_disappearance(changes, stored):
        raise SyncRefused(
            f"{len(changes.removed)} of {stored} files and folders of "
            f"{collection.remote_path} disappeared at once; nothing was deleted. {hint}"
        )
    emptied = filetree.emptied_folders(changes, tree)
    if emptied:
        raise SyncRefused(
            f"every file of {emptied[0]} disappeared at once while the folder is still there; "
            f"nothing was deleted. {hint}"
        )


def apply_folder(
    session: Session, collection: Collection, plan: FolderPlan, now: datetime
) -> Counts:
    """Write a folder plan and the collection's new cursor (inside the run's transaction)."""
    changes = plan.changes
    if not changes.is_empty:
        rows = {
            r.path: r
            for r in session.scalars(
                select(FileRecord).where(FileRecord.collection_id == collection.id)
            )
        }
        log = collection.last_synced_at is not None  # an initial sync is not "recent activity"
        _apply(session, collection, rows, changes, now, log=log)
    old_etag = collection.etag
    _update_state(collection, plan.tree, plan.full, now)
    if plan.problems:
        # Entries were held back: keep the old root ETag, or the idle poll would say "nothing
        # changed" and never list those folders again.
        collection.etag = old_etag
    return Counts(
        added=len(changes.added),
        changed=len(changes.changed) + len(changes.moved),
        removed=len(changes.removed),
    )


def _needs_full_walk(collection: Collection, now: datetime) -> bool:
    state = collection.state or {}
    if state.get("etag_propagation") is False:
        return True
    last = state.get("last_full_walk")
    return last is not None and datetime.fromisoformat(last) + FULL_WALK_EVERY < now


def _update_state(
    collection: Collection, tree: filetree.TreeWalk, full: bool, now: datetime
) -> None:
    state = dict(collection.state or {})
    if tree.propagation_broken:
        state["etag_propagation"] = False
    elif "etag_propagation" not in state and tree.listed_folders:
        state["etag_propagation"] = True
    if full or "last_full_walk" not in state:
        state["last_full_walk"] = now.isoformat()
    collection.state = state
    root = tree.listed.get(collection.remote_path)
    collection.etag = root.etag if root else collection.etag
    collection.last_synced_at = now


def _apply(
    session: Session,
    collection: Collection,
    rows: dict[str, FileRecord],
    change_plan: filetree.FilePlan,
    now: datetime,
    *,
    log: bool,
) -> None:
    cid = collection.id
    removed_rows = [rows[p] for p in change_plan.removed]
    if removed_rows:
        session.execute(delete(FileRecord).where(FileRecord.id.in_([r.id for r in removed_rows])))
    moving = [(rows[m.old_path], m) for m in change_plan.moved]
    for index, (row, _move) in enumerate(moving):  # two phases: paths may swap
        row.path = f"/.quorum-moving/{index}"  # no NUL: PostgreSQL text refuses it
    session.flush()
    for row, move in moving:
        row.path = move.new_path
        if move.entry is not None:
            _fill(row, move.entry, now)
    for entry in change_plan.changed:
        _fill(rows[entry.path], entry, now)
    new_rows = [_row(cid, entry, now) for entry in change_plan.added]
    for start in range(0, len(new_rows), 1000):  # bulk: one statement per thousand files
        session.execute(insert(FileRecord), new_rows[start : start + 1000])
    if log:
        _log_changes(session, cid, change_plan, removed_rows, now)


def _row(cid: int, entry: FileEntry, now: datetime) -> dict[str, object]:
    return {
        "collection_id": cid,
        "path": entry.path,
        "is_folder": entry.is_folder,
        "etag": entry.etag,
        "fileid": entry.fileid,
        "size": entry.size,
        "mtime": entry.mtime,
        "content_type": entry.content_type,
        "owner": entry.owner,
        "permissions": entry.permissions,
        "share_types": list(entry.share_types),
        "first_seen": now,
        "last_changed": now,
    }


def _fill(row: FileRecord, entry: FileEntry, now: datetime) -> None:
    if row.etag != entry.etag:
        row.last_changed = now
    row.is_folder = entry.is_folder
    row.etag = entry.etag
    row.fileid = entry.fileid
    row.size = entry.size
    row.mtime = entry.mtime
    row.content_type = entry.content_type
    row.owner = entry.owner
    row.permissions = entry.permissions
    row.share_types = list(entry.share_types)


def _log_changes(
    session: Session,
    cid: int,
    change_plan: filetree.FilePlan,
    removed_rows: list[FileRecord],
    now: datetime,
) -> None:
    def add(
        change: str, path: str, fileid: str | None, folder: bool, old: str | None = None
    ) -> None:
        session.add(
            FileChange(
                collection_id=cid,
                change=change,
                path=path,
                old_path=old,
                fileid=fileid,
                is_folder=folder,
                at=now,
            )
        )

    for entry in change_plan.added:
        add("added", entry.path, entry.fileid, entry.is_folder)
    for entry in change_plan.changed:
        if not entry.is_folder:  # folder ETags change with every file below: not news
            add("changed", entry.path, entry.fileid, False)
    for move in change_plan.moved:
        if move.entry is not None:
            add("moved", move.new_path, move.entry.fileid, move.entry.is_folder, move.old_path)
    for row in removed_rows:
        add("removed", row.path, row.fileid, row.is_folder)
