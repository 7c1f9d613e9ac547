"""AppAPI mode end to end, against the demo server started with an app secret.

The demo dispatcher accepts AppAPI-signed requests when started with ``DemoAppApi`` (a small,
labelled addition to ``sidecar/demo/server.py``): a request carrying a valid
``AUTHORIZATION-APP-API`` is served as the user it names, as Nextcloud does for an ExApp. No
HTTP layer is mocked here: Quorum's client talks to the real demo server over TCP.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from integrations.appapi import AppApiCredentials, encode_authorization
from integrations.errors import AuthError
from integrations.types import NcUser
from sidecar.appapi import users as appapi_users
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo.seed import seed
from sidecar.demo.server import DemoAppApi, DemoServer
from sidecar.errors import QuorumError
from sidecar.services.sources import add_appapi_source, probe, record_discovery
from sidecar.storage.models import CalendarObjectRecord, FileRecord, Source, User
from sidecar.sync.connection import connect
from sidecar.sync.runner import RunOptions, run_source
from sidecar.web import create_app

APP_ID, VERSION, SECRET = "quorum", "0.1.0", "demo:app:secret"


@pytest.fixture
def app_demo(tmp_path: Path, demo_seed_template: Path) -> Iterator[DemoServer]:
    """A demo Nextcloud of its own that trusts AppAPI-signed requests of app ``quorum``."""
    data_dir = tmp_path / "demo"
    shutil.copytree(demo_seed_template, data_dir)
    server = DemoServer(
        data_dir, seed_info=seed(data_dir, date.today()), appapi=DemoAppApi(APP_ID, SECRET)
    ).start()
    yield server
    server.stop()


@pytest.fixture
def app_quorum(
    tmp_path: Path, app_demo: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Services]:
    env = {
        "QUORUM_MODE": "appapi",
        "QUORUM_APP_ID": APP_ID,
        "QUORUM_APP_VERSION": VERSION,
        "QUORUM_APP_SECRET": SECRET,
        "QUORUM_NEXTCLOUD_URL": app_demo.url,
        "QUORUM_DATA_DIR": str(tmp_path / "q"),
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
        "QUORUM_HTTP_TIMEOUT": "20",
    }
    for name, value in env.items():  # the sync runner reads the process settings, as in prod
        monkeypatch.setenv(name, value)
    built = Services.from_settings(load_settings())
    yield built
    built.db.dispose()


def _signed(user: str) -> dict[str, str]:
    return {
        "EX-APP-ID": APP_ID,
        "EX-APP-VERSION": VERSION,
        "AUTHORIZATION-APP-API": encode_authorization(user, SECRET),
    }


def _appapi_source(services: Services, url: str, nc_user: str = "alice") -> int:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = add_appapi_source(session, association, "nextcloud", url, nc_user)
        conn = connect(source, services.vault, deadline=20)
        try:
            record_discovery(session, source, probe(conn))
        finally:
            conn.close()
        return source.id


def test_a_source_in_app_mode_syncs_through_appapi_without_a_password(
    app_quorum: Services, app_demo: DemoServer
) -> None:
    source_id = _appapi_source(app_quorum, app_demo.url)
    report = run_source(app_quorum.db, app_quorum.vault, source_id, options=RunOptions())
    assert report.outcome == "ok", report
    with app_quorum.db.session() as session:
        source = session.get(Source, source_id)
        assert source is not None and source.password_enc == b""
        assert source.capabilities["appapi_user"] == "alice"
        assert source.capabilities["user_id"] == "alice"
        files = session.scalar(select(func.count()).select_from(FileRecord))
        events = session.scalar(select(func.count()).select_from(CalendarObjectRecord))
    assert files and files > 3 and events and events > 3, "alice's files and calendars mirrored"
    assert app_demo.stats.by_kind().get("calendars", 0) > 0


def test_the_demo_refuses_a_wrong_app_secret(app_quorum: Services, app_demo: DemoServer) -> None:
    with app_quorum.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = add_appapi_source(session, association, "nc", app_demo.url, "alice")
        wrong = AppApiCredentials(APP_ID, VERSION, "not-the-secret")
        conn = connect(source, app_quorum.vault, deadline=20, appapi=wrong)
        try:
            with pytest.raises(AuthError):
                probe(conn)
        finally:
            conn.close()


def test_a_source_in_app_mode_needs_quorum_in_app_mode(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUORUM_MODE", raising=False)
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = add_appapi_source(session, association, "nc", "http://127.0.0.1:9/", "alice")
        with pytest.raises(QuorumError, match="not running as a Nextcloud app"):
            connect(source, services.vault)
        with pytest.raises(QuorumError, match="Nextcloud account"):
            add_appapi_source(session, association, "other", "http://127.0.0.1:9/", "a:b")


def test_pages_work_inside_nextcloud_without_a_second_sign_in(
    app_quorum: Services, app_demo: DemoServer
) -> None:
    with app_quorum.db.session() as session:
        association = resolve_association(session, None, create=True)
        association.settings = {"access": {"groups": {"admin": "admin", "CA": "officer"}}}
    client = create_app({"TESTING": True}, services=app_quorum).test_client()
    admin = client.get("/jobs/", headers=_signed("admin"))  # demo "admin" is in group admin
    assert admin.status_code == 200, admin.get_data(as_text=True)[:300]
    alice = client.get("/grants", headers=_signed("alice"))  # alice is in CA → officer
    assert alice.status_code == 200
    assert client.get("/jobs/", headers=_signed("alice")).status_code == 403
    assert client.get("/jobs/").status_code == 401, "unsigned: refused before any session"
    with app_quorum.db.session() as session:
        users = {u.login: (u.role, u.nc_user) for u in session.scalars(select(User))}
    assert users == {"admin": ("admin", "admin"), "alice": ("officer", "alice")}


def _identity(groups: tuple[str, ...]) -> appapi_users.Lookup:
    calls: list[str] = []

    def lookup(nc_user: str) -> NcUser:
        calls.append(nc_user)
        return NcUser(nc_user, nc_user.title(), None, groups)

    lookup.calls = calls  # type: ignore[attr-defined]
    return lookup


def test_an_appapi_account_is_looked_up_once_then_refreshed(services: Services) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        association.settings = {"access": {"groups": {"CA": "officer"}}}
    lookup = _identity(("CA",))
    now = datetime(2027, 1, 1, tzinfo=UTC)
    with services.db.session() as session:
        assert appapi_users.account_for(session, "bob", lookup, now=now).role == "officer"
    with services.db.session() as session:
        user = appapi_users.account_for(session, "bob", lookup, now=now + timedelta(minutes=1))
        user.last_login_at = now
    assert lookup.calls == ["bob"]  # type: ignore[attr-defined]
    later = now + appapi_users.REFRESH + timedelta(seconds=1)
    with services.db.session() as session:
        appapi_users.account_for(session, "bob", lookup, now=later).active = False
    assert lookup.calls == ["bob", "bob"]  # type: ignore[attr-defined]
    with services.db.session() as session, pytest.raises(QuorumError, match="deactivated"):
        appapi_users.account_for(session, "bob", lookup, now=later)
    with services.db.session() as session, pytest.raises(QuorumError, match="not part of"):
        appapi_users.account_for(session, "carol", _identity(("choir",)), now=later)
