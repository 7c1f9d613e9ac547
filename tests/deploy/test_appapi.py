"""AppAPI mode: lifecycle endpoints, the signature check, idempotent top-menu registration.

Nextcloud is not running here: its OCS answers are shaped with ``responses`` after AppAPI's
documented endpoints (``PUT ex-app/status``, ``POST``/``DELETE ui/top-menu``). They are
Nextcloud-only answers — Quorum's own HTTP (the Flask test client) is never mocked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from requests import PreparedRequest

from integrations.appapi import AppApiCredentials, decode_authorization, encode_authorization
from sidecar.appapi import mode as appapi
from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.web import create_app
from sidecar.web.appapi import INIT_THREAD

NC = "http://nextcloud.test"
SECRET = "s3cret:with:colons"
APP_ID = "quorum"
VERSION = "0.1.0"
STATUS_URL = f"{NC}/ocs/v2.php/apps/app_api/ex-app/status"
MENU_URL = f"{NC}/ocs/v2.php/apps/app_api/api/v1/ui/top-menu"


def signed(user: str = "alice", *, secret: str = SECRET, app_id: str = APP_ID) -> dict[str, str]:
    return {
        "EX-APP-ID": app_id,
        "EX-APP-VERSION": VERSION,
        "AUTHORIZATION-APP-API": encode_authorization(user, secret),
    }


@pytest.fixture
def quorum(tmp_path: Path) -> Iterator[Services]:
    overrides = {
        "data_dir": str(tmp_path / "q"),
        "mode": "appapi",
        "app_id": APP_ID,
        "app_version": VERSION,
        "app_secret": SECRET,
        "nextcloud_url": NC,
        "http_timeout": "10",
    }
    built = Services.from_settings(load_settings(environ={}, overrides=overrides))
    yield built
    built.db.dispose()


@pytest.fixture
def app(quorum: Services) -> Flask:
    return create_app({"TESTING": True}, services=quorum)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class FakeAppApi:
    """Nextcloud's side, strict: every POST adds an entry (real AppAPI upserts by name, but not
    atomically), so only Quorum's own bookkeeping can keep the menu to one entry."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.menu: list[dict[str, str]] = []
        self.progress: list[dict[str, str]] = []
        self.headers: list[dict[str, str]] = []
        mock.add_callback(responses.PUT, STATUS_URL, callback=self._status)
        mock.add_callback(responses.POST, MENU_URL, callback=self._add)
        mock.add_callback(responses.DELETE, MENU_URL, callback=self._remove)

    def _ok(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.headers.append(dict(request.headers))
        envelope = {"ocs": {"meta": {"status": "ok", "statuscode": 200}, "data": []}}
        return 200, {"Content-Type": "application/json"}, json.dumps(envelope)

    def _form(self, request: PreparedRequest) -> dict[str, str]:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        return {k: v[0] for k, v in parse_qs(body).items()}

    def _status(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.progress.append(self._form(request))
        return self._ok(request)

    def _add(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.menu.append(self._form(request))
        return self._ok(request)

    def _remove(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        name = parse_qs(urlsplit(request.url or "").query)["name"][0]
        self.menu = [entry for entry in self.menu if entry["name"] != name]
        return self._ok(request)


@pytest.fixture
def nextcloud() -> Iterator[FakeAppApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeAppApi(mock)


def test_heartbeat_needs_no_authentication(client: FlaskClient) -> None:
    assert client.get("/heartbeat").get_json() == {"status": "ok"}


def test_a_correctly_signed_request_acts_as_the_named_user(client: FlaskClient) -> None:
    caller = appapi.verify_request(
        signed("bob"), AppApiCredentials(APP_ID, VERSION, SECRET, aa_version="")
    )
    assert caller.user_id == "bob"
    # Past the AppAPI check; what bob may see is the access layer's decision.
    assert client.get("/", headers=signed("bob")).status_code != 401


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(signed(secret="not-the-secret"), id="wrong secret"),
        pytest.param(signed(app_id="other_app"), id="wrong app id"),
        pytest.param({**signed(), "EX-APP-VERSION": "9.9.9"}, id="wrong version"),
        pytest.param({}, id="no headers"),
        pytest.param({k: v for k, v in signed().items() if k != "EX-APP-ID"}, id="no app id"),
        pytest.param({**signed(), "AUTHORIZATION-APP-API": "%%%"}, id="not base64"),
    ],
)
def test_badly_signed_requests_are_refused(
    client: FlaskClient, nextcloud: FakeAppApi, headers: dict[str, str]
) -> None:
    assert client.put("/enabled?enabled=1", headers=headers).status_code == 401
    assert client.post("/init", headers=headers).status_code == 401
    assert client.get("/", headers=headers).status_code == 401
    assert nextcloud.menu == [] and nextcloud.progress == []


def test_refusals_never_log_the_secret(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.put("/enabled?enabled=1", headers=signed(secret="guess-" + SECRET))
    assert "wrong secret" in caplog.text
    assert SECRET not in caplog.text and encode_authorization("alice", SECRET) not in caplog.text


def test_put_enabled_twice_leaves_one_menu_entry(
    client: FlaskClient, nextcloud: FakeAppApi
) -> None:
    for _ in range(2):
        answer = client.put("/enabled?enabled=1", headers=signed(""))
        assert answer.status_code == 200 and answer.get_json() == {"error": ""}
    assert [entry["name"] for entry in nextcloud.menu] == ["quorum"]
    assert client.put("/enabled?enabled=0", headers=signed("")).get_json() == {"error": ""}
    assert client.put("/enabled?enabled=0", headers=signed("")).get_json() == {"error": ""}
    assert nextcloud.menu == []
    client.put("/enabled?enabled=1", headers=signed(""))
    assert len(nextcloud.menu) == 1


def test_outgoing_calls_carry_the_appapi_headers(
    client: FlaskClient, nextcloud: FakeAppApi
) -> None:
    client.put("/enabled?enabled=1", headers=signed("admin"))
    [sent] = nextcloud.headers
    assert sent["EX-APP-ID"] == APP_ID and sent["EX-APP-VERSION"] == VERSION
    assert sent["OCS-APIRequest"] == "true" and sent["AA-VERSION"]
    assert decode_authorization(sent["AUTHORIZATION-APP-API"]) == ("", SECRET)
    assert "Authorization" not in sent  # no Basic credentials next to the AppAPI ones


def test_init_reports_progress_to_100_and_forgets_the_old_menu_entry(
    app: Flask, client: FlaskClient, nextcloud: FakeAppApi, quorum: Services
) -> None:
    client.put("/enabled?enabled=1", headers=signed(""))
    assert appapi.menu_registered(quorum.db)
    assert client.post("/init", headers=signed("")).get_json() == {}
    thread: threading.Thread = app.extensions[INIT_THREAD]
    thread.join(timeout=30)
    assert [int(p["progress"]) for p in nextcloud.progress] == [30, 60, 90, 100]
    assert not any("error" in p for p in nextcloud.progress)
    assert not appapi.menu_registered(quorum.db)  # a reinstall registers it again


def test_init_failure_is_reported_to_nextcloud(quorum: Services) -> None:
    reports: list[tuple[int, str]] = []
    quorum.db.dispose()
    broken = Services(
        quorum.settings, type(quorum.db)("sqlite:////nonexistent/dir/q.db"), quorum.vault
    )
    assert not appapi.run_init(broken, lambda progress, error: reports.append((progress, error)))
    broken.db.dispose()
    assert reports[-1][0] == 0 and reports[-1][1].startswith("Quorum could not initialise")


def test_standalone_mode_has_no_lifecycle_endpoints(tmp_path: Path) -> None:
    settings = load_settings(environ={}, overrides={"data_dir": str(tmp_path / "s")})
    built = Services.from_settings(settings)
    try:
        client = create_app({"TESTING": True}, services=built).test_client()
        assert client.get("/heartbeat").status_code == 200
        assert client.put("/enabled?enabled=1", headers=signed()).status_code == 404
        assert client.get("/").status_code != 401  # no AppAPI headers needed
    finally:
        built.db.dispose()


def test_appapi_mode_refuses_to_start_without_its_secret(tmp_path: Path) -> None:
    from sidecar.errors import ConfigError

    settings = load_settings(
        environ={}, overrides={"data_dir": str(tmp_path / "m"), "mode": "appapi"}
    )
    with pytest.raises(ConfigError, match="QUORUM_APP_SECRET"):
        appapi.check_settings(settings)
