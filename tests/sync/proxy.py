"""A fault-injecting WSGI proxy in front of the real demo server (Radicale + WsgiDAV).

Tests add *rules*: a rule sees each request and either answers it itself (a hostile or broken
reply) or returns None to let the real server answer. A *rewrite* sees the real server's answer
and may change it (drop a response, blow up a property). Everything a rule does not touch is the
real server answering for real.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cheroot import wsgi

from sidecar.demo import DEMO_USERS, DemoServer, build_app
from sidecar.demo.server import quick_stop

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Seen:
    """One request as the proxy saw it."""

    method: str
    path: str
    depth: str | None
    body: bytes


@dataclass
class Reply:
    status: str
    body: bytes = b""
    headers: list[tuple[str, str]] = field(
        default_factory=lambda: [("Content-Type", "application/xml; charset=utf-8")]
    )


Rule = Callable[[Seen], Reply | None]
Rewrite = Callable[[Seen, Reply], Reply | None]


class FaultProxy:
    """The demo application, with rules and rewrites applied in order."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.rules: list[Rule] = []
        self.rewrites: list[Rewrite] = []
        self.seen: list[Seen] = []

    def clear(self) -> None:
        self.rules.clear()
        self.rewrites.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ.pop("HTTP_ACCEPT_ENCODING", None)  # plain bodies, so rewrites can read them
        seen = Seen(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ.get("HTTP_DEPTH"), body
        )
        self.seen.append(seen)
        for rule in list(self.rules):
            reply = rule(seen)
            if reply is not None:
                return self._send(start_response, reply)
        if not self.rewrites:
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            captured.update(status=status, headers=headers)

        answer = b"".join(self.app(environ, keep))
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        reply = Reply(captured["status"], answer, headers)
        for rewrite in list(self.rewrites):
            reply = rewrite(seen, reply) or reply
        return self._send(start_response, reply)

    @staticmethod
    def _send(start_response: StartResponse, reply: Reply) -> Iterable[bytes]:
        headers = [(k, v) for k, v in reply.headers if k.lower() != "content-length"]
        start_response(reply.status, [*headers, ("Content-Length", str(len(reply.body)))])
        return [reply.body]


@dataclass
class Proxied:
    url: str
    proxy: FaultProxy
    demo: DemoServer


def serve_proxy(demo: DemoServer) -> tuple[wsgi.Server, Proxied]:
    proxy = FaultProxy(build_app(demo.data_dir, DEMO_USERS))
    server = quick_stop(wsgi.Server(("127.0.0.1", 0), proxy, numthreads=4))
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    return server, Proxied(f"http://127.0.0.1:{server.bind_addr[1]}", proxy, demo)


@pytest.fixture
def proxied(fresh_demo_server: DemoServer) -> Iterator[Proxied]:
    """A writable demo server behind a :class:`FaultProxy`."""
    server, handle = serve_proxy(fresh_demo_server)
    yield handle
    server.stop()


def is_sync_report(seen: Seen, *, with_token: bool | None = None) -> bool:
    """A sync-collection REPORT (``with_token``: only those carrying a non-empty token)."""
    if seen.method != "REPORT" or b"sync-collection" not in seen.body:
        return False
    empty = b"<d:sync-token></d:sync-token>" in seen.body
    return with_token is None or with_token != empty


def multistatus(*responses: str, token: str | None = None) -> bytes:
    sync = f"<d:sync-token>{token}</d:sync-token>" if token else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        + "".join(responses)
        + sync
        + "</d:multistatus>"
    ).encode()


INVALID_TOKEN = Reply(
    "403 Forbidden",
    b'<?xml version="1.0"?><d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>',
)


def fail_entry(name: str, status: str = "500 Internal Server Error") -> Rewrite:
    """Turn the ``<d:response>`` of the object ``name`` (in any REPORT answer) into ``status``."""
    import re

    pattern = re.compile(
        rb"<d:response>\s*<d:href>([^<]*/"
        + re.escape(name.encode())
        + rb")</d:href>.*?</d:response>",
        re.DOTALL,
    )

    def rewrite(seen: Seen, reply: Reply) -> Reply | None:
        if seen.method != "REPORT":
            return None
        body = pattern.sub(
            lambda m: (
                b"<d:response><d:href>"
                + m.group(1)
                + b"</d:href><d:status>HTTP/1.1 "
                + status.encode()
                + b"</d:status></d:response>"
            ),
            reply.body,
        )
        return Reply(reply.status, body, reply.headers)

    return rewrite


def only_for(check: Callable[[Seen], bool], rewrite: Rewrite) -> Rewrite:
    """``rewrite`` restricted to the requests ``check`` accepts."""
    return lambda seen, reply: rewrite(seen, reply) if check(seen) else None
