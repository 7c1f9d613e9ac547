"""A WsgiDAV filesystem provider that answers like Nextcloud's `/remote.php/dav/files/<user>/`.

What it adds to WsgiDAV's FilesystemProvider:

- Folder ETags that propagate to the root: a folder's ETag is a digest of the newest
  mtime/ctime, the number of entries and the total size of its whole subtree, so any change
  below a folder changes it and every ancestor while siblings keep theirs. It is computed from
  the disk on each request (no state), so it survives restarts and sees files written straight
  to disk. One `os.scandir` walk fills a per-request memo for every folder below it.
- File ETags that survive a MOVE (inode, mtime, size), like Nextcloud's.
- Nextcloud's live properties: oc:fileid (the inode, stable across MOVE), oc:permissions,
  oc:size, oc:owner-id, oc:owner-display-name, oc:share-types, nc:has-preview.
- Hrefs percent-encoded the way Sabre does it (lowercase hex, `'` as %27).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from wsgidav.dav_error import HTTP_NOT_FOUND, DAVError
from wsgidav.fs_dav_provider import FileResource, FilesystemProvider, FolderResource
from wsgidav.xml_tools import etree

OC = "{http://owncloud.org/ns}"
NC = "{http://nextcloud.org/ns}"
NEXTCLOUD_PROPS = (
    f"{OC}fileid",
    f"{OC}permissions",
    f"{OC}size",
    f"{OC}owner-id",
    f"{OC}owner-display-name",
    f"{OC}share-types",
    f"{NC}has-preview",
)
MEMO_KEY = "quorum.ncfiles.tree"
_HEX_ESCAPE = re.compile(r"%[0-9A-F]{2}")

# Share types of a path, as seen by its owner (read from ocs.json at each request).
ShareTypes = Callable[[str], list[int]]


@dataclass(frozen=True)
class TreeStats:
    """Aggregate of a folder's subtree: what its ETag, size and mtime are derived from."""

    newest_ns: int
    count: int
    size: int
    newest_mtime: float

    @property
    def etag(self) -> str:
        """A 13-hex-character ETag, the length Nextcloud uses for folders."""
        key = f"{self.newest_ns}:{self.count}:{self.size}".encode()
        return hashlib.md5(key, usedforsecurity=False).hexdigest()[:13]


def tree_stats(path: str, memo: dict[str, TreeStats]) -> TreeStats:
    """Walk `path` once, memoising the stats of every folder met on the way."""
    cached = memo.get(path)
    if cached is not None:
        return cached
    own = os.stat(path)
    # ctime is included because it moves on any write, even when a client resets the mtime.
    newest_ns = max(own.st_mtime_ns, own.st_ctime_ns)
    newest_mtime, count, size = own.st_mtime, 0, 0
    with os.scandir(path) as entries:
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    sub = tree_stats(entry.path, memo)
                    sub_ns, sub_mtime, sub_count = sub.newest_ns, sub.newest_mtime, sub.count + 1
                    sub_size = sub.size
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    sub_ns, sub_mtime, sub_count = (
                        max(st.st_mtime_ns, st.st_ctime_ns),
                        st.st_mtime,
                        1,
                    )
                    sub_size = st.st_size
                else:
                    continue
            except FileNotFoundError:  # removed while we walk (e.g. by a benchmark writer)
                continue
            newest_ns, newest_mtime = max(newest_ns, sub_ns), max(newest_mtime, sub_mtime)
            count, size = count + sub_count, size + sub_size
    stats = TreeStats(newest_ns, count, size, newest_mtime)
    memo[path] = stats
    return stats


def file_etag(st: os.stat_result) -> str:
    """A file's 32-hex ETag: the same after a MOVE (same inode, mtime and size)."""
    key = f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}".encode()
    return hashlib.md5(key, usedforsecurity=False).hexdigest()


def sabre_quote(path: str) -> str:
    """Percent-encode a path like Sabre/Nextcloud: lowercase hex, `(` and `)` literal."""
    encoded = quote(path, safe="/()!*,$-_.~")
    return _HEX_ESCAPE.sub(lambda m: m.group(0).lower(), encoded)


def _share_types_element(types: list[int]) -> Any:
    # WsgiDAV serialises with its own etree (lxml when installed), so build with the same.
    element = etree.Element(f"{OC}share-types")
    for share_type in sorted(set(types)):
        etree.SubElement(element, f"{OC}share-type").text = str(share_type)
    return element


