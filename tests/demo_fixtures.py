"""Pytest fixtures that run the bundled demo server (imported by tests/conftest.py).

`demo_server` is shared by the whole session and must not be modified; tests that write
(PUT, MOVE, DELETE, calendar changes) use `fresh_demo_server`, which seeds its own copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from sidecar.demo.seed import seed
from sidecar.demo.server import DemoServer

__all__ = ["demo_seed_template", "demo_server", "fresh_demo_server"]


@pytest.fixture(scope="session")
def demo_seed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory seeded once per session, copied by the function-scoped fixture."""
    template = tmp_path_factory.mktemp("demo-template")
    seed(template, date.today())
    return template


def _serve(data_dir: Path) -> DemoServer:
    info = seed(data_dir, date.today())  # a no-op on a copied template, returns its facts
    return DemoServer(data_dir, seed_info=info).start()


@pytest.fixture(scope="session")
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, demo_seed_template: Path
) -> Iterator[DemoServer]:
    """The demo Nextcloud for the whole session (read-only use); `.seed_info` has the facts."""
    data_dir = tmp_path_factory.mktemp("demo-shared") / "data"
    shutil.copytree(demo_seed_template, data_dir)
    server = _serve(data_dir)
    yield server
    server.stop()


@pytest.fixture
def fresh_demo_server(tmp_path: Path, demo_seed_template: Path) -> Iterator[DemoServer]:
    """A demo Nextcloud of its own for one test, free to be modified."""
    data_dir = tmp_path / "demo"
    shutil.copytree(demo_seed_template, data_dir)
    server = _serve(data_dir)
    yield server
    server.stop()
