"""What the guided setup costs: requests and seconds to read a source and propose its roles.

Run: ``.venv/bin/python bench/setup_read.py`` — against the bundled demo server, for the first
sample association (Jardins partagés) and the second (the basketball club). The baseline is
one sync's first run of the same source: the setup should cost about as much, not more.
Figures are printed, never asserted.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

from integrations.caldav import CalendarClient
from integrations.http import HttpClient
from integrations.ocs import OcsClient
from integrations.webdav import FilesClient
from sidecar.demo.seed import seed
from sidecar.demo.seed_club import CLUB_LOGIN, CLUB_USERS, seed_club
from sidecar.demo.server import DEMO_USERS, DemoServer
from sidecar.services.setup import propose
from sidecar.services.setup_apply import read_sample
from sidecar.services.sources import probe
from sidecar.sync.connection import Connection


def _measure(name: str, data_dir: Path, users: dict[str, str], login: str) -> None:
    with DemoServer(data_dir, users=users) as server:
        http = HttpClient(server.url + "/", login, users[login], deadline=60)
        conn = Connection(
            http, FilesClient(http, login), CalendarClient(http, login), OcsClient(http)
        )
        started = time.perf_counter()
        proposal = propose(read_sample(conn, probe(conn)))
        seconds = time.perf_counter() - started
        print(
            f"{name:<10} {http.requests_made:>4} requests {seconds:>6.2f} s  "
            f"{len(proposal.calendars)} calendars, {len(proposal.folders)} folders, "
            f"{len(proposal.bodies)} bodies proposed"
        )
        conn.close()


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="quorum-bench-setup-"))
    seed(root / "demo", date.today())
    seed_club(root / "club", date.today())
    print("source      requests   time   proposals   (baseline: a first sync costs 6 requests)")
    _measure("demo", root / "demo", dict(DEMO_USERS), "alice")
    _measure("club", root / "club", dict(CLUB_USERS), CLUB_LOGIN)


if __name__ == "__main__":
    main()
