"""WebDAV file listings parsed from recorded Nextcloud 29 answers, and refused broken answers.

``responses`` shapes answers no local server gives: Nextcloud's exact bodies, an HTML page served
with 200, truncated or hostile XML.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import responses

from integrations.errors import PreconditionFailed, ProtocolError
from integrations.http import HttpClient
from integrations.types import FileEntry
from integrations.webdav import PROPFIND_FILE_PROPS, FilesClient, parse_file_entries
from integrations.xml import parse_multistatus, parse_xml
from tests.fixtures_nc import BASE_URL, add_fixture, response_body

ROOT = "/remote.php/dav/files/alice/"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def files() -> FilesClient:
    return FilesClient(HttpClient(BASE_URL, "alice", "app-password"), "alice")


def entries(name: str, root: str = ROOT) -> dict[str, FileEntry]:
    return {e.path: e for e in parse_file_entries(response_body(name), root, BASE_URL)}


def test_root_depth0() -> None:
    (root,) = parse_file_entries(response_body("22"), ROOT, BASE_URL)
    assert root.path == "/" and root.is_folder and root.name == ""
    assert root.etag == '"6b07c91a9a201"'
    assert root.fileid == "21" and root.size == 643 and root.permissions == "RGDNVCK"
    assert root.mtime == datetime(2026, 11, 26, 5, 52, 26, tzinfo=UTC)
    assert root.owner == "alice" and root.share_types == () and root.content_type is None


def test_root_depth1_decodes_paths_and_share_types() -> None:
    found = parse_file_entries(response_body("23"), ROOT, BASE_URL)
    by_path = {e.path: e for e in found}
    compta = by_path["/Comptabilité/"]
    assert compta.fileid == "175" and compta.share_types == (3,)
    # Folder ETags are not unique: the root and Comptabilité share one (fixtures README).
    assert compta.etag == by_path["/"].etag
    assert "/Conseil d'administration/" in by_path
    welcome = by_path["/welcome.txt"]
    assert not welcome.is_folder and welcome.content_type == "text/plain"
    assert welcome.size is not None and welcome.size > 0


def test_etag_propagates_to_every_parent() -> None:
    before, after = entries("25", ROOT), entries("30", ROOT)
    budget = "/Subventions/Ville de Lyon 2027/Budget prévisionnel 2027.ods"
    assert before[budget].fileid == after[budget].fileid
    assert after[budget].etag == '"57860952b358c795e2bc961e6ef50b0c"'
    roots = [parse_file_entries(response_body(n), ROOT, BASE_URL)[0] for n in ("27", "29", "30")]
    assert len({e.etag for e in roots}) == 1
    assert roots[0].etag != parse_file_entries(response_body("22"), ROOT, BASE_URL)[0].etag


def test_depth_infinity_lists_the_whole_tree() -> None:
    tree = entries("31")
    assert "/Comptabilité/Bilan 2025.pdf" in tree
    assert "/Conseil d'administration/2026-12-05/Ordre du jour (brouillon).odt" in tree
    assert "/Conseil d'administration/2026-12-05/Procès-verbal CA 2026-10-03.pdf" in tree
    assert len(tree) == 15


def test_shared_folder_seen_from_admin() -> None:
    tree = entries("44", "/remote.php/dav/files/admin/")
    shared = tree["/Subventions/"]
    assert shared.permissions == "SRGDNVCK" and shared.owner == "alice"
    assert shared.fileid == "173"
    assert tree["/welcome.txt"].size == 164


def test_moved_file_keeps_fileid_and_etag() -> None:
    before = parse_file_entries(response_body("37"), ROOT, BASE_URL)[0]
    after = parse_file_entries(response_body("39"), ROOT, BASE_URL)[0]
    assert before.fileid == after.fileid and before.etag == after.etag
    assert after.path == "/Conseil d'administration/Procès-verbaux/Procès-verbal CA 2026-10-03.pdf"


def test_hostile_hrefs_are_skipped() -> None:
    body = (
        response_body("23")
        .replace(
            b"/remote.php/dav/files/alice/Comptabilit%c3%a9/",
            b"http://evil.example/remote.php/dav/files/alice/Comptabilit%c3%a9/",
        )
        .replace(
            b"/remote.php/dav/files/alice/welcome.txt",
            b"/remote.php/dav/files/alice/%2e%2e%2fadmin/welcome.txt",
        )
    )
    paths = {e.path for e in parse_file_entries(body, ROOT, BASE_URL)}
    assert "/Comptabilité/" not in paths and "/welcome.txt" not in paths
    assert len(paths) == len(entries("23")) - 2
    assert entries("23", "/remote.php/dav/files/bob/") == {}


def test_propfind_body_asks_all_props_in_one_request() -> None:
    asked = {child.tag for child in parse_xml(PROPFIND_FILE_PROPS)[0]}
    assert len(asked) == 12
    assert "{http://owncloud.org/ns}share-types" in asked
    assert "{http://nextcloud.org/ns}has-preview" in asked


def test_unset_props_of_404_propstat_are_absent() -> None:
    (root,) = parse_multistatus(response_body("22"))
    assert "{DAV:}getcontenttype" not in root.props and root.status is None
    assert root.text("{http://nextcloud.org/ns}has-preview") == "false"


def test_propfind_through_client(rsps: responses.RequestsMock, files: FilesClient) -> None:
    add_fixture(rsps, "25")
    found = files.propfind("/Subventions/Ville de Lyon 2027/", "1")
    assert found[0].path == "/Subventions/Ville de Lyon 2027/"
    assert rsps.calls[0].request.headers["Depth"] == "1"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html><body>Nextcloud is in maintenance mode</body></html>"),
        (207, b""),
        (207, response_body("23")[:1500]),
        (207, b"<html><body>not dav</body></html>"),
        (
            207,
            b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<d:multistatus xmlns:d="DAV:">&b;</d:multistatus>',
        ),
    ],
)
def test_broken_answers_never_look_empty(
    rsps: responses.RequestsMock, files: FilesClient, status: int, body: bytes
) -> None:
    rsps.add("PROPFIND", BASE_URL + ROOT, status=status, body=body)
    with pytest.raises(ProtocolError):
        files.propfind("/", "1")


def test_put_requires_a_guard(files: FilesClient) -> None:
    with pytest.raises(ValueError, match="guarded"):
        files.put("/Statuts.pdf", b"x")


def test_put_with_if_match_returns_new_etag(
    rsps: responses.RequestsMock, files: FilesClient
) -> None:
    fx = add_fixture(rsps, "26")
    etag = files.put(
        "/Subventions/Ville de Lyon 2027/Budget prévisionnel 2027.ods",
        b"budget",
        if_match=fx["request"]["headers"]["If-Match"],
    )
    assert etag == '"57860952b358c795e2bc961e6ef50b0c"'
    assert rsps.calls[0].request.headers["If-Match"] == '"f10427efc634ec79fdf27d0ebc7a74af"'


def test_stale_put_carries_current_etag(rsps: responses.RequestsMock, files: FilesClient) -> None:
    add_fixture(rsps, "35")
    with pytest.raises(PreconditionFailed) as caught:
        files.put(
            "/Subventions/Ville de Lyon 2027/Budget prévisionnel 2027.ods",
            b"stale",
            if_match='"f10427efc634ec79fdf27d0ebc7a74af"',
        )
    assert caught.value.current_etag == '"57860952b358c795e2bc961e6ef50b0c"'


def test_create_existing_file_fails(rsps: responses.RequestsMock, files: FilesClient) -> None:
    add_fixture(rsps, "36")
    with pytest.raises(PreconditionFailed):
        files.put("/Subventions/Ville de Lyon 2027/Statuts.pdf", b"x", if_none_match=True)
    assert rsps.calls[0].request.headers["If-None-Match"] == "*"


def test_get_mkcol_delete(rsps: responses.RequestsMock, files: FilesClient) -> None:
    get = add_fixture(rsps, "43")
    add_fixture(rsps, "02")
    add_fixture(rsps, "40")
    body = files.get("/Conseil d'administration/2026-12-05/Ordre du jour.odt")
    assert body == get["response"]["body"].encode()
    files.mkcol("/Subventions/Ville de Lyon 2027/")
    files.delete(
        "/Conseil d'administration/2026-12-05/Ordre du jour (brouillon).odt", if_match='"x"'
    )
    assert rsps.calls[2].request.headers["If-Match"] == '"x"'


@pytest.mark.parametrize(
    ("name", "root", "count"),
    [
        ("22", ROOT, 1),
        ("23", ROOT, 5),
        ("24", ROOT, 2),
        ("25", ROOT, 5),
        ("27", ROOT, 1),
        ("28", ROOT, 5),
        ("29", ROOT, 2),
        ("30", ROOT, 5),
        ("31", ROOT, 15),
        ("44", "/remote.php/dav/files/admin/", 3),
    ],
)
def test_every_listing_fixture_parses(name: str, root: str, count: int) -> None:
    found = parse_file_entries(response_body(name), root, BASE_URL)
    assert len(found) == count
    for entry in found:
        assert entry.fileid and entry.etag and entry.etag.startswith('"') and entry.mtime
        assert entry.path.endswith("/") == entry.is_folder
        assert entry.size is not None and entry.permissions


def test_multistatus_without_the_target_is_refused(
    rsps: responses.RequestsMock, files: FilesClient
) -> None:
    rsps.add("PROPFIND", BASE_URL + ROOT, status=207, body=b'<d:multistatus xmlns:d="DAV:"/>')
    with pytest.raises(ProtocolError, match="does not include"):
        files.propfind("/", "1")


def test_hostile_xml_bodies() -> None:
    external = (
        b'<?xml version="1.0"?><!DOCTYPE d:multistatus [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<d:multistatus xmlns:d="DAV:">&x;</d:multistatus>'
    )
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lollollollol">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><d:multistatus xmlns:d="DAV:">&d;'
        b"</d:multistatus>"
    )
    for body in (external, deep, laughs):
        with pytest.raises(ProtocolError, match="not well-formed XML"):
            parse_multistatus(body)
    with pytest.raises(ProtocolError, match="multistatus"):
        parse_multistatus(b'<d:error xmlns:d="DAV:"/>')
