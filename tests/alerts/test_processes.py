"""Two ``quorum alerts run`` processes at once, against the same database and a real SMTP
server: every message arrives exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.storage.models import Association, Delivery
from tests.alerts.conftest import Smtp
from tests.alerts.helpers import add_channel
from tests.sync.helpers import connect, sync


def test_two_processes_send_each_message_once(
    demo_server: DemoServer, smtp: Smtp, tmp_path: Path, database_url: str
) -> None:
    overrides = {
        "data_dir": str(tmp_path / "data"),
        "database_url": database_url,
        "allow_private_addresses": "true",
    }
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    try:
        sync(services, connect(services, demo_server.url))
        with services.db.session() as session:
            aid = session.scalars(select(Association.id)).one()
        add_channel(services, aid, "mail", "email", **smtp.config())
        env = {
            **os.environ,
            "QUORUM_DATA_DIR": overrides["data_dir"],
            "QUORUM_DATABASE_URL": database_url,
            "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
        }
        command = [sys.executable, "-c", "from sidecar.cli import main; main()", "alerts", "run"]
        workers = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=180) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        with services.db.session() as session:
            states = Counter(session.scalars(select(Delivery.state)))
    finally:
        services.db.dispose()
    received = Counter((rcpt, str(m["X-Quorum-Alert"])) for rcpt, m in smtp.inbox.messages)
    assert received and max(received.values()) == 1  # nobody got the same alert twice
    assert states["sent"] == len(received) and set(states) == {"sent"}
