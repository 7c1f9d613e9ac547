"""The database, the key, the session secret and backups are created 0600, whatever the umask
(issue 12, item 5)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.services import backup
from sidecar.web import create_app


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default: files readable by everyone
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_database_key_secret_and_backups_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    services = Services.from_settings(load_settings(environ={}, overrides={"data_dir": str(data)}))
    try:
        create_app({"TESTING": True}, services=services)  # writes the session secret
        database = Path(services.db.engine.url.database or "")
        files = [database, services.settings.effective_key_file, data / "flask-secret"]
        files += [p for p in database.parent.glob(database.name + "-*")]  # -wal, -shm
        for kind, portable in (("sqlite", False), ("json", True)):
            target = tmp_path / "backups" / f"quorum.{kind}"
            assert backup.backup(services.db, target, portable=portable) == kind
            files.append(target)
        for path in files:
            assert path.exists() and _mode(path) == 0o600, f"{path.name}: {oct(_mode(path))}"
    finally:
        services.db.dispose()
