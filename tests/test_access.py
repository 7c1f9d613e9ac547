"""Access and security: every route for every role, association isolation, CSRF, cookies, rate
limiting, API tokens, Nextcloud sign-in, secrets never in clear (database, logs), URL checks.

The Nextcloud answers of the sign-in tests are recorded Nextcloud exchanges (fixtures 71, 72, 15,
served with ``responses``) plus two hand-written answers in the documented Nextcloud shape
(approved poll, app password deletion): these are Nextcloud-only answers, no server runs.
"""

from __future__ import annotations

import logging
import re

import pytest
import requests
import responses
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import LargeBinary, String, Text, select
from werkzeug.routing import IntegerConverter, Rule

from integrations.errors import BlockedAddress
from integrations.urls import check_url
from sidecar.cli import cli
from sidecar.context import Services, resolve_association
from sidecar.demo import DEMO_LOGIN, DEMO_USERS, DemoServer
from sidecar.errors import QuorumError
from sidecar.security.vault import Vault
from sidecar.services import accounts
from sidecar.services.sources import add_source
from sidecar.storage.models import ApiToken, AuditLog, Base, LoginAttempt, User, UserSession
from sidecar.web import create_app
from sidecar.web.access import role_of
from tests.access_helpers import make_user, sign_in, signed_in_client
from tests.fixtures_nc import BASE_URL, add_fixture
from tests.sync.helpers import connect, sync

ROLES = ("member", "officer", "admin")
RANK = {"anonymous": -1, "member": 0, "officer": 1, "admin": 2}


# --- every route × every role -------------------------------------------------------------


def _any_value(rule: Rule, name: str) -> str:
    match = re.search(rf"<any\(([^)]*)\):{name}>", rule.rule)
    return match.group(1).split(",")[0].strip() if match else "x"


