"""Pure planning of a file-tree sync: remote listing + stored state → what changed.

No I/O here. :class:`TreeWalk` decides which folders to list (only those whose ETag changed,
since Nextcloud propagates folder ETags to the root) given a ``lister`` callback, and
:func:`plan` turns the walk and the stored rows into added / changed / moved / removed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from integrations.types import FileEntry

Depth = Literal["0", "1", "infinity"]
Lister = Callable[[str, Depth], list[FileEntry]]  # (path, depth) -> entries


@dataclass(frozen=True)
class StoredFile:
    path: str
    is_folder: bool
    etag: str | None
    fileid: str | None


@dataclass
class TreeWalk:
    """The remote tree as far as it had to be read.

    ``listed`` holds entries read from the server; ``carried`` maps a path to the stored path it
    was carried over from, for subtrees whose folder ETag did not change (and were not listed).
    """

    listed: dict[str, FileEntry] = field(default_factory=dict)
    carried: dict[str, str] = field(default_factory=dict)
    listed_folders: list[str] = field(default_factory=list)
    propagation_broken: bool = False


@dataclass(frozen=True)
class Move:
    old_path: str
    entry: FileEntry | None  # None when carried over unchanged
    new_path: str


@dataclass(frozen=True)
class FilePlan:
    added: tuple[FileEntry, ...] = ()
    changed: tuple[FileEntry, ...] = ()
    moved: tuple[Move, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.moved or self.removed)


def walk(
    lister: Lister,
    root: str,
    stored: Mapping[str, StoredFile],
    *,
    full: bool = False,
    list_all: Callable[[str], list[FileEntry]] | None = None,
) -> TreeWalk:
    """List ``root`` (Depth 1), then descend (Depth 1) only where a folder's ETag changed.

    The root is listed with its children at once: when its ETag did not move that one request
    is all a sync costs; when it did, the children's ETags are already there to choose from.

    ``full`` lists every folder (servers whose folder ETags do not propagate, periodic check).
    ``list_all`` (a ``Depth: infinity`` listing) is tried first when nothing is stored yet: one
    request instead of one per folder; when it fails (finite depth only, answer too large,
    unreadable) the walk falls back to listing folder by folder.
    """
    if not stored and list_all is not None:
        whole = _whole_tree(list_all, root)
        if whole is not None:
            return whole
    result = TreeWalk()
    order = sorted(stored)
    first = lister(root, "1")
    top = _single(first, root)
    result.listed[top.path] = top
    old_root = stored.get(top.path)
    if not full and old_root is not None and _same_etag(old_root, top):
        _carry(result, order, old_root.path, top.path)
        return result
    by_fileid = {s.fileid: s for s in stored.values() if s.fileid and s.is_folder}
    fetched = {top.path: first}
    queue = [top.path]
    while queue:
        folder = queue.pop()
        entries = fetched.pop(folder, None) or lister(folder, "1")
        result.listed_folders.append(folder)
        for entry in entries:
            if entry.path == folder:
                result.listed[folder] = entry
                continue
            result.listed[entry.path] = entry
            if not entry.is_folder:
                continue
            old = stored.get(entry.path) or (by_fileid.get(entry.fileid) if entry.fileid else None)
            if not full and old is not None and _same_etag(old, entry):
                _carry(result, order, old.path, entry.path)
            else:
                queue.append(entry.path)
    result.propagation_broken = _propagation_broken(result, stored)
    return result


def _whole_tree(list_all: Callable[[str], list[FileEntry]], root: str) -> TreeWalk | None:
    """One ``Depth: infinity`` listing, or None when the server refuses or it is too large."""
    from integrations.errors import AuthError, ConnectError, IntegrationError, RateLimited

    try:
        entries = list_all(root)
    except (AuthError, RateLimited, ConnectError):
        raise
    except IntegrationError:
        return None  # 403 finite-depth, too large, not understood: walk instead
    _single(entries, root)
    result = TreeWalk()
    result.listed = {entry.path: entry for entry in entries}
    result.listed_folders = [entry.path for entry in entries if entry.is_folder]
    return result


def root_entry(entries: list[FileEntry], path: str) -> FileEntry:
    """The entry of a listing that describes ``path`` itself; ProtocolError when none does."""
    return _single(entries, path)


def _single(entries: list[FileEntry], path: str) -> FileEntry:
    for entry in entries:
        if entry.path == path or entry.path.rstrip("/") == path.rstrip("/"):
            return entry
    from integrations.errors import ProtocolError

    raise ProtocolError(f"the server's answer for {path} does not describe {path}")


def _same_etag(old: StoredFile, new: FileEntry) -> bool:
    return old.etag is not None and new.etag is not None and old.etag == new.etag


def _carry(result: TreeWalk, order: list[str], old: str, new: str) -> None:
    """Keep a whole unchanged stored subtree, rebased from ``old`` to ``new`` (a moved folder).

    ``order`` is the sorted list of stored paths: a subtree is one contiguous run of it.
    """
    index = bisect.bisect_right(order, old)
    while index < len(order) and order[index].startswith(old):
        path = order[index]
        result.carried[new + path[len(old) :]] = path
        index += 1


def _propagation_broken(result: TreeWalk, stored: Mapping[str, StoredFile]) -> bool:
    """True when a folder's content changed but its own ETag did not (ETags do not propagate)."""
    for folder in result.listed_folders:
        own = result.listed.get(folder)
        old = stored.get(folder)
        if own is None or old is None:
            continue
        if own.etag is None:
            return True
        if not _same_etag(old, own):
            continue
        children = {p for p in result.listed if _parent(p) == folder}
        old_children = {p for p in stored if _parent(p) == folder}
        if children != old_children or any(
            stored[p].etag != result.listed[p].etag for p in children & old_children
        ):
            return True
    return False


