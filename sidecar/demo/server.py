"""A Nextcloud-like server on one port, built from real DAV servers.

`build_app` arranges WsgiDAV (files), Radicale (calendars) and a few OCS endpoints under
Nextcloud's URL layout, behind one HTTP Basic check. `DemoServer` runs it in a cheroot thread
and counts requests, so the sync can be developed, tested and benchmarked without Nextcloud.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeET
import radicale.config
from cheroot import wsgi
from radicale.app import Application as RadicaleApplication
from wsgidav.error_printer import ErrorPrinter
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

from integrations.appapi import decode_authorization
from sidecar.demo.loginflow import LoginFlows
from sidecar.demo.ncfiles import NextcloudFilesProvider, file_etag, share_types_from
from sidecar.demo.ocs import OcsApp
from sidecar.demo.seed import SeedInfo

DEMO_LOGIN = "alice"
DEMO_USERS: Mapping[str, str] = {"alice": "demo-app-password", "admin": "admin-app-password"}

DAV_ROOT = "/remote.php/dav"
FILES = f"{DAV_ROOT}/files/"
CALENDARS = f"{DAV_ROOT}/calendars"
PRINCIPALS = f"{DAV_ROOT}/principals/users/"
REALM = 'Basic realm="Nextcloud", charset="UTF-8"'
DAV_HEADER = "1, 3, extended-mkcol, access-control, calendar-access"
STATUS = {
    "installed": True,
    "maintenance": False,
    "needsDbUpgrade": False,
    "version": "29.0.6.1",
    "versionstring": "29.0.6",
    "edition": "",
    "productname": "Nextcloud",
    "extendedSupport": False,
}
NS = {
    "d": "DAV:",
    "cal": "urn:ietf:params:xml:ns:caldav",
    "cs": "http://calendarserver.org/ns/",
    "oc": "http://owncloud.org/ns",
    "nc": "http://nextcloud.org/ns",
}
for _prefix, _uri in NS.items():
    ElementTree.register_namespace(_prefix, _uri)
# Headers a client could use to make Radicale rewrite its base prefix or trust another user.
_PROXY_HEADERS = (
    "HTTP_X_SCRIPT_NAME",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_SERVER",
    "HTTP_X_REMOTE_USER",
    "HTTP_REMOTE_USER",
)

Response = tuple[str, list[tuple[str, str]], bytes]


def _respond(start_response: StartResponse, response: Response) -> Iterable[bytes]:
    status, headers, body = response
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _text(status: str, body: str = "", extra: Iterable[tuple[str, str]] = ()) -> Response:
    return status, [("Content-Type", "text/plain; charset=utf-8"), *extra], body.encode()


def request_path(environ: WSGIEnvironment) -> str:
    """The decoded request path (WSGI hands it over as latin-1 bytes)."""
    raw: str = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return raw.encode("latin-1").decode("utf-8", "replace")


def request_kind(path: str) -> str:
    """Classify a path for the request counters: files, calendars, principals, ocs, other."""
    if path.startswith(FILES):
        return "files"
    if path.startswith(CALENDARS):
        return "calendars"
    if path.startswith(f"{DAV_ROOT}/principals/") or path.rstrip("/") == DAV_ROOT:
        return "principals"
    if path.startswith("/ocs/"):
        return "ocs"
    return "other"


def basic_credentials(environ: WSGIEnvironment) -> tuple[str, str] | None:
    """The (login, password) of a Basic Authorization header, or None."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        login, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return login, password


def basic_user(environ: WSGIEnvironment, users: Mapping[str, str]) -> str | None:
    """Return the login whose Basic credentials were sent, or None."""
    found = basic_credentials(environ)
    if found is None:
        return None
    login, password = found
    expected = users.get(login)
    if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
        return None
    return login


@dataclass(frozen=True)
class DemoAppApi:
    """Demo-only stand-in for Nextcloud's AppAPI check of an ExApp's calls.

    When the demo is started with an app secret, a request signed with ``EX-APP-ID`` and
    ``AUTHORIZATION-APP-API`` (base64 ``<user>:<secret>``) is served as that user, as Nextcloud
    does for a registered external app. Not part of a real Nextcloud's URL layout otherwise.
    """

    app_id: str
    secret: str = field(repr=False)

    def user(self, environ: WSGIEnvironment, users: Mapping[str, str]) -> str | None:
        """The demo user a correctly signed request acts for, or None."""
        decoded = decode_authorization(environ.get("HTTP_AUTHORIZATION_APP_API", ""))
        app_id = environ.get("HTTP_EX_APP_ID", "")
        if decoded is None:
            return None
        user, secret = decoded
        id_ok = hmac.compare_digest(app_id.encode(), self.app_id.encode())
        secret_ok = hmac.compare_digest(secret.encode(), self.secret.encode())
        return user if id_ok and secret_ok and user in users else None


