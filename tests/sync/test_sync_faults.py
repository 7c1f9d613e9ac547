"""Broken answers never delete anything (docs/pitfalls.md: an unparsable listing is not an empty folder).

A fault-injecting WSGI middleware wraps the real demo server; only the listed requests are
spoiled, everything else is Radicale and WsgiDAV answering for real.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cheroot import wsgi

from sidecar.context import Services
from sidecar.demo import DEMO_USERS, DemoServer, build_app
from sidecar.demo.server import quick_stop
from tests.sync.helpers import alice_files, connect, mirrored_files, sync

StartResponse = Callable[..., Any]


class Faults:
    """Spoils Depth-1 PROPFINDs on files while ``mode`` is set."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.mode: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.mode == "finite" and environ.get("HTTP_DEPTH") == "infinity":
            start_response("403 Forbidden", [("Content-Type", "application/xml")])
            return [
                b'<?xml version="1.0"?><d:error xmlns:d="DAV:"><d:propfind-finite-depth/></d:error>'
            ]
        spoil = (
            self.mode in {"html", "empty", "truncated"}
            and environ["REQUEST_METHOD"] == "PROPFIND"
            and environ.get("HTTP_DEPTH") == "1"
            and "/remote.php/dav/files/" in environ.get("PATH_INFO", "")
        )
        if not spoil:
            return self.app(environ, start_response)
        if self.mode == "html":
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b"<html><body>Maintenance en cours</body></html>"]
        if self.mode == "empty":
            start_response("207 Multi-Status", [("Content-Type", "application/xml")])
            return [b""]
        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            captured.update(status=status, headers=headers)

        body = b"".join(self.app(environ, keep))
        start_response(captured["status"], [("Content-Type", "application/xml")])
        return [body[: len(body) // 2]]  # "truncated"


@pytest.fixture
def faulty(fresh_demo_server: DemoServer) -> Iterator[tuple[str, Faults, DemoServer]]:
    faults = Faults(build_app(fresh_demo_server.data_dir, DEMO_USERS))
    server = quick_stop(wsgi.Server(("127.0.0.1", 0), faults, numthreads=4))
    server.prepare()
    import threading

    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.bind_addr[1]}", faults, fresh_demo_server
    server.stop()
    thread.join(timeout=5)


@pytest.mark.parametrize("mode", ["html", "empty", "truncated"])
def test_a_spoiled_listing_deletes_nothing(
    services: Services, faulty: tuple[str, Faults, DemoServer], mode: str
) -> None:
    url, faults, demo = faulty
    source_id = connect(services, url)
    assert sync(services, source_id).outcome == "ok"
    before = mirrored_files(services)
    info = demo.seed_info
    assert info is not None
    path = f"/{info.lyon_folder}/Statuts.pdf"
    etag = before[path]
    assert etag is not None
    alice_files(url).put(path, b"new statuts", if_match=etag)  # the root ETag moves: descend
    faults.mode = mode
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert "/" in report.collection_errors, report.collection_errors
    assert mirrored_files(services) == before, "nothing deleted, nothing half-applied"
    faults.mode = None
    report = sync(services, source_id)
    assert report.outcome == "ok"
    assert mirrored_files(services)[path] != etag, "the next good run converges"
    assert set(mirrored_files(services)) == set(before)


def test_a_mass_disappearance_is_refused_then_applied_on_request(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    source_id = connect(services, fresh_demo_server.url)
    sync(services, source_id)
    before = mirrored_files(services)
    root = Path(fresh_demo_server.data_dir) / "files" / "alice"
    for folder in ("Conseil d'administration", "Subventions", "Comptabilité"):
        shutil.rmtree(root / folder)
    report = sync(services, source_id)
    assert report.outcome == "partial"
    assert "disappeared at once" in report.collection_errors["/"]
    assert mirrored_files(services) == before
    report = sync(services, source_id, allow_mass_delete=True)
    assert report.outcome == "ok"
    after = mirrored_files(services)
    assert not any(p.startswith("/Subventions/") for p in after)
    assert "/Association/Statuts.pdf" in after


def test_initial_sync_walks_when_depth_infinity_is_refused(
    services: Services, faulty: tuple[str, Faults, DemoServer]
) -> None:
    url, faults, _demo = faulty
    faults.mode = "finite"
    source_id = connect(services, url)
    report = sync(services, source_id)
    assert report.outcome == "ok", report
    folders = [path for path in mirrored_files(services) if path.endswith("/")]
    # One refused whole-tree listing, then Depth 0 on the root and Depth 1 per folder.
    assert report.requests >= len(folders) + 2
    assert "/Subventions/" in folders and len(mirrored_files(services)) > 50
