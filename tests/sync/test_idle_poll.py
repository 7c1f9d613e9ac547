"""An idle poll (nothing changed remotely) reads no per-file or per-event row.

Its cost must not grow with the mirror: the files root's ETag and the calendars' sync tokens
are compared with the stored cursors before anything else is loaded. Checked by recording the
SQL the run sends (on SQLite and PostgreSQL), not by timing it.
"""

from __future__ import annotations

import re

from sidecar.context import Services
from sidecar.demo import DemoServer
from tests.sql_statements import statements
from tests.sync.helpers import alice_files, connect, mirrored_files, sync

MIRROR_TABLES = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+(files|calendar_objects|occurrences)\b")


def test_idle_poll_touches_no_mirrored_row(services: Services, demo_server: DemoServer) -> None:
    source_id = connect(services, demo_server.url)
    assert sync(services, source_id).outcome == "ok"
    with statements(services) as seen:
        report = sync(services, source_id)
    assert report.outcome == "ok"
    assert (report.counts.added, report.counts.changed, report.counts.removed) == (0, 0, 0)
    touching = [s for s in seen if MIRROR_TABLES.search(s)]
    assert touching == [], touching


def test_a_change_after_idle_polls_is_still_found(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    info = fresh_demo_server.seed_info
    assert info is not None
    source_id = connect(services, fresh_demo_server.url)
    sync(services, source_id)
    sync(services, source_id)  # idle
    path = f"/{info.lyon_folder}/Note {info.today.year}.txt"
    alice_files(fresh_demo_server.url).put(path, b"nouvelle note", if_none_match=True)
    report = sync(services, source_id)
    assert report.outcome == "ok" and report.counts.added == 1
    assert path in mirrored_files(services)