# --- principals -----------------------------------------------------------------------


PropValue = str | list[str] | ElementTree.Element


def _requested_props(environ: WSGIEnvironment) -> list[str] | None:
    """Property names asked by a PROPFIND body, or None for allprop / no body."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    if not body.strip():
        return None
    try:
        root = SafeET.fromstring(body)
    except (ElementTree.ParseError, RecursionError, ValueError) as error:
        raise ValueError("malformed PROPFIND body") from error
    prop = root.find("{DAV:}prop")
    return None if prop is None else [child.tag for child in prop]


def _multistatus(href: str, props: Mapping[str, PropValue], wanted: list[str] | None) -> bytes:
    """One-response multistatus: known props in a 200 propstat, the others in a 404 one."""
    names = list(props) if wanted is None else wanted
    multistatus = ElementTree.Element("{DAV:}multistatus")
    response = ElementTree.SubElement(multistatus, "{DAV:}response")
    ElementTree.SubElement(response, "{DAV:}href").text = href
    for status, group in (
        ("HTTP/1.1 200 OK", [n for n in names if n in props]),
        ("HTTP/1.1 404 Not Found", [n for n in names if n not in props]),
    ):
        if not group:
            continue
        propstat = ElementTree.SubElement(response, "{DAV:}propstat")
        prop = ElementTree.SubElement(propstat, "{DAV:}prop")
        for name in group:
            _fill(ElementTree.SubElement(prop, name), props.get(name))
        ElementTree.SubElement(propstat, "{DAV:}status").text = status
    return b'<?xml version="1.0"?>\n' + ElementTree.tostring(multistatus)


def _fill(element: ElementTree.Element, value: PropValue | None) -> None:
    if isinstance(value, str):
        element.text = value
    elif isinstance(value, list):
        for href in value:
            ElementTree.SubElement(element, "{DAV:}href").text = href
    elif value is not None:
        element.append(value)


def _principal_props(user: str, display_name: str, email: str | None) -> dict[str, PropValue]:
    principal = f"{PRINCIPALS}{user}/"
    cal = "{urn:ietf:params:xml:ns:caldav}"
    addresses = ([f"mailto:{email}"] if email else []) + [principal]
    return {
        "{DAV:}current-user-principal": [principal],
        "{DAV:}principal-URL": [principal],
        "{DAV:}principal-collection-set": [f"{DAV_ROOT}/principals/"],
        "{DAV:}resourcetype": ElementTree.Element("{DAV:}principal"),
        "{DAV:}displayname": display_name,
        f"{cal}calendar-home-set": [f"{CALENDARS}/{user}/"],
        f"{cal}calendar-user-address-set": addresses,
    }


def _root_props(user: str) -> dict[str, PropValue]:
    return {
        "{DAV:}current-user-principal": [f"{PRINCIPALS}{user}/"],
        "{DAV:}principal-collection-set": [f"{DAV_ROOT}/principals/"],
        "{DAV:}resourcetype": ElementTree.Element("{DAV:}collection"),
    }


# --- the dispatcher -------------------------------------------------------------------


def radicale_app(data_dir: Path) -> WSGIApplication:
    """Radicale over `data_dir/radicale`, trusting REMOTE_USER, each user owning their tree."""
    configuration = radicale.config.load()
    configuration.update(
        {
            "server": {"delay_on_error": "0"},
            "auth": {"type": "remote_user", "delay": "0"},
            "rights": {"type": "owner_only"},
            "storage": {"filesystem_folder": str(data_dir / "radicale")},
            "web": {"type": "none"},
            "logging": {"level": "warning"},
        },
        "quorum demo",
    )
    # fsync on every write makes the test suite slow and buys nothing for a demo.
    configuration.update({"storage": {"_filesystem_fsync": "False"}}, "quorum demo", True)
    # Radicale logs a traceback for every rejected sync token; clients are expected to send some.
    logging.getLogger("radicale").setLevel(logging.ERROR)
    app: WSGIApplication = RadicaleApplication(configuration)
    return app


def files_app(data_dir: Path, users: Iterable[str], ocs: OcsApp) -> WSGIApplication:
    """WsgiDAV with one Nextcloud-like provider per user, mounted at its Nextcloud path."""
    mapping = {}
    for user in users:
        root = data_dir / "files" / user
        root.mkdir(parents=True, exist_ok=True)
        mapping[f"{FILES}{user}"] = NextcloudFilesProvider(
            str(root),
            owner_id=user,
            owner_display_name=ocs.display_name(user),
            share_types=share_types_from(ocs.share_types_by_path(user)),
        )
    config: dict[str, Any] = {
        "provider_mapping": mapping,
        # The dispatcher authenticates; WsgiDAV's own authenticator and HTML browser are off.
        "middleware_stack": [ErrorPrinter, RequestResolver],
        "http_authenticator": {"domain_controller": None, "accept_basic": False},
        "simple_dc": {"user_mapping": {"*": True}},
        "dir_browser": {"enable": False},
        # Nextcloud advertises DAV classes 1 and 3 only: no LOCK noise in the answers.
        "lock_storage": None,
        "property_manager": True,
        "honor_mtime_header": True,
        "add_header_MS_Author_Via": False,
        "verbose": 1,
        "logging": {"enable": False},
    }
    logging.getLogger("wsgidav").setLevel(logging.WARNING)
    app: WSGIApplication = WsgiDAVApp(config)
    return app


class DemoDispatcher:
    """Route Nextcloud's URL layout to WsgiDAV, Radicale and the OCS endpoints."""

    def __init__(
        self, data_dir: Path, users: Mapping[str, str], appapi: DemoAppApi | None = None
    ) -> None:
        self.users = dict(users)
        self.appapi = appapi
        self.data_dir = data_dir
        self.ocs = OcsApp(data_dir)
        self.login_flows = LoginFlows(self.users)
        self.files = files_app(data_dir, self.users, self.ocs)
        self.calendars = radicale_app(data_dir)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request."""
        path = request_path(environ)
        if path == "/status.php":
            body = json.dumps(STATUS).encode()
            return _respond(
                start_response, ("200 OK", [("Content-Type", "application/json")], body)
            )
        if path.rstrip("/") in ("/.well-known/caldav", "/.well-known/carddav"):
            moved = _text("301 Moved Permanently", extra=[("Location", f"{DAV_ROOT}/")])
            return _respond(start_response, moved)
        if self.login_flows.handles(path):
            answer = self.login_flows.answer(path, environ, basic_credentials(environ))
            return _respond(start_response, answer)
        if not (path.startswith(DAV_ROOT) or path.startswith("/ocs/")):
            return _respond(start_response, _text("404 Not Found", "Not found\n"))
        user = basic_user(environ, self.users) or self._app_password_user(environ)
        if user is None and self.appapi is not None:
            user = self.appapi.user(environ, self.users)
        if user is None:
            return _respond(start_response, self._unauthorized())
        environ["REMOTE_USER"] = user
        return self._route(path, user, environ, start_response)

    def _route(
        self, path: str, user: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if path.startswith("/ocs/"):
            return self.ocs(environ, start_response)
        owner = _owner(path)
        if owner is not None and owner != user:
            return _respond(start_response, _text("403 Forbidden", "Not your resource\n"))
        if path.startswith(FILES):
            environ["wsgidav.auth.user_name"] = user
            environ["wsgidav.auth.realm"] = "Nextcloud"
            environ["wsgidav.auth.roles"] = []
            target = self._file_on_disk(path, user)
            return self.files(environ, _with_oc_headers(environ, start_response, target))
        if path.startswith(CALENDARS + "/") or path == CALENDARS:
            return self.calendars(_radicale_environ(environ, path), start_response)
        return _respond(start_response, self._principal(path, user, environ))

    def _app_password_user(self, environ: WSGIEnvironment) -> str | None:
        """The login of an app password issued by Login Flow v2 (and not revoked)."""
        found = basic_credentials(environ)
        login = self.login_flows.login_of(found[1]) if found else None
        return login if found is not None and login == found[0] else None

    def _file_on_disk(self, path: str, user: str) -> Path | None:
        """The file a files path points to, or None if it would leave the user's tree."""
        root = (self.data_dir / "files" / user).resolve()
        target = (root / unquote(path[len(FILES) + len(user) :]).lstrip("/")).resolve()
        return target if target.is_relative_to(root) else None

    @staticmethod
    def _unauthorized() -> Response:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" '
            'xmlns:s="http://sabredav.org/ns">\n  <s:exception>Sabre\\DAV\\Exception\\'
            "NotAuthenticated</s:exception>\n  <s:message>Username or password was incorrect"
            "</s:message>\n</d:error>\n"
        )
        headers = [("Content-Type", "application/xml; charset=utf-8"), ("WWW-Authenticate", REALM)]
        return "401 Unauthorized", headers, body.encode()

    def _principal(self, path: str, user: str, environ: WSGIEnvironment) -> Response:
        """`/remote.php/dav/` and `/remote.php/dav/principals/users/<user>/`: discovery."""
        method = environ["REQUEST_METHOD"]
        if path.rstrip("/") == DAV_ROOT:
            href, props = f"{DAV_ROOT}/", _root_props(user)
        elif path.rstrip("/") == f"{PRINCIPALS}{user}":
            href = f"{PRINCIPALS}{user}/"
            props = _principal_props(user, self.ocs.display_name(user), self.ocs.email(user))
        else:
            return _text("404 Not Found", "Not found\n")
        if method == "OPTIONS":
            return _text("200 OK", extra=[("DAV", DAV_HEADER), ("Allow", "OPTIONS, PROPFIND")])
        if method != "PROPFIND":
            return _text("405 Method Not Allowed", extra=[("Allow", "OPTIONS, PROPFIND")])
        try:
            wanted = _requested_props(environ)
        except ValueError:
            return _text("400 Bad Request", "Malformed XML\n")
        body = _multistatus(href, props, wanted)
        headers = [("Content-Type", "application/xml; charset=utf-8"), ("DAV", DAV_HEADER)]
        return "207 Multi-Status", headers, body


