"""Issue 13, item 5: one bad entry is recorded and skipped; the rest of the run still applies.

An oversized ``oc:size``, a foreign-origin href in a folder listing, a foreign-namespace href in
the calendar home, a malformed calendar home: against the demo server behind a fault-injecting
proxy, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from sidecar.context import Services
from sidecar.storage.models import FileRecord
from tests.sync.helpers import connect, mirrored_files, sync
from tests.sync.proxy import Proxied, Reply, Rewrite, Seen
from tests.sync.test_integrity_guard import add_event, calendar_objects

STATUTS = "/Association/Statuts.pdf"


def in_response_of(name: str, old: bytes, new: bytes) -> Rewrite:
    """In PROPFIND answers, replace ``old`` by ``new`` inside the response naming ``name``."""
    pattern = re.compile(
        rb"<D:response[^>]*>(?:(?!</D:response>).)*?"
        + re.escape(name.encode())
        + rb".*?</D:response>",
        re.DOTALL,
    )

    def rewrite(seen: Seen, reply: Reply) -> Reply | None:
        if seen.method != "PROPFIND":
            return None
        body = pattern.sub(lambda m: re.sub(old, new, m.group(0)), reply.body)
        return Reply(reply.status, body, reply.headers)

    return rewrite


def touch_folder_and_calendar(proxied: Proxied) -> None:
    """Changes elsewhere, which must still be applied."""
    folder = Path(proxied.demo.data_dir) / "files" / "alice" / "Association"
    (folder / "Nouveau.txt").write_bytes(b"x")
    add_event(proxied.url, "bureau", "ailleurs")


def test_an_oversized_size_is_recorded_and_the_rest_applies(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    touch_folder_and_calendar(proxied)
    huge = b"1" + b"0" * 30
    proxied.proxy.rewrites.append(
        in_response_of(
            "Statuts.pdf", rb"<D:getcontentlength>\d+<", b"<D:getcontentlength>" + huge + b"<"
        )
    )
    proxied.proxy.rewrites.append(
        in_response_of("Statuts.pdf", rb"<NS1:size>\d+<", b"<NS1:size>" + huge + b"<")
    )
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert "out of range" in report.collection_errors["/"]
    files = mirrored_files(services)
    assert STATUTS in files and "/Association/Nouveau.txt" in files
    assert any(h.endswith("/ailleurs.ics") for h in calendar_objects(services, "bureau"))
    with services.db.session() as session:
        size = session.scalar(select(FileRecord.size).where(FileRecord.path == STATUTS))
    assert size is not None and size < 1000, "the stored size is kept, not overflowed"


def test_a_foreign_origin_href_is_not_taken_for_a_deletion(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    touch_folder_and_calendar(proxied)
    proxied.proxy.rewrites.append(
        in_response_of(
            "Statuts.pdf",
            rb"<D:href>/remote",
            b"<D:href>http://evil.example/remote",
        )
    )
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert "unusable address" in report.collection_errors["/"]
    files = mirrored_files(services)
    assert STATUTS in files, "not deleted"
    assert "/Association/Nouveau.txt" in files
    proxied.proxy.clear()
    proxied.proxy.seen.clear()
    assert sync(services, source_id).outcome == "ok"
    assert any(
        s.method == "PROPFIND" and s.path.endswith("/Association/") for s in proxied.proxy.seen
    ), "the folder with the unreadable entry is listed again"


def home_rewrite(change: bytes) -> Rewrite:
    def rewrite(seen: Seen, reply: Reply) -> Reply | None:
        if seen.method == "PROPFIND" and seen.path.rstrip("/").endswith("/calendars/alice"):
            return Reply(reply.status, change or reply.body[: len(reply.body) // 2], reply.headers)
        return None

    return rewrite


def test_a_foreign_namespace_href_in_the_calendar_home_fails_only_that_calendar(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    touch_folder_and_calendar(proxied)

    def foreign(seen: Seen, reply: Reply) -> Reply | None:
        if seen.method != "PROPFIND" or not seen.path.rstrip("/").endswith("/calendars/alice"):
            return None
        body = reply.body.replace(
            b"<d:href>/remote.php/dav/calendars/alice/echeances/</d:href>",
            b'<x:href xmlns:x="urn:other">/remote.php/dav/calendars/alice/echeances/</x:href>',
        )
        assert body != reply.body
        return Reply(reply.status, body, reply.headers)

    proxied.proxy.rewrites.append(foreign)
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert any(h.endswith("/ailleurs.ics") for h in calendar_objects(services, "bureau"))
    assert "/Association/Nouveau.txt" in mirrored_files(services)


def test_a_malformed_calendar_home_still_syncs_the_files(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    touch_folder_and_calendar(proxied)
    proxied.proxy.rewrites.append(home_rewrite(b""))  # cut in the middle
    report = sync(services, source_id)
    assert report.outcome == "partial", report
    assert any("calendar home" in e for e in report.collection_errors.values())
    assert "/Association/Nouveau.txt" in mirrored_files(services)