def _routes(app: Flask) -> list[tuple[Rule, str, str, str]]:
    """(rule, method, url, declared role) for every route but static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        role = role_of(app.view_functions[rule.endpoint])
        assert role is not None, f"{rule.endpoint} ({rule.rule}) declares no role"
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            kind = "IntegerConverter" if isinstance(converter, IntegerConverter) else ""
            kind = kind or type(converter).__name__
            values[name] = {"IntegerConverter": 999999, "AnyConverter": _any_value(rule, name)}.get(
                kind, "nothing-here"
            )
        url = rule.build(values, append_unknown=False)
        assert url is not None
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule, method, url[1], role))
    return found


def test_every_route_declares_a_role_and_refuses_lower_roles(services: Services) -> None:
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    routes = _routes(app)
    assert len(routes) > 20
    users = {role: make_user(services, role) for role in ROLES}
    checked = 0
    for _rule, method, url, required in routes:
        for who in ("anonymous", *ROLES):
            client = app.test_client()
            if who in users:  # afresh each time: a POST /logout must not spoil the next one
                sign_in(client, *users[who])
            what = f"{who} {method} {url} (needs {required})"
            try:
                answer = client.open(url, method=method, json={} if method != "GET" else None)
            except Exception as err:  # TESTING propagates: a crash is a failure, never a pass
                pytest.fail(f"{what} crashed: {err!r}")
            status, location = answer.status_code, answer.headers.get("Location", "")
            assert status < 500, f"{what}: {status}"
            if required == "public":
                assert "/login?next=" not in location, what  # the access layer never redirects
            elif who == "anonymous":
                expected = 401 if url.startswith("/api/") else 302
                assert status == expected, what
                assert url.startswith("/api/") or "/login?next=" in location, what
            elif RANK[who] < RANK[required]:
                assert status == 403, f"{what}: {status}"
            else:
                assert status not in (401, 403) and "/login?next=" not in location, (
                    f"{what}: {status}"
                )
            checked += 1
    assert checked == len(routes) * 4


def test_an_undeclared_view_is_refused(services: Services) -> None:
    app = create_app({"TESTING": True}, services=services)
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    admin = signed_in_client(app, "admin")
    assert admin.get("/forgotten").status_code == 403


# --- association isolation -------------------------------------------------------------


def test_a_member_of_one_association_cannot_read_another(
    services: Services, demo_server: DemoServer
) -> None:
    sync(services, connect(services, demo_server.url))  # association "default" (A)
    app = create_app({"TESTING": True}, services=services)
    own = signed_in_client(app, "admin")
    meetings = own.get("/api/v1/meetings").get_json()["meetings"]
    grants = own.get("/api/v1/grants").get_json()["grants"]
    assert meetings and grants
    other = signed_in_client(app, "admin", association="b")
    assert other.get("/api/v1/meetings").get_json()["meetings"] == []
    assert other.get("/api/v1/grants").get_json()["grants"] == []
    assert other.get(f"/api/v1/meetings/{meetings[0]['id']}").status_code == 404
    assert other.get(f"/meetings/{meetings[0]['id']}").status_code == 404
    assert grants[0]["funder"] not in other.get("/grants").get_data(as_text=True)
    assert other.get("/api/v1/jobs").get_json() == []
    assert other.get("/api/v1/meetings?association=default").get_json()["meetings"] == []


def test_a_member_sees_only_their_bodies_meetings(
    services: Services, demo_server: DemoServer
) -> None:
    sync(services, connect(services, demo_server.url))
    app = create_app({"TESTING": True}, services=services)
    officer = signed_in_client(app, "officer").get("/api/v1/meetings").get_json()["meetings"]
    assert {m["body"] for m in officer} >= {"CA", "BUREAU"}
    etienne = signed_in_client(app, "member", nc_user="etienne")  # CA and AG, not Bureau
    seen = etienne.get("/api/v1/meetings").get_json()["meetings"]
    assert seen and {m["body"] for m in seen} == {"CA", "AG"}
    bureau = next(m for m in officer if m["body"] == "BUREAU")
    assert etienne.get(f"/api/v1/meetings/{bureau['id']}").status_code == 404
    assert etienne.get(f"/meetings/{bureau['id']}").status_code == 404
    stranger = signed_in_client(app, "member", nc_user="nobody")
    assert stranger.get("/api/v1/meetings").get_json()["meetings"] == []


# --- sessions -----------------------------------------------------------------------------


def _local_admin(services: Services, password: str = "correct horse battery") -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        accounts.create_local_admin(session, association, "root", password)


def test_post_without_csrf_token_is_refused(services: Services) -> None:
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True}, services=services)
    admin = signed_in_client(app, "admin")
    assert admin.post("/logout").status_code == 400
    assert admin.post("/jobs/", data={"name": "x", "source": "y"}).status_code == 400
    assert app.test_client().post("/login", data={"login": "a", "password": "b"}).status_code == 400
    assert admin.get("/jobs/").status_code == 200, "still signed in: the POST did nothing"


def test_session_cookie_flags_and_local_sign_in(services: Services) -> None:
    _local_admin(services)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    client = app.test_client()
    answer = client.post("/login", data={"login": "root", "password": "correct horse battery"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie, "a permanent session expires (PERMANENT_SESSION_LIFETIME)"
    assert client.get("/jobs/").status_code == 200
    https = app.test_client().post(
        "/login",
        data={"login": "root", "password": "correct horse battery"},
        base_url="https://quorum.example",
    )
    assert "Secure" in https.headers["Set-Cookie"]
    assert client.post("/logout").status_code == 302
    assert client.get("/jobs/").status_code == 302, "signed out"
    with services.db.session() as session:
        actions = list(session.scalars(select(AuditLog.action)))
    assert actions.count("sign_in") == 2 and "sign_out" in actions


def test_next_parameter_never_leaves_the_site(services: Services) -> None:
    _local_admin(services)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    form = {"login": "root", "password": "correct horse battery"}
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = app.test_client().post("/login", data={**form, "next": target})
        assert answer.headers["Location"] == "/", target
    answer = app.test_client().post("/login", data={**form, "next": "/meetings?when=past"})
    assert answer.headers["Location"] == "/meetings?when=past"


def test_login_attempts_are_rate_limited_across_workers(services: Services) -> None:
    _local_admin(services)
    config = {"TESTING": True, "WTF_CSRF_ENABLED": False}
    first, second = (create_app(config, services=services) for _ in range(2))
    for _ in range(5):
        wrong = first.test_client().post("/login", data={"login": "root", "password": "guess"})
        assert wrong.status_code == 401
    right = {"login": "root", "password": "correct horse battery"}
    assert second.test_client().post("/login", data=right).status_code == 429
    with services.db.session() as session:
        assert len(list(session.scalars(select(LoginAttempt)))) == 6, "the throttled try too"
        assert "guess" not in str(list(session.scalars(select(AuditLog.details))))


def test_expired_session_is_refused(services: Services) -> None:
    app = create_app({"TESTING": True}, services=services)
    client = sign_in(app.test_client(), *make_user(services, "admin"))
    assert client.get("/jobs/").status_code == 200
    with services.db.session() as session:
        for row in session.scalars(select(UserSession)):
            row.expires_at = row.created_at  # as if the 12 hours had passed
    assert client.get("/jobs/").status_code == 302


# --- API tokens -----------------------------------------------------------------------------


def _cli(services: Services, *args: str, stdin: str | None = None) -> str:
    env = {
        "QUORUM_DATA_DIR": str(services.settings.data_dir),
        "QUORUM_DATABASE_URL": services.settings.effective_database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_api_tokens_are_hashed_scoped_and_revocable(services: Services) -> None:
    _cli(services, "user", "create-admin", "root", "--password-stdin", stdin="long enough pw!\n")
    token = _cli(services, "token", "create", "ci", "--user", "root").strip()
    writer = _cli(services, "token", "create", "ops", "--user", "root", "--scope", "write")
    writer += _cli(
        services, "token", "create", "rw", "--user", "root", "--scope", "read", "--scope", "write"
    )
    with services.db.session() as session:
        stored = [t.token_hash for t in session.scalars(select(ApiToken))]
    assert token not in str(stored) and len(stored[0]) == 64
    app = create_app({"TESTING": True}, services=services)
    auth = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/jobs", headers=auth).status_code == 200
    refused = app.test_client().post("/api/v1/jobs", headers=auth, json={})
    assert refused.status_code == 403 and "write" in refused.get_json()["error"]
    listing = _cli(services, "token", "list")
    assert "ci\tread" in listing and token not in listing
    token_id = listing.split("\t", 1)[0]
    _cli(services, "token", "revoke", token_id)
    assert app.test_client().get("/api/v1/jobs", headers=auth).status_code == 401
    session_only = signed_in_client(app, "admin")
    session_only.environ_base.pop("HTTP_AUTHORIZATION")
    assert session_only.get("/api/v1/jobs").status_code == 401, "a cookie never opens the API"


def test_admin_actions_are_audited(services: Services) -> None:
    app = create_app({"TESTING": True}, services=services)
    admin = signed_in_client(app, "admin")
    admin.post("/api/v1/jobs", json={"name": "x", "source": "none", "password": "p4ss"})
    admin.post("/api/v1/jobs/999999/pause")
    with services.db.session() as session:
        rows = list(session.scalars(select(AuditLog)))
    assert rows == [], "refused requests (400/404) change nothing, so nothing to audit"
    _cli(services, "user", "create-admin", "root", "--password-stdin", stdin="long enough pw!\n")
    with services.db.session() as session:
        row = session.scalar(select(AuditLog).where(AuditLog.action == "user.create_admin"))
    assert row is not None and row.details == {"login": "root"}


# --- Nextcloud sign-in (recorded Nextcloud answers) ----------------------------------------

APP_PASSWORD = "Qm9vk-7zYtR-aXXwe-pLk3s-Hs8dA"


def _nextcloud_ready(services: Services, groups: dict[str, str]) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        association.settings = {"access": {"nextcloud_url": BASE_URL, "groups": groups}}


def _approve(rsps: responses.RequestsMock) -> None:
    add_fixture(rsps, "71")  # POST /index.php/login/v2
    add_fixture(rsps, "72")  # poll: still pending (404)
    rsps.add(  # poll after approval (Nextcloud's documented answer)
        "POST",
        f"{BASE_URL}/index.php/login/v2/poll",
        json={"server": BASE_URL, "loginName": "alice", "appPassword": APP_PASSWORD},
    )
    add_fixture(rsps, "15")  # GET /ocs/v2.php/cloud/user: alice, groups ["CA"]


def test_sign_in_with_nextcloud_maps_groups_and_revokes_the_app_password(
    services: Services,
) -> None:
    _nextcloud_ready(services, {"CA": "officer", "admin": "admin"})
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    client = app.test_client()
    with responses.RequestsMock() as rsps:
        _approve(rsps)
        revoke = rsps.add(
            "DELETE",
            f"{BASE_URL}/ocs/v2.php/core/apppassword?format=json",
            json={"ocs": {"meta": {"status": "ok", "statuscode": 200}, "data": []}},
        )
        page = client.post("/login/nextcloud")
        assert "/index.php/login/v2/flow/" in page.get_data(as_text=True)
        assert client.post("/login/nextcloud/poll").status_code == 202  # not approved yet
        done = client.post("/login/nextcloud/poll")
        assert done.status_code == 302, done.get_data(as_text=True)
        assert revoke.call_count == 1
        sent = rsps.calls[-1].request.headers["Authorization"]
        assert sent.startswith("Basic ")
    assert client.get("/grants").status_code == 200, "CA → officer"
    assert client.get("/jobs/").status_code == 403
    with services.db.session() as session:
        user = session.scalar(select(User).where(User.login == "alice"))
        assert user is not None and user.role == "officer" and user.app_password_enc is None
    _assert_nowhere_in_clear(services, APP_PASSWORD)


def test_nextcloud_user_outside_the_association_is_refused(services: Services) -> None:
    _nextcloud_ready(services, {"admins": "admin"})  # alice is only in "CA"; not on the roster
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    client = app.test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _approve(rsps)
        revoke = rsps.add("DELETE", f"{BASE_URL}/ocs/v2.php/core/apppassword?format=json", json={})
        client.post("/login/nextcloud")
        client.post("/login/nextcloud/poll")
        refused = client.post("/login/nextcloud/poll")
        page = refused.get_data(as_text=True)
        assert refused.status_code == 403 and "ne fait pas partie de" in page, page
        assert "not part of" not in page, "the refusal is said in the page's language"
        assert revoke.call_count == 1, "the app password is revoked even when refused"
    assert client.get("/").status_code == 302


def test_act_for_me_keeps_the_app_password_encrypted_only(services: Services) -> None:
    _nextcloud_ready(services, {"CA": "officer"})
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    client = app.test_client()
    with responses.RequestsMock() as rsps:
        _approve(rsps)
        client.post("/login/nextcloud", data={"act_for_me": "on"})
        client.post("/login/nextcloud/poll")
        assert client.post("/login/nextcloud/poll").status_code == 302
    with services.db.session() as session:
        user = session.scalar(select(User).where(User.login == "alice"))
        assert user is not None and user.app_password_enc is not None
        assert services.vault.decrypt(user.app_password_enc) == APP_PASSWORD
    _assert_nowhere_in_clear(services, APP_PASSWORD)


# --- secrets never in clear -------------------------------------------------------------


def _assert_nowhere_in_clear(services: Services, secret: str) -> None:
    """Scan every text and binary column of every table for ``secret``."""
    needle = secret.encode("utf-8")
    with services.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | LargeBinary)]
            columns += [c for c in table.columns if type(c.type).__name__ == "JSON"]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
                    assert needle not in raw, f"{secret!r} in clear in {table.name}"


def test_the_app_password_is_in_neither_the_database_nor_debug_logs(
    services: Services, demo_server: DemoServer, caplog: pytest.LogCaptureFixture
) -> None:
    password = DEMO_USERS[DEMO_LOGIN]
    caplog.set_level(logging.DEBUG)
    create_app({"TESTING": True}, services=services)  # installs the redaction, as in production
    _cli(
        services,
        "source",
        "add",
        "cloud",
        "--url",
        demo_server.url,
        "--login",
        DEMO_LOGIN,
        "--password-stdin",
        stdin=password + "\n",
    )
    sync(services, connect(services, demo_server.url))
    logging.getLogger("quorum.test").debug(
        "retrying %s with Authorization: Basic %s", f"http://alice:{password}@host/", password
    )
    assert caplog.records, "DEBUG logging was on"
    assert password not in caplog.text
    _assert_nowhere_in_clear(services, password)


def test_secrets_rotate_reencrypts_with_a_new_key(services: Services) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        add_source(
            session,
            services.vault,
            association,
            "nc",
            "http://127.0.0.1:9/",
            "alice",
            "app-password-1",
            allow_private=True,
        )
    key_file = services.settings.effective_key_file
    old_key = key_file.read_bytes()
    assert "1 secret re-encrypted" in _cli(services, "secrets", "rotate")  # plural agrees
    new_key = key_file.read_bytes()
    assert new_key != old_key and len(new_key.splitlines()) == 1
    from sidecar.storage.models import Source

    with services.db.session() as session:
        token = session.scalar(select(Source.password_enc))
    assert token is not None
    assert Vault.from_file(key_file, create=False).decrypt(token) == "app-password-1"
    with pytest.raises(QuorumError):
        Vault([old_key.strip()]).decrypt(token)


# --- outbound URLs -------------------------------------------------------------------------


def test_check_url_refuses_metadata_always_and_private_unless_allowed() -> None:
    for allowed in (True, False):
        with pytest.raises(BlockedAddress, match="metadata"):
            check_url("http://169.254.169.254/latest/meta-data/", allow_private=allowed)
    with pytest.raises(BlockedAddress, match="private"):
        check_url("https://10.1.2.3/", allow_private=False)
    assert check_url("https://10.1.2.3/", allow_private=True) == "https://10.1.2.3/"


def test_a_source_on_the_metadata_address_is_refused(services: Services) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        for url in ("http://169.254.169.254/", "http://192.168.1.10/"):
            with pytest.raises(QuorumError, match="cannot be used"):
                add_source(
                    session, services.vault, association, "x", url, "a", "b", allow_private=False
                )


# --- Sign in with Nextcloud against the demo server (Login Flow v2 end to end) -------------


def _demo_flow(services: Services, server: DemoServer, *, act_for_me: bool) -> FlaskClient:
    """Start the flow in Quorum, approve it on the demo's login page as alice, continue."""
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        association.settings = {
            "access": {"nextcloud_url": server.url, "groups": {"CA": "officer"}}
        }
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    client = app.test_client()
    started = client.post("/login/nextcloud", data={"act_for_me": "on"} if act_for_me else {})
    found = re.search(
        r'href="(http://[^"]+/index\.php/login/v2/flow/[^"]+)"', started.get_data(as_text=True)
    )
    assert found is not None, started.get_data(as_text=True)
    assert client.post("/login/nextcloud/poll").status_code == 202, "not approved yet"
    with requests.Session() as browser:
        assert "Grant access" in browser.get(found.group(1), timeout=10).text
        wrong = browser.post(
            found.group(1), data={"user": DEMO_LOGIN, "password": "nope"}, timeout=10
        )
        assert wrong.status_code == 403
        approved = browser.post(
            found.group(1),
            data={"user": DEMO_LOGIN, "password": DEMO_USERS[DEMO_LOGIN]},
            timeout=10,
        )
        assert approved.status_code == 200 and "Account connected" in approved.text
    done = client.post("/login/nextcloud/poll")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    return client