def _with_oc_headers(
    environ: WSGIEnvironment, start_response: StartResponse, target: Path | None
) -> StartResponse:
    """Add Nextcloud's OC-ETag, OC-FileId and X-OC-MTime headers to WsgiDAV's answers."""

    def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if status.startswith("2"):
            headers = _oc_headers(environ["REQUEST_METHOD"], environ, headers, target)
        elif status.startswith("412") and target is not None and target.is_file():
            # Nextcloud tells a client with a stale If-Match what the current ETag is.
            headers.append(("ETag", f'"{file_etag(target.stat())}"'))
        return start_response(status, headers, exc_info)

    return wrapped


def _oc_headers(
    method: str, environ: WSGIEnvironment, headers: list[tuple[str, str]], target: Path | None
) -> list[tuple[str, str]]:
    names = {name.lower(): value for name, value in headers}
    st = target.stat() if target is not None and target.exists() else None
    if method == "PUT" and st is not None:
        # WsgiDAV computes the ETag before applying X-OC-Mtime: answer the final one.
        names["etag"] = f'"{file_etag(st)}"'
        headers = [(k, v) for k, v in headers if k.lower() != "etag"]
        headers.append(("ETag", names["etag"]))
    if "etag" in names:
        headers.append(("OC-ETag", names["etag"]))
    if st is not None:
        # Nextcloud's OC-FileId: zero-padded file id followed by the instance id.
        headers.append(("OC-FileId", f"{st.st_ino:08d}ocdemo"))
    if method == "PUT" and "HTTP_X_OC_MTIME" in environ:
        headers.append(("X-OC-MTime", "accepted"))
    return headers


