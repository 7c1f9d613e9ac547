"""Shared fixtures: the demo server, a database on SQLite and on PostgreSQL, services, app."""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.demo.seed import SeedInfo
from sidecar.services import accounts
from sidecar.storage import Database, normalise_url
from tests import shared_compilation
from tests.access_helpers import LoginAs
from tests.demo_fixtures import demo_seed_template, demo_server, fresh_demo_server
from tests.security.browser import CHROMIUM, CHROMIUM_ARGS, browser_or_skip

__all__ = ["demo_seed_template", "demo_server", "fresh_demo_server"]

shared_compilation.install()  # every test's app reuses the process's compiled routes and templates
# Local passwords hashed with scrypt at N=2^10 instead of 2^15 (a hash in 3 ms, not 100): the
# suite hashes and checks about 150 of them. tests/security/test_passwords.py checks the real
# value in a process of its own.
accounts.PASSWORD_HASH_METHOD = "scrypt:1024:8:1"

POSTGRES_URL = os.environ.get("QUORUM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test")


def _postgres_or_skip() -> str:
    url = normalise_url(POSTGRES_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as err:
        reason = (
            f"PostgreSQL not reachable at {POSTGRES_URL} ({type(err.orig).__name__}); set "
            "QUORUM_TEST_POSTGRES_URL to run the PostgreSQL half of the suite."
        )
        if os.environ.get("QUORUM_TEST_POSTGRES_REQUIRED"):
            pytest.fail(reason)  # CI has a server: a silent skip would hide half the suite
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """Databases migrated to head once per test process, copied for each test that needs one.

    Running the migrations took 0.3 s per test on SQLite and 1.3–2 s on PostgreSQL (80 DDL
    statements), half the suite's time; a copy takes a few milliseconds on SQLite and about
    0.15 s on PostgreSQL (``CREATE DATABASE … TEMPLATE``). The PostgreSQL template is made on
    first use, so a run without PostgreSQL never connects.
    """
    templates = Templates(tmp_path_factory.mktemp("template"))
    yield templates
    templates.close()


class Templates:
    def __init__(self, folder: Path) -> None:
        self.sqlite = folder / "quorum.db"
        db = Database(f"sqlite:///{self.sqlite}")
        db.upgrade()
        db.dispose()
        self._postgres: tuple[Engine, str] | None = None
        self._dropped: queue.Queue[str | None] = queue.Queue()
        self._dropper = threading.Thread(target=self._drop, name="drop-test-databases")
        self._dropper.start()

    def drop_later(self, name: str) -> None:
        """Drop a test's database in the background: on PostgreSQL 15 each DROP DATABASE
        forces a checkpoint, seconds long while other tests write."""
        self._dropped.put(name)

    def _drop(self) -> None:
        while (name := self._dropped.get()) is not None:
            assert self._postgres is not None
            with self._postgres[0].connect() as conn:  # FORCE: a test's process may linger
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def copy_sqlite_into(self, data_dir: Path) -> None:
        """Put a migrated SQLite database where settings without a URL look for it."""
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.sqlite, data_dir / "quorum.db")

    def postgres(self) -> tuple[Engine, str]:
        """(an AUTOCOMMIT engine on the server, the migrated template's name)."""
        if self._postgres is None:
            admin = create_engine(_postgres_or_skip(), isolation_level="AUTOCOMMIT")
            name = f"qtmpl_{uuid.uuid4().hex[:12]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self._postgres = admin, name  # dropped in close() even if the upgrade fails
            db = Database(_database(admin, name))
            db.upgrade()
            db.dispose()  # a template must have no connection when it is copied
        return self._postgres

    def close(self) -> None:
        self._dropped.put(None)
        self._dropper.join()
        if self._postgres is not None:
            admin, name = self._postgres
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _database(admin: Engine, name: str) -> str:
    return admin.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: Templates
) -> Iterator[str]:
    """Every storage test runs twice: on a SQLite file and in a PostgreSQL database of its
    own, both already migrated to head (tests of the migrations take ``empty_database_url``)."""
    if request.param == "sqlite":
        target = tmp_path / "quorum.db"
        shutil.copyfile(migrated_templates.sqlite, target)
        yield f"sqlite:///{target}"
        return
    admin, template = migrated_templates.postgres()
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _database(admin, name)
    migrated_templates.drop_later(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no migration applied), on SQLite and in a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'quorum.db'}"
        return
    base = _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    settings = load_settings(
        environ={},
        overrides={
            "data_dir": str(tmp_path / "data"),
            "database_url": database_url,
            "allow_private_addresses": "true",
        },
    )
    built = Services.from_settings(settings)
    yield built
    built.db.dispose()