def test_sign_in_with_nextcloud_against_the_demo_revokes_the_app_password(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    client = _demo_flow(services, fresh_demo_server, act_for_me=False)
    overview = client.get("/")
    assert overview.status_code == 200 and "alice" in overview.get_data(as_text=True)
    assert client.get("/grants").status_code == 200, "CA → officer"
    assert client.get("/jobs/").status_code == 403, "not admin"
    assert ("DELETE", "ocs") in fresh_demo_server.stats.records, "the app password was revoked"
    with services.db.session() as session:
        user = session.scalar(select(User).where(User.login == DEMO_LOGIN))
        assert user is not None and user.role == "officer" and user.app_password_enc is None


def test_act_for_me_against_the_demo_keeps_a_working_app_password(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    _demo_flow(services, fresh_demo_server, act_for_me=True)
    assert ("DELETE", "ocs") not in fresh_demo_server.stats.records, "kept, not revoked"
    with services.db.session() as session:
        user = session.scalar(select(User).where(User.login == DEMO_LOGIN))
        assert user is not None and user.app_password_enc is not None
        kept = services.vault.decrypt(user.app_password_enc)
    answer = requests.request(
        "PROPFIND",
        f"{fresh_demo_server.url}/remote.php/dav/files/{DEMO_LOGIN}/",
        auth=(DEMO_LOGIN, kept),
        headers={"Depth": "0"},
        timeout=10,
    )
    assert answer.status_code == 207, "the kept app password lets Quorum act for alice"
    _assert_nowhere_in_clear(services, kept)


def test_a_nextcloud_user_never_steps_into_a_local_account_of_the_same_name(
    services: Services,
) -> None:
    """A local account "alice" (an admin) and a Nextcloud user "alice" (mapped to officer)
    are two accounts: signing in with Nextcloud neither uses nor changes the local one."""
    from sidecar.services.accounts import create_local_admin

    _nextcloud_ready(services, {"CA": "officer"})
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        create_local_admin(session, association, "alice", "a-long-local-password")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    client = app.test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _approve(rsps)
        rsps.add("DELETE", f"{BASE_URL}/ocs/v2.php/core/apppassword?format=json", json={})
        client.post("/login/nextcloud")
        client.post("/login/nextcloud/poll")
        assert client.post("/login/nextcloud/poll").status_code == 302
    assert client.get("/jobs/").status_code == 403, "the Nextcloud alice is an officer only"
    with services.db.session() as session:
        users = {u.login: u for u in session.scalars(select(User))}
    assert users["alice"].role == "admin" and users["alice"].nc_user is None
    assert users["nc:alice"].role == "officer" and users["nc:alice"].nc_user == "alice"
