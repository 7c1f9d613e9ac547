"""``quorum alerts``: add a channel, send a test mail to a real SMTP server, run twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sidecar.cli import cli
from sidecar.demo import DemoServer
from tests.alerts.conftest import Smtp
from tests.sync.helpers import connect, sync

Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, database_url: str) -> Iterator[Invoke]:
    env = {
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_DATABASE_URL": database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    yield invoke


def test_channel_test_and_run(
    run: Invoke, smtp: Smtp, demo_server: DemoServer, tmp_path: Path, database_url: str
) -> None:
    from sidecar.config import load_settings
    from sidecar.context import Services

    settings = load_settings(
        environ={},
        overrides={
            "data_dir": str(tmp_path / "data"),
            "database_url": database_url,
            "allow_private_addresses": "true",
        },
    )
    services = Services.from_settings(settings)
    try:
        sync(services, connect(services, demo_server.url))
    finally:
        services.db.dispose()
    added = run(
        "alerts", "channel-add", "mail", "--kind", "email",
        "--set", f"host={smtp.host}", "--set", f"port={smtp.port}", "--set", "security=none",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    tested = run(
        "alerts", "test", "--channel", "mail", "--to", "anne@example.org", "--language", "en"
    )
    assert tested.exit_code == 0, tested.output
    [mail] = smtp.inbox.to("anne@example.org")
    assert mail["Subject"] == "Quorum test message"
    missing = run("alerts", "test", "--channel", "nope")
    assert missing.exit_code == 1 and "No channel 'nope'" in missing.output
    first = run("alerts", "run", "--no-send")
    assert first.exit_code == 0 and not first.output.startswith("0 opened"), first.output
    again = run("alerts", "run", "--no-send")
    assert again.output.startswith("0 opened, 0 reopened"), again.output
    listed = run("alerts", "list")
    assert listed.exit_code == 0 and listed.output.strip()
    assert "mail\temail\tenabled" in run("alerts", "channels").output