@pytest.fixture
def app(services: Services) -> Flask:
    from sidecar.web import create_app

    return create_app({"TESTING": True}, services=services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(client: FlaskClient) -> LoginAs:
    """``login_as("admin")`` signs ``client`` in (session and API token) with that role, in the
    install's association (created if none); ``association="b"`` and ``nc_user=`` are optional."""
    from tests.access_helpers import make_user, sign_in

    def _login(role: str = "admin", **options: str | None) -> FlaskClient:
        return sign_in(client, *make_user(client.application.extensions["quorum"], role, **options))

    return _login


@pytest.fixture
def signed_in_admin(request: pytest.FixtureRequest) -> None:
    """For modules written before sign-in existed: tests using ``client`` (or the module-wide
    ``synced_client``) get an admin (``pytestmark = pytest.mark.usefixtures("signed_in_admin")``)."""
    if "client" in request.fixturenames:
        request.getfixturevalue("login_as")("admin")
    if "synced_client" in request.fixturenames:
        from tests.access_helpers import make_user, sign_in

        client: FlaskClient = request.getfixturevalue("synced_client")
        sign_in(client, *make_user(client.application.extensions["quorum"], "admin"))


@pytest.fixture(scope="module")
def synced_demo(
    demo_server: DemoServer,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_templates: Templates,
) -> Iterator[Services]:
    """One SQLite database synced from the shared demo server, for every test of a module."""
    from sidecar.cli.demo import connect_demo_source
    from sidecar.sync.runner import run_source

    data_dir = tmp_path_factory.mktemp("synced-demo")
    migrated_templates.copy_sqlite_into(data_dir)
    built = Services.from_settings(
        load_settings(
            environ={}, overrides={"data_dir": str(data_dir), "allow_private_addresses": "true"}
        )
    )
    run_source(built.db, built.vault, connect_demo_source(built, demo_server.url))
    yield built
    built.db.dispose()


@pytest.fixture(scope="module")
def seed_info(demo_server: DemoServer) -> SeedInfo:
    """The facts of the shared demo server's sample association."""
    assert demo_server.seed_info is not None
    return demo_server.seed_info


@pytest.fixture(scope="module")
def synced_client(synced_demo: Services) -> FlaskClient:
    """A test client of an app on :func:`synced_demo` (sign in with the access fixtures)."""
    from sidecar.web import create_app

    return create_app({"TESTING": True}, services=synced_demo).test_client()


@pytest.fixture
def synced(services: Services, demo_server: DemoServer) -> Services:
    """``services`` (SQLite and PostgreSQL) after one sync of the shared demo server."""
    from tests.sync.helpers import connect, sync

    sync(services, connect(services, demo_server.url))
    return services


@pytest.fixture
def fresh_synced(
    fresh_demo_server: DemoServer, tmp_path: Path, migrated_templates: Templates
) -> Iterator[tuple[Services, int]]:
    """A SQLite database synced from a demo server of its own, free to be changed: (services,
    source id)."""
    from tests.sync.helpers import connect, sync

    migrated_templates.copy_sqlite_into(tmp_path / "q")
    built = Services.from_settings(
        load_settings(
            environ={},
            overrides={"data_dir": str(tmp_path / "q"), "allow_private_addresses": "true"},
        )
    )
    source_id = connect(built, fresh_demo_server.url)
    sync(built, source_id)
    yield built, source_id
    built.db.dispose()


@pytest.fixture
def no_csrf(app: Flask) -> Flask:
    """The ``app`` with CSRF checks off, for tests that post forms without a page."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's, never downloaded) for the whole session and both browser
    suites: Playwright's sync driver cannot start twice in one process. Skips without Chromium,
    unless QUORUM_TEST_BROWSER_REQUIRED=1 (CI)."""
    sync_api = browser_or_skip()
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        yield launched
        launched.close()
