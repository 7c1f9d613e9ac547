"""Issue 13, item 6: a webhook that answers late is not posted again (16 POSTs for 9 messages).

A real HTTP server on 127.0.0.1 that reads the POST, then waits longer than the read timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sidecar.alerts.channels import webhook
from sidecar.alerts.channels.base import Message


class SlowReceiver(BaseHTTPRequestHandler):
    posts: list[bytes] = []  # noqa: RUF012 (one server per test, reset by the fixture)

    def do_POST(self) -> None:
        SlowReceiver.posts.append(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(1.5)  # longer than the client's read timeout in the test
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_url() -> Iterator[str]:
    SlowReceiver.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_a_late_answer_is_not_a_failure_to_retry(
    slow_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook, "TIMEOUT", (5.0, 0.3))
    transport = webhook.WebhookTransport({"url": slow_url}, "secret")
    message = Message(
        key="grant.missing_piece:lyon",
        kind="opened",
        rule="grant.missing_piece",
        severity="warning",
        subject="RIB manquant",
        text="RIB manquant",
        html="<p>RIB manquant</p>",
        link="https://quorum.example/grants/1",
        data={},
    )
    try:
        result = transport.send(message, None)  # before: a transient TransportError → re-post
    finally:
        transport.close()
    assert result["status"] is None and "unconfirmed" in result
    assert len(SlowReceiver.posts) == 1