class _NextcloudProps:
    """Property logic shared by files and folders (mixed into WsgiDAV's resources)."""

    path: str
    is_collection: bool
    provider: NextcloudFilesProvider
    file_stat: os.stat_result

    def get_href(self) -> str:
        """Return the href the way Nextcloud encodes it."""
        return sabre_quote(self.provider.share_path + self.get_preferred_path())

    if TYPE_CHECKING:  # provided by WsgiDAV's resource classes, which come later in the MRO

        def get_preferred_path(self) -> str: ...

    def nextcloud_names(self) -> list[str]:
        """The Nextcloud live properties every file and folder has."""
        return list(NEXTCLOUD_PROPS)

    def nextcloud_value(self, name: str, size: int) -> Any:
        """Return a Nextcloud live property value, or raise 404 for an unknown one."""
        provider = self.provider
        values: dict[str, Any] = {
            f"{OC}fileid": str(self.file_stat.st_ino),
            f"{OC}permissions": "RGDNVCK" if self.is_collection else "RGDNVW",
            f"{OC}size": str(size),
            f"{OC}owner-id": provider.owner_id,
            f"{OC}owner-display-name": provider.owner_display_name,
            f"{NC}has-preview": "false",
        }
        if name == f"{OC}share-types":
            logical = "/" + self.path.strip("/")
            return _share_types_element(provider.share_types(logical))
        if name not in values:
            raise DAVError(HTTP_NOT_FOUND)
        return values[name]


class NextcloudFile(_NextcloudProps, FileResource):  # type: ignore[misc]
    """A file with Nextcloud's ETag and properties."""

    def get_etag(self) -> str:
        """32-hex ETag that survives a MOVE (see file_etag)."""
        return file_etag(self.file_stat)

    def get_property_names(self, *, is_allprop: bool) -> list[str]:
        """WsgiDAV's names plus Nextcloud's live properties."""
        names: list[str] = super().get_property_names(is_allprop=is_allprop)
        return names + self.nextcloud_names()

    def get_property_value(self, name: str) -> Any:
        """Quote getetag (WsgiDAV leaves it bare) and serve the Nextcloud props."""
        if name == "{DAV:}getetag":
            return f'"{self.get_etag()}"'
        if name.startswith((OC, NC)):
            return self.nextcloud_value(name, self.file_stat.st_size)
        return super().get_property_value(name)


class NextcloudFolder(_NextcloudProps, FolderResource):  # type: ignore[misc]
    """A folder whose ETag, size and mtime follow everything below it."""

    def _stats(self) -> TreeStats:
        memo: dict[str, TreeStats] = self.environ.setdefault(MEMO_KEY, {})
        return tree_stats(self._file_path, memo)

    def get_etag(self) -> str:
        """13-hex ETag of the subtree: changes when anything below changes."""
        return self._stats().etag

    def support_etag(self) -> bool:
        """Folders have ETags here, as in Nextcloud."""
        return True

    def get_last_modified(self) -> float:
        """The newest mtime below, as Nextcloud propagates the upload time to parents."""
        return self._stats().newest_mtime

    def get_used_bytes(self) -> None:
        """No quota properties (Nextcloud answers them, but nothing here needs them)."""
        return None

    def get_available_bytes(self) -> None:
        """See get_used_bytes."""
        return None

    def get_property_names(self, *, is_allprop: bool) -> list[str]:
        """WsgiDAV's names plus Nextcloud's live properties."""
        names: list[str] = super().get_property_names(is_allprop=is_allprop)
        return names + self.nextcloud_names()

    def get_property_value(self, name: str) -> Any:
        """Quote getetag and serve the Nextcloud props (oc:size is the subtree total)."""
        if name == "{DAV:}getetag":
            return f'"{self.get_etag()}"'
        if name.startswith((OC, NC)):
            return self.nextcloud_value(name, self._stats().size)
        return super().get_property_value(name)


class NextcloudFilesProvider(FilesystemProvider):  # type: ignore[misc]
    """One user's file tree, served with Nextcloud's ETags and properties."""

    def __init__(
        self,
        root_folder: str,
        *,
        owner_id: str,
        owner_display_name: str,
        share_types: ShareTypes,
    ) -> None:
        super().__init__(root_folder, fs_opts={"follow_symlinks": False})
        self.owner_id = owner_id
        self.owner_display_name = owner_display_name
        self.share_types = share_types

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> Any:
        """Return a NextcloudFile or NextcloudFolder, or None when nothing is there."""
        self._count_get_resource_inst += 1
        file_path = self._loc_to_file_path(path, environ)
        if not os.path.exists(file_path) or os.path.islink(file_path):
            return None
        if os.path.isdir(file_path):
            return NextcloudFolder(path, environ, file_path)
        return NextcloudFile(path, environ, file_path)


def share_types_from(shares: Mapping[str, list[int]]) -> ShareTypes:
    """Build a share-types lookup from a path → types mapping (paths start with "/")."""

    def lookup(path: str) -> list[int]:
        return list(shares.get(path, []))

    return lookup
