"""Nextcloud files over WebDAV: PROPFIND listings and guarded writes.

Nextcloud has no sync-collection on files; a change updates the ETag of every parent folder, so
the sync walks down from the root only into folders whose ETag changed. All the Nextcloud
properties it needs come in one PROPFIND (:data:`PROPFIND_FILE_PROPS`). A listing is returned only
from a well-formed 207 multistatus: a maintenance page, an empty or truncated body raises, because
reading it as "this folder is empty" would delete the mirror (docs/pitfalls.md).
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from integrations.errors import ProtocolError
from integrations.http import HttpClient, redact
from integrations.types import FileEntry
from integrations.urls import safe_href_path
from integrations.xml import DAV, OC, DavResponse, parse_multistatus

Depth = Literal["0", "1", "infinity"]

PROPFIND_FILE_PROPS = b"""<?xml version="1.0" encoding="UTF-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">
  <d:prop>
    <d:getetag/>
    <d:getlastmodified/>
    <d:getcontenttype/>
    <d:getcontentlength/>
    <d:resourcetype/>
    <oc:fileid/>
    <oc:permissions/>
    <oc:size/>
    <oc:owner-id/>
    <oc:owner-display-name/>
    <oc:share-types/>
    <nc:has-preview/>
  </d:prop>
</d:propfind>
"""

XML_CONTENT_TYPE = "application/xml; charset=utf-8"


#: Sizes are stored as signed 64-bit integers; anything outside is not a real size.
MAX_SIZE = 2**63 - 1


@dataclass(frozen=True)
class Listing:
    """A PROPFIND answer: its entries, and a note for each response that could not be used
    (no or foreign href, a size out of range). A listing with notes is not complete: what it
    does not name may just be what could not be read."""

    entries: list[FileEntry]
    notes: list[str] = field(default_factory=list)


def parse_file_entries(body: bytes, files_root_path: str, base_url: str) -> list[FileEntry]:
    """The files and folders of a PROPFIND multistatus, with paths relative to the files root."""
    return parse_listing(body, files_root_path, base_url).entries


def parse_listing(body: bytes, files_root_path: str, base_url: str) -> Listing:
    """The files and folders of a PROPFIND multistatus, and notes on the responses skipped.

    ``files_root_path`` is the decoded server path of the user's files root
    (``/remote.php/dav/files/alice/``). Hrefs from another origin, outside the root, or carrying
    ``..``, NUL or backslashes are skipped rather than trusted, and noted.
    """
    root = files_root_path if files_root_path.endswith("/") else files_root_path + "/"
    listing = Listing([])
    for response in parse_multistatus(body):
        if response.status is not None and response.status != 200:
            continue
        path = safe_href_path(response.href, base_url)
        if path is None or not (path + "/").startswith(root):
            shown = redact(response.href)[:120] or "(no DAV:href)"
            listing.notes.append(f"an entry with an unusable address was skipped: {shown}")
            continue
        entry = _file_entry(response, "/" + path[len(root) :])
        size = response.text(f"{OC}size") or response.text(f"{DAV}getcontentlength")
        if entry.size is None and size and size.strip().lstrip("-").isdigit():
            listing.notes.append(f"the size of {entry.path} is out of range ({size[:30]})")
        listing.entries.append(entry)
    return listing


def _file_entry(response: DavResponse, relative: str) -> FileEntry:
    resourcetype = response.element(f"{DAV}resourcetype")
    is_folder = resourcetype is not None and resourcetype.find(f"{DAV}collection") is not None
    relative = relative.rstrip("/") + "/" if is_folder else relative.rstrip("/")
    size_prop = f"{OC}size" if is_folder else f"{DAV}getcontentlength"
    return FileEntry(
        path=relative or "/",
        is_folder=is_folder,
        etag=response.text(f"{DAV}getetag") or None,
        fileid=response.text(f"{OC}fileid") or None,
        size=_int_or_none(response.text(size_prop) or response.text(f"{OC}size")),
        mtime=_http_date(response.text(f"{DAV}getlastmodified")),
        content_type=response.text(f"{DAV}getcontenttype") or None,
        owner=response.text(f"{OC}owner-id") or None,
        permissions=response.text(f"{OC}permissions") or None,
        share_types=_share_types(response),
    )


def _share_types(response: DavResponse) -> tuple[int, ...]:
    element = response.element(f"{OC}share-types")
    if element is None:
        return ()
    found = (_int_or_none(child.text) for child in element.iter(f"{OC}share-type"))
    return tuple(sorted({value for value in found if value is not None}))


def _int_or_none(text: str | None) -> int | None:
    """A size or share type; None when unreadable or outside what a 64-bit column holds."""
    try:
        value = int(text.strip()) if text and len(text.strip()) < 30 else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value <= MAX_SIZE else None


def _http_date(text: str | None) -> datetime | None:
    """RFC 1123 date (``Thu, 26 Nov 2026 05:52:26 GMT``) → aware UTC datetime."""
    if not text:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _require_guard(if_match: str | None, if_none_match: bool) -> dict[str, str]:
    """Headers of a guarded write; an unguarded write could overwrite a concurrent edit."""
    if if_match and if_none_match:
        raise ValueError("Give either if_match or if_none_match, not both.")
    if if_match:
        return {"If-Match": if_match}
    if if_none_match:
        return {"If-None-Match": "*"}
    raise ValueError(
        "Every write to Nextcloud must be guarded: pass if_match=<etag> to replace a known "
        "version, or if_none_match=True to create."
    )


class FilesClient:
    """One user's files: ``root`` is relative to the server base URL of ``http``."""

    def __init__(
        self, http: HttpClient, user: str, root: str = "/remote.php/dav/files/{user}/"
    ) -> None:
        self.http = http
        self.user = user
        self.root_url = http.url_for(quote(root.format(user=user).lstrip("/")))
        self.root_path = unquote(urlsplit(self.root_url).path)

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (relative to the files root, decoded)."""
        return self.root_url + quote(path.lstrip("/"), safe="/")

    def propfind(self, path: str, depth: Depth, *, max_body: int | None = None) -> list[FileEntry]:
        """The entries at ``path`` (Depth 0: itself; 1: with its children; infinity: subtree).

        ``max_body`` lowers the client's body cap for this request (ResponseTooLarge above it).
        """
        return self.listing(path, depth, max_body=max_body).entries

    def listing(self, path: str, depth: Depth, *, max_body: int | None = None) -> Listing:
        """Like :meth:`propfind`, with the notes on responses that could not be used."""
        resp = self.http.request(
            "PROPFIND",
            self.url(path),
            headers={"Depth": depth, "Content-Type": XML_CONTENT_TYPE},
            body=PROPFIND_FILE_PROPS,
            expect=(207, 200),
            max_body=max_body,
        )
        if resp.status != 207:
            # An HTML login or maintenance page served with 200 is not an empty folder.
            raise ProtocolError(
                f"The server answered PROPFIND {path!r} with {resp.status} instead of a WebDAV "
                "multistatus (207): is this really the Nextcloud WebDAV address?"
            )
        listing = parse_listing(resp.body, self.root_path, self.root_url)
        wanted = "/" + path.strip("/")
        if not any(entry.path.rstrip("/") == wanted.rstrip("/") for entry in listing.entries):
            # A PROPFIND always lists its target: without it, the listing cannot be trusted.
            raise ProtocolError(
                f"The server's listing of {path!r} does not include {path!r} itself; refusing "
                "to trust it."
            )
        return listing

    def get(self, path: str) -> bytes:
        """The content of the file at ``path``."""
        return self.http.request("GET", self.url(path)).body

    def put(
        self,
        path: str,
        data: bytes,
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
        content_type: str = "application/octet-stream",
    ) -> str | None:
        """Write a file, guarded by ``If-Match`` or ``If-None-Match: *``; the new ETag if sent.

        Raises PreconditionFailed (with the current ETag) when the guard fails.
        """
        headers = _require_guard(if_match, if_none_match) | {"Content-Type": content_type}
        resp = self.http.request(
            "PUT", self.url(path), headers=headers, body=data, expect=(200, 201, 204)
        )
        return resp.headers.get("ETag") or resp.headers.get("OC-ETag")

    def mkcol(self, path: str) -> None:
        """Create the folder ``path`` (its parent must exist)."""
        self.http.request("MKCOL", self.url(path.rstrip("/")), expect=(201,))

    def delete(self, path: str, *, if_match: str) -> None:
        """Delete ``path`` if it still has ETag ``if_match``."""
        headers = _require_guard(if_match, False)
        self.http.request("DELETE", self.url(path), headers=headers, expect=(204, 200))
