"""The pure file-tree planner: what is listed, what is carried, what changed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.types import FileEntry
from sidecar.sync.filetree import Depth, StoredFile, mass_disappearance, plan, walk


class Tree:
    """A fake remote tree with Nextcloud-like propagated folder ETags, counting listings."""

    def __init__(self, files: dict[str, tuple[str, str]]) -> None:
        self.files = files  # path -> (fileid, etag)
        self.calls: list[tuple[str, Depth]] = []

    def folders(self) -> set[str]:
        found = {"/"}
        for path in self.files:
            parts = path.strip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                found.add("/" + "/".join(parts[:i]) + "/")
        return found

    def entry(self, path: str) -> FileEntry:
        if path.endswith("/"):
            below = sorted(f"{p}{e}" for p, (_, e) in self.files.items() if p.startswith(path))
            return FileEntry(path, True, str(hash(tuple(below))), fileid=f"d{path}")
        fileid, etag = self.files[path]
        return FileEntry(path, False, etag, fileid=fileid)

    def list(self, path: str, depth: Depth) -> list[FileEntry]:
        self.calls.append((path, depth))
        entries = [self.entry(path)]
        if depth == "1":
            children = {
                p
                for p in (self.folders() | set(self.files))
                if p != path and p.startswith(path) and "/" not in p[len(path) :].rstrip("/")
            }
            entries += [self.entry(p) for p in sorted(children)]
        return entries

    def stored(self) -> dict[str, StoredFile]:
        entries = [self.entry(p) for p in self.folders() | set(self.files)]
        return {e.path: StoredFile(e.path, e.is_folder, e.etag, e.fileid) for e in entries}


def test_no_change_is_one_listing_of_the_root() -> None:
    tree = Tree({"/a/x.pdf": ("1", "e1"), "/b/y.pdf": ("2", "e2")})
    stored = tree.stored()
    walked = walk(tree.list, "/", stored)
    assert tree.calls == [("/", "1")]
    assert plan(stored, walked).is_empty


def test_change_descends_only_into_changed_folders() -> None:
    tree = Tree({"/a/x.pdf": ("1", "e1"), "/b/c/y.pdf": ("2", "e2"), "/d/z.pdf": ("3", "e3")})
    stored = tree.stored()
    tree.files["/b/c/y.pdf"] = ("2", "e2-new")
    changes = plan(stored, walk(tree.list, "/", stored))
    assert tree.calls == [("/", "1"), ("/b/", "1"), ("/b/c/", "1")]
    assert [e.path for e in changes.changed if not e.is_folder] == ["/b/c/y.pdf"]
    assert not changes.added and not changes.removed and not changes.moved


def test_swapped_names_are_two_moves() -> None:
    tree = Tree({"/a.pdf": ("1", "e1"), "/b.pdf": ("2", "e2")})
    stored = tree.stored()
    tree.files = {"/a.pdf": ("2", "e2"), "/b.pdf": ("1", "e1")}
    changes = plan(stored, walk(tree.list, "/", stored))
    assert {(m.old_path, m.new_path) for m in changes.moved} == {
        ("/a.pdf", "/b.pdf"),
        ("/b.pdf", "/a.pdf"),
    }
    assert not changes.removed and not changes.added


def test_mass_disappearance_threshold() -> None:
    tree = Tree({f"/f{i}.pdf": (str(i), "e") for i in range(40)})
    stored = tree.stored()
    tree.files = {"/f0.pdf": ("0", "e")}
    changes = plan(stored, walk(tree.list, "/", stored))
    assert len(changes.removed) == 39
    assert mass_disappearance(changes, len(stored))
    assert not mass_disappearance(changes, 1000)


paths = st.lists(
    st.tuples(st.sampled_from(["a", "b", "é t"]), st.sampled_from(["x.pdf", "y.ods", "z"])),
    max_size=8,
    unique=True,
)


@settings(max_examples=80, deadline=None)
@given(before=paths, after=paths)
def test_plan_reaches_the_remote_state(
    before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> None:
    """Whatever happened remotely, applying the plan to the stored paths gives the remote paths."""
    ids = {name: str(i) for i, name in enumerate(sorted({f for _, f in before + after}))}
    old = Tree({f"/{d}/{f}": (ids[f] + d, "e1") for d, f in before})
    new = Tree(
        {f"/{d}/{f}": (ids[f] + d, "e2" if (d, f) in before[:2] else "e1") for d, f in after}
    )
    stored = old.stored()
    changes = plan(stored, walk(new.list, "/", stored))
    result = set(stored) - set(changes.removed) - {m.old_path for m in changes.moved}
    result |= {e.path for e in changes.added} | {m.new_path for m in changes.moved}
    assert result == new.folders() | set(new.files)