def _owner(path: str) -> str | None:
    """The user a files/calendars/principals path belongs to, if it names one."""
    for prefix in (FILES, CALENDARS + "/", PRINCIPALS):
        if path.startswith(prefix):
            owner = path[len(prefix) :].split("/", 1)[0]
            return owner or None
    return None


def _radicale_environ(environ: WSGIEnvironment, path: str) -> WSGIEnvironment:
    """Mount Radicale under `/remote.php/dav/calendars` so its hrefs carry that prefix."""
    inner = {k: v for k, v in environ.items() if k not in _PROXY_HEADERS}
    inner["SCRIPT_NAME"] = CALENDARS
    rest = path[len(CALENDARS) :] or "/"
    inner["PATH_INFO"] = rest.encode("utf-8").decode("latin-1")
    return inner


def build_app(
    data_dir: Path, users: Mapping[str, str], appapi: DemoAppApi | None = None
) -> WSGIApplication:
    """Build the demo server's WSGI application over a seeded `data_dir`."""
    return DemoDispatcher(data_dir, users, appapi)


# --- counting and serving -------------------------------------------------------------


class RequestStats:
    """Thread-safe request counter: each request recorded as (method, kind)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[tuple[str, str]] = []

    def record(self, method: str, kind: str) -> None:
        """Count one request."""
        with self._lock:
            self._records.append((method, kind))

    def reset(self) -> None:
        """Forget every request counted so far."""
        with self._lock:
            self._records.clear()

    @property
    def records(self) -> list[tuple[str, str]]:
        """A copy of the (method, kind) pairs, oldest first."""
        with self._lock:
            return list(self._records)

    @property
    def total(self) -> int:
        """Number of requests counted."""
        with self._lock:
            return len(self._records)

    def by_method(self) -> dict[str, int]:
        """Requests per HTTP method."""
        return dict(Counter(method for method, _ in self.records))

    def by_kind(self) -> dict[str, int]:
        """Requests per kind (files, calendars, principals, ocs, other)."""
        return dict(Counter(kind for _, kind in self.records))


STATS_PATH = "/__demo/stats"


def counting(
    app: WSGIApplication,
    stats: RequestStats,
    latency: Callable[[], float] = lambda: 0.0,
    *,
    expose: bool = False,
) -> WSGIApplication:
    """Wrap `app` so every request is recorded in `stats` before it is served.

    ``latency()`` (seconds, read at each request) is added to every answer: the benchmark uses it
    to stand for the network and a real Nextcloud's per-request cost, which an in-process server
    does not have; a test may slow a server down once its set-up is done.
    ``expose`` serves the counts at ``/__demo/stats`` (GET reads, DELETE resets; not counted),
    for a benchmark that runs the server in a process of its own.
    """

    def middleware(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if expose and request_path(environ) == STATS_PATH:
            return _stats_answer(environ, start_response, stats)
        stats.record(environ["REQUEST_METHOD"], request_kind(request_path(environ)))
        delay = latency()
        if delay:
            time.sleep(delay)
        return app(environ, start_response)

    return middleware


def _stats_answer(
    environ: WSGIEnvironment, start_response: StartResponse, stats: RequestStats
) -> Iterable[bytes]:
    if environ["REQUEST_METHOD"] == "DELETE":
        stats.reset()
        start_response("204 No Content", [])
        return [b""]
    body = json.dumps({"records": stats.records}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def quick_stop(server: wsgi.Server) -> wsgi.Server:
    """Let ``server.stop()`` return within 50 ms instead of cheroot's half second.

    The serve loop looks at its stop flag once per selector timeout; a test run starts and stops
    hundreds of demo servers and proxies, where the half seconds added up to minutes.
    """
    server.expiration_interval = 0.05
    return server


class DemoServer:
    """The demo Nextcloud on a cheroot server in a daemon thread (a context manager)."""

    def __init__(
        self,
        data_dir: Path,
        users: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed_info: SeedInfo | None = None,
        latency: float = 0.0,
        expose_stats: bool = False,
        appapi: DemoAppApi | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.appapi = appapi  # demo only: also accept AppAPI-signed requests (see DemoAppApi)
        self.users: Mapping[str, str] = dict(users if users is not None else DEMO_USERS)
        self.host = host
        self.port = port
        self.seed_info = seed_info
        self.latency = latency
        self.expose_stats = expose_stats
        self.stats = RequestStats()
        self._server: wsgi.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8080 (the real port once started)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoServer:
        """Bind the port (port 0 picks a free one) and serve in a daemon thread."""
        app = counting(
            build_app(self.data_dir, self.users, self.appapi),
            self.stats,
            lambda: self.latency,
            expose=self.expose_stats,
        )
        server = wsgi.Server((self.host, self.port), app, numthreads=8, server_name="quorum-demo")
        quick_stop(server)
        server.prepare()
        self.port = server.bind_addr[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve, name="quorum-demo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
