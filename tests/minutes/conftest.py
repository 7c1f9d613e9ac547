from __future__ import annotations

from collections.abc import Iterator

import pytest

from sidecar.context import Services
from sidecar.demo import DemoServer
from tests.sync.helpers import close_clients


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    close_clients()


@pytest.fixture
def fresh_synced_db(services: Services, fresh_demo_server: DemoServer) -> tuple[Services, int]:
    """``services`` (SQLite and PostgreSQL) synced from a demo server of its own, free to be
    changed: (services, source id)."""
    from tests.sync.helpers import connect, sync

    source_id = connect(services, fresh_demo_server.url)
    sync(services, source_id)
    return services, source_id
