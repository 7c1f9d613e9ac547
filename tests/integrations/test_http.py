"""HttpClient guards: status mapping, redirects, size cap, overall deadline, cookies, redaction.

``responses`` shapes Nextcloud-only answers and failures no local server gives (401 with
Nextcloud's body, 429 with Retry-After, a gzip bomb, a cross-origin redirect); the slow-drip
server is a real socket on 127.0.0.1 because a mock cannot be slow.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import responses

from integrations.errors import (
    AuthError,
    ConnectError,
    ForbiddenError,
    NotFoundError,
    ProtocolError,
    RateLimited,
    ResponseTooLarge,
    ServerError,
)
from integrations.http import HttpClient, parse_retry_after, redact
from tests.fixtures_nc import BASE_URL, add_fixture

PASSWORD = "Sup3r-Secret-App-Pass"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def http() -> HttpClient:
    return HttpClient(BASE_URL, "alice", PASSWORD)


def test_request_sends_auth_agent_and_counts(rsps: responses.RequestsMock) -> None:
    seen: list[tuple[str, str, int]] = []
    client = HttpClient(BASE_URL, "alice", PASSWORD, on_request=lambda *a: seen.append(a))
    add_fixture(rsps, "11")
    resp = client.request("GET", "status.php")
    assert resp.status == 200 and resp.headers["content-type"] == "application/json"
    assert rsps.calls[0].request.headers["User-Agent"] == "Quorum/0.1"
    assert rsps.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert client.requests_made == 1 and seen == [("GET", BASE_URL + "/status.php", 200)]


def test_401_names_the_login_never_the_password(
    rsps: responses.RequestsMock, http: HttpClient
) -> None:
    add_fixture(rsps, "41")
    with pytest.raises(AuthError) as caught:
        http.request("PROPFIND", "remote.php/dav/files/alice/", expect=(207,))
    message = str(caught.value)
    assert "alice" in message and "Devices & sessions" in message
    assert PASSWORD not in message and "Authorization" not in message


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, ForbiddenError), (404, NotFoundError), (500, ServerError), (503, ServerError)],
)
def test_status_mapping(
    rsps: responses.RequestsMock, http: HttpClient, status: int, error: type[Exception]
) -> None:
    rsps.add("GET", BASE_URL + "/x", status=status)
    with pytest.raises(error):
        http.request("GET", "x")


def test_429_with_seconds(rsps: responses.RequestsMock, http: HttpClient) -> None:
    rsps.add("GET", BASE_URL + "/x", status=429, headers={"Retry-After": "120"})
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        http.request("GET", "x")
    retry = caught.value.retry_after
    assert retry is not None
    assert before + timedelta(seconds=119) <= retry <= datetime.now(UTC) + timedelta(seconds=121)


def test_503_with_http_date(rsps: responses.RequestsMock, http: HttpClient) -> None:
    rsps.add(
        "GET", BASE_URL + "/x", status=503, headers={"Retry-After": "Fri, 27 Nov 2026 08:00:00 GMT"}
    )
    with pytest.raises(RateLimited) as caught:
        http.request("GET", "x")
    assert caught.value.retry_after == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert parse_retry_after("soon") is None


def test_same_origin_redirect_is_followed(rsps: responses.RequestsMock, http: HttpClient) -> None:
    add_fixture(rsps, "12")
    rsps.add("GET", BASE_URL + "/remote.php/dav/", status=200, body=b"ok")
    assert http.request("GET", ".well-known/caldav").body == b"ok"


def test_redirect_to_another_host_is_not_followed(
    rsps: responses.RequestsMock, http: HttpClient
) -> None:
    rsps.add("GET", BASE_URL + "/x", status=302, headers={"Location": "https://evil.example/x"})
    with pytest.raises(ProtocolError, match="does not follow"):
        http.request("GET", "x")
    assert len(rsps.calls) == 1


def test_redirect_loop_stops(rsps: responses.RequestsMock, http: HttpClient) -> None:
    rsps.add("GET", BASE_URL + "/x", status=307, headers={"Location": "/x"})
    with pytest.raises(ProtocolError):
        http.request("GET", "x")
    assert len(rsps.calls) == 4  # the request and at most 3 redirects


def test_absolute_url_of_another_origin_is_refused(http: HttpClient) -> None:
    with pytest.raises(ProtocolError):
        http.request("GET", "https://evil.example/steal")


def test_gzip_bomb_trips_the_cap(rsps: responses.RequestsMock) -> None:
    client = HttpClient(BASE_URL, "alice", PASSWORD, max_body=1024 * 1024)
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024))
    assert len(bomb) < 100_000
    rsps.add("GET", BASE_URL + "/x", body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(ResponseTooLarge):
        client.request("GET", "x")


def test_gzip_under_the_cap_is_decoded(rsps: responses.RequestsMock, http: HttpClient) -> None:
    rsps.add(
        "GET", BASE_URL + "/x", body=gzip.compress(b"hello"), headers={"Content-Encoding": "gzip"}
    )
    assert http.request("GET", "x").body == b"hello"


def test_cookies_are_never_kept(rsps: responses.RequestsMock, http: HttpClient) -> None:
    rsps.add("GET", BASE_URL + "/x", headers={"Set-Cookie": "nc_session=abc; Path=/"})
    rsps.add("GET", BASE_URL + "/x")
    http.request("GET", "x")
    http.request("GET", "x")
    assert "Cookie" not in rsps.calls[1].request.headers


def _drip_server(stop: threading.Event) -> int:
    """Answer one request with headers, then one body byte every 0.1 s until stopped."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not stop.is_set():
                    try:
                        conn.sendall(b"x")
                    except OSError:
                        return
                    time.sleep(0.1)

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


def test_slow_drip_trips_the_overall_deadline() -> None:
    stop = threading.Event()
    port = _drip_server(stop)
    client = HttpClient(f"http://127.0.0.1:{port}", "alice", PASSWORD, deadline=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(ConnectError, match="took more than"):
            client.request("GET", "slow")
    finally:
        stop.set()
        client.close()
    assert time.monotonic() - started < 4


def test_connection_refused_is_explained() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        client = HttpClient(f"http://127.0.0.1:{port}", "alice", PASSWORD)
        with pytest.raises(ConnectError, match="refused") as caught:
            client.request("GET", "x")
    assert PASSWORD not in str(caught.value)


def test_dns_failure_is_explained() -> None:
    client = HttpClient("http://no-such-host.invalid", "alice", PASSWORD)
    with pytest.raises(ConnectError, match=r"(?i)cannot resolve host no-such-host\.invalid"):
        client.request("GET", "x")


def test_redact() -> None:
    text = (
        "GET https://alice:pw123@cloud.example/x?password=hunter2&a=1 "
        "Authorization: Basic YWxpY2U6cHcxMjM= {'Authorization': 'Bearer tok'}"
    )
    cleaned = redact(text)
    for secret in ("pw123", "hunter2", "YWxpY2U6cHcxMjM=", "tok'"):
        assert secret not in cleaned
    assert "cloud.example/x" in cleaned and "a=1" in cleaned