def _parent(path: str) -> str:
    stripped = path.rstrip("/")
    if not stripped:
        return ""
    return stripped.rsplit("/", 1)[0] + "/"


def plan(stored: Mapping[str, StoredFile], tree: TreeWalk) -> FilePlan:
    """Compare the walk with the stored rows. A known fileid at a new path is a move."""
    final = set(tree.listed) | set(tree.carried)
    gone = {path: s for path, s in stored.items() if path not in final}
    changed: list[FileEntry] = []
    fresh: list[FileEntry] = []  # listed entries that are not the stored item at their path
    for entry in tree.listed.values():
        old = stored.get(entry.path)
        if old is not None and _same_item(old, entry):
            if old.etag != entry.etag or old.is_folder != entry.is_folder:
                changed.append(entry)
            continue
        if old is not None:  # same path, another file: the old one went away (or moved)
            gone[entry.path] = old
        fresh.append(entry)
    moved = [Move(old, None, new) for new, old in tree.carried.items() if new != old]
    for move in moved:
        gone.pop(move.old_path, None)
    gone_by_fileid = {s.fileid: s for s in gone.values() if s.fileid}
    added: list[FileEntry] = []
    for entry in fresh:
        source = gone_by_fileid.pop(entry.fileid, None) if entry.fileid else None
        if source is not None:
            moved.append(Move(source.path, entry, entry.path))
            del gone[source.path]
        else:
            added.append(entry)
    return FilePlan(tuple(added), tuple(changed), tuple(moved), tuple(sorted(gone)))


def _same_item(old: StoredFile, new: FileEntry) -> bool:
    return not old.fileid or not new.fileid or old.fileid == new.fileid


def mass_disappearance(plan_: FilePlan, stored_count: int, *, minimum: int = 20) -> bool:
    """A sudden loss of more than half of a tree (of a fair size) is refused, not applied."""
    return len(plan_.removed) >= minimum and len(plan_.removed) * 2 > stored_count


EMPTIED_FOLDER_MINIMUM = 3


def emptied_folders(
    plan_: FilePlan, tree: TreeWalk, *, minimum: int = EMPTIED_FOLDER_MINIMUM
) -> list[str]:
    """Folders that are still there but lost every entry below them at once (``minimum`` or
    more): what a spoiled listing of one small folder looks like, which the tree-wide rule of
    :func:`mass_disappearance` cannot see."""
    removed = list(plan_.removed)  # sorted by plan()
    present = sorted(set(tree.listed) | set(tree.carried))
    found = []
    for folder in tree.listed_folders:
        if (
            folder in tree.listed
            and _count_below(removed, folder) >= minimum
            and _count_below(present, folder) == 0
        ):
            found.append(folder)
    return found


def _count_below(ordered: list[str], folder: str) -> int:
    """How many paths of the sorted ``ordered`` lie strictly below ``folder`` (ends with "/")."""
    start = bisect.bisect_right(ordered, folder)
    end = bisect.bisect_left(ordered, folder[:-1] + chr(ord("/") + 1))
    return max(0, end - start)


def hold_back(plan_: FilePlan, stored: Mapping[str, StoredFile], folders: set[str]) -> FilePlan:
    """``plan_`` minus what an incomplete listing of ``folders`` cannot prove.

    Nothing below those folders is removed (an entry that could not be read is not gone), and
    they and their ancestors keep their stored ETag (a new one: none), so the next walk lists
    them again instead of trusting an ETag that now says "unchanged".
    """
    prefixes = tuple(f if f.endswith("/") else f + "/" for f in folders)
    stale = {p for f in prefixes for p in _ancestors(f)} | set(prefixes)

    def kept(entry: FileEntry) -> FileEntry:
        if entry.path not in stale:
            return entry
        old = stored.get(entry.path)
        return replace(entry, etag=old.etag if old is not None else None)

    return FilePlan(
        tuple(kept(e) for e in plan_.added),
        tuple(kept(e) for e in plan_.changed),
        plan_.moved,
        tuple(p for p in plan_.removed if not p.startswith(prefixes)),
    )


def _ancestors(folder: str) -> list[str]:
    found = []
    parent = _parent(folder)
    while parent:
        found.append(parent)
        parent = _parent(parent)
    return found
