from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sync.helpers import close_clients


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    close_clients()
