"""Issue 13, item 1: file sizes are 64-bit; a tree over 2 GiB syncs on PostgreSQL too.

The demo server computes a folder's ``oc:size`` as its subtree total, like Nextcloud: a sparse
3 GiB file (no disk used) makes the root row hold more than 2**31 bytes.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.storage import Database
from sidecar.storage.models import FileRecord
from tests.sync.helpers import connect, sync

THREE_GIB = 3 * 1024**3


def test_a_tree_over_two_gib_syncs(services: Services, fresh_demo_server: DemoServer) -> None:
    video = Path(fresh_demo_server.data_dir) / "files" / "alice" / "Communication" / "Film.mp4"
    with video.open("wb") as handle:
        handle.truncate(THREE_GIB)  # sparse
    report = sync(services, connect(services, fresh_demo_server.url))
    assert report.outcome == "ok", report
    with services.db.session() as session:
        sizes = {p: s for p, s in session.execute(select(FileRecord.path, FileRecord.size))}
    assert sizes["/Communication/Film.mp4"] == THREE_GIB
    assert (sizes["/"] or 0) > THREE_GIB, "the root holds the tree's size"


def test_migration_0009_widens_existing_sizes(empty_database_url: str) -> None:
    """From 0008 with rows in place, the upgrade keeps them and then holds 64-bit sizes."""
    db = Database(empty_database_url)
    try:
        db.upgrade("0008_share_audit_notes")
        with db.session() as session:
            # Plain SQL: the ORM's models have columns added after 0008 (0011, 0020), and its
            # writes count themselves in associations.inputs_version (0020).
            association_id = session.execute(
                text(
                    "INSERT INTO associations (slug, name, timezone, language,"
                    " financial_year_end, settings, created_at) VALUES ('default', 'A',"
                    " 'Europe/Paris', 'fr', '12-31', '{}', CURRENT_TIMESTAMP) RETURNING id"
                )
            ).scalar_one()
            source_id = session.execute(
                text(
                    "INSERT INTO sources (association_id, name, base_url, login, password_enc,"
                    " capabilities, status, created_at) VALUES (:a, 'nc', 'http://nc.example/',"
                    " 'alice', :pw, '{}', 'ok', CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"a": association_id, "pw": b"x"},
            ).scalar_one()
            collection_id = session.execute(
                text(
                    "INSERT INTO collections (source_id, kind, remote_path, display_name,"
                    " enabled, components, state) VALUES (:s, 'folder', '/', '', :on, '', '{}')"
                    " RETURNING id"
                ),
                {"s": source_id, "on": True},
            ).scalar_one()
            session.execute(
                text(
                    "INSERT INTO files (collection_id, path, is_folder, size, share_types,"
                    " first_seen, last_changed) VALUES (:c, '/', :folder, 7, '[]',"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"c": collection_id, "folder": True},
            )
        db.upgrade()
        with db.session() as session:
            root = session.scalar(select(FileRecord))
            assert root is not None and root.size == 7
            root.size = THREE_GIB
        with db.session() as session:
            assert session.scalar(select(FileRecord.size)) == THREE_GIB
    finally:
        db.dispose()
