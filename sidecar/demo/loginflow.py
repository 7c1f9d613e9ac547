"""Nextcloud's Login Flow v2 and app passwords, for the demo server.

Shapes as recorded from Nextcloud (fixtures 71 and 72): ``POST /index.php/login/v2`` answers a
poll token, poll endpoint and login URL; polling answers 404 ``[]`` until the person approves
at the login URL, then once ``{server, loginName, appPassword}``. Here the approval page is a
tiny form asking for the demo user's password. An app password works like the user's own
password until ``DELETE /ocs/v2.php/core/apppassword`` (sent with it) revokes it.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

FLOW = "/index.php/login/v2"
APP_PASSWORD_PATHS = ("/ocs/v2.php/core/apppassword", "/ocs/v1.php/core/apppassword")
MAX_FORM = 4096

Answer = tuple[str, list[tuple[str, str]], bytes]


@dataclass
class _Flow:
    poll_token: str
    login_token: str
    result: dict[str, str] | None = None


def _form(environ: WSGIEnvironment) -> dict[str, str]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length <= 0 or length > MAX_FORM:
        return {}
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _json(status: str, payload: object) -> Answer:
    return (
        status,
        [("Content-Type", "application/json; charset=utf-8")],
        json.dumps(payload).encode(),
    )


def _html(status: str, body: str) -> Answer:
    page = f"<!doctype html><html><body>{body}</body></html>"
    return status, [("Content-Type", "text/html; charset=utf-8")], page.encode()


class LoginFlows:
    """Started flows and issued app passwords (in memory, for the life of the server)."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = users
        self._lock = threading.Lock()
        self._flows: dict[str, _Flow] = {}  # by login token
        self.app_passwords: dict[str, str] = {}  # app password → login
        self.revoked: list[str] = []  # logins whose app password was revoked, in order

    def handles(self, path: str) -> bool:
        """Whether this path is the login flow's or the app-password revocation's."""
        return path.startswith(FLOW) or path.rstrip("/") in APP_PASSWORD_PATHS

    def login_of(self, password: str) -> str | None:
        """The login an app password belongs to, or None."""
        with self._lock:
            for known, login in self.app_passwords.items():
                if hmac.compare_digest(known.encode(), password.encode()):
                    return login
        return None

    def answer(self, path: str, environ: WSGIEnvironment, basic: tuple[str, str] | None) -> Answer:
        """Answer one request of :meth:`handles`."""
        method, base = environ["REQUEST_METHOD"], _base_url(environ)
        if path.rstrip("/") in APP_PASSWORD_PATHS and method == "DELETE":
            return self._revoke(basic)
        if path == FLOW and method == "POST":
            return self._start(base)
        if path == f"{FLOW}/poll" and method == "POST":
            return self._poll(_form(environ).get("token", ""), base)
        if path.startswith(f"{FLOW}/flow/"):
            return self._approve(path.rsplit("/", 1)[-1], method, environ)
        return _html("404 Not Found", "Not found")

    def _start(self, base: str) -> Answer:
        flow = _Flow(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
        with self._lock:
            self._flows[flow.login_token] = flow
        return _json(
            "200 OK",
            {
                "poll": {"token": flow.poll_token, "endpoint": f"{base}{FLOW}/poll"},
                "login": f"{base}{FLOW}/flow/{flow.login_token}",
            },
        )

    def _poll(self, token: str, base: str) -> Answer:
        with self._lock:
            found = next(
                (
                    f
                    for f in self._flows.values()
                    if hmac.compare_digest(f.poll_token.encode(), token.encode())
                ),
                None,
            )
            if found is None or found.result is None:
                return "404 Not Found", [("Content-Type", "application/json; charset=utf-8")], b"[]"
            del self._flows[found.login_token]  # Nextcloud answers an approved poll once
        return _json("200 OK", {"server": base, **found.result})

    def _approve(self, login_token: str, method: str, environ: WSGIEnvironment) -> Answer:
        with self._lock:
            flow = self._flows.get(login_token)
        if flow is None:
            return _html("404 Not Found", "<p>This login link expired.</p>")
        if method != "POST":
            return _html("200 OK", _APPROVAL_FORM)
        form = _form(environ)
        login, password = form.get("user", ""), form.get("password", "")
        expected = self._users.get(login)
        if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
            return _html("403 Forbidden", "<p>Wrong login or password.</p>" + _APPROVAL_FORM)
        app_password = "-".join(secrets.token_urlsafe(4)[:5] for _ in range(5))
        with self._lock:
            self.app_passwords[app_password] = login
            flow.result = {"loginName": login, "appPassword": app_password}
        return _html("200 OK", f"<p>Account connected: {html.escape(login)}.</p>")

    def _revoke(self, basic: tuple[str, str] | None) -> Answer:
        login = self.login_of(basic[1]) if basic else None
        if basic is None or login is None or login != basic[0]:
            meta = {"status": "failure", "statuscode": 403, "message": "Not an app password"}
            return _json("403 Forbidden", {"ocs": {"meta": meta, "data": []}})
        with self._lock:
            self.app_passwords.pop(basic[1], None)
            self.revoked.append(login)
        meta = {"status": "ok", "statuscode": 200, "message": "OK"}
        return _json("200 OK", {"ocs": {"meta": meta, "data": []}})


_APPROVAL_FORM = (
    '<form method="post"><label>Login <input name="user"></label>'
    '<label>Password <input name="password" type="password"></label>'
    '<button type="submit">Grant access</button></form>'
)


def _base_url(environ: WSGIEnvironment) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def respond(start_response: StartResponse, answer: Answer) -> Iterable[bytes]:
    """Send ``answer`` with its Content-Length."""
    status, headers, body = answer
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]
