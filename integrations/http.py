"""One HTTP client per Nextcloud account, with the guards requests does not give by default.

requests has no default timeout, its read timeout is per socket read (a server dripping one byte
every few seconds never trips it), ``response.content`` decompresses without any size cap, and a
shared cookie jar lets Nextcloud serve one account's requests as another's. :class:`HttpClient`
fixes all four, follows redirects only within the configured origin, and maps every failure to
the :mod:`integrations.errors` hierarchy in one place (:func:`raise_for_status`).
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from integrations.errors import (
    AuthError,
    ConnectError,
    DeadlineExceeded,
    ForbiddenError,
    IntegrationError,
    NotFoundError,
    PreconditionFailed,
    ProtocolError,
    RateLimited,
    ResponseTooLarge,
    ServerError,
    TLSError,
)
from integrations.urls import origin

USER_AGENT = "Quorum/0.1"
CONNECT_TIMEOUT = 10.0
# Nextcloud delays failed logins by up to 25 s: a deadline under ~30 s turns throttling into
# fake outages (docs/pitfalls.md). A single read waits up to what is left of the deadline.
DEFAULT_DEADLINE = 120.0
DEFAULT_MAX_BODY = 64 * 1024 * 1024
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)

OnRequest = Callable[[str, str, int], None]


@dataclass(frozen=True)
class HttpResponse:
    """A fully read answer: ``headers`` is a case-insensitive copy, ``url`` the final URL."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


class _RefuseAllCookies(DefaultCookiePolicy):
    """Nextcloud sets a session cookie on Basic-auth requests; keeping it can make a later
    request run as the wrong account (README of the fixtures). So no cookie is ever stored."""

    def set_ok(self, cookie: object, request: object) -> bool:
        return False

    def return_ok(self, cookie: object, request: object) -> bool:
        return False


_REDACTIONS = (
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@"), r"\1***@"),
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(basic|bearer)?\s*[^\s,\"'}]+"),
        r"\1***",
    ),
    (re.compile(r"(?i)((?:app_?)?password[\"']?\s*[:=]\s*[\"']?)[^\s&,\"'}]+"), r"\1***"),
)


def redact(text: str) -> str:
    """Hide ``user:pass@`` in URLs, Authorization values and ``password=…`` parameters."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class HttpClient:
    """Requests to one server as one account. Not shared between accounts (cookies, auth)."""

    def __init__(
        self,
        base_url: str,
        login: str,
        password: str,
        *,
        deadline: float = DEFAULT_DEADLINE,
        max_body: int = DEFAULT_MAX_BODY,
        on_request: OnRequest | None = None,
        verify: bool | str = True,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.login = login
        self.deadline = deadline
        self.max_body = max_body
        self.on_request = on_request
        self.requests_made = 0
        #: ``time.monotonic()`` after which no request may run: the deadline of the whole sync
        #: run, so one collection with many requests cannot outlive it.
        self.stop_at: float | None = None
        self._count_lock = threading.Lock()  # a sync plans files and calendars in two threads
        self._origin = origin(self.base_url)
        self._session = requests.Session()
        if login or password:  # Login Flow v2 runs before there are any credentials
            self._session.auth = (login, password)
        self._session.verify = verify
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.cookies.set_policy(_RefuseAllCookies())
        # Proxies and .netrc from the environment must not replace the account's credentials.
        self._session.trust_env = False

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def url_for(self, url_or_path: str) -> str:
        """Absolute URL on this server: paths without a leading "/" are relative to the base URL
        (Nextcloud may live in a subdirectory), "/…" paths are server-absolute (as in hrefs).

        Raises ProtocolError for an absolute URL of another origin: the credentials would go
        with it.
        """
        url = urljoin(self.base_url, url_or_path)
        if origin(url) != self._origin:
            raise ProtocolError(f"Refusing to send this account's requests to {redact(url)}.")
        return url

    def request(
        self,
        method: str,
        url_or_path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        expect: tuple[int, ...] = (200,),
        max_body: int | None = None,
    ) -> HttpResponse:
        """Send one request (following same-origin redirects) and check its status.

        Raises an :class:`~integrations.errors.IntegrationError` subclass when the final status
        is not in ``expect``.
        """
        url = self.url_for(url_or_path)
        data = body.encode("utf-8") if isinstance(body, str) else body
        started = time.monotonic()
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._send_once(method, url, headers, data, started, max_body or self.max_body)
            target = self._redirect_target(resp)
            if target is None or resp.status in expect:
                break
            if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                method, data = "GET", None
            url = target
        if resp.status not in expect:
            raise_for_status(resp, login=self.login)
        return resp

    def _redirect_target(self, resp: HttpResponse) -> str | None:
        """Where to go next, or None: redirects to another origin are never followed, because
        the Basic credentials would go with them."""
        location = resp.headers.get("Location")
        if resp.status not in _REDIRECTS or not location:
            return None
        target = urljoin(resp.url, location)
        return target if origin(target) == self._origin else None

    def _send_once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        data: bytes | None,
        started: float,
        max_body: int,
    ) -> HttpResponse:
        status = 0
        read_timeout = self._read_timeout(started)
        try:
            raw = self._session.request(
                method,
                url,
                headers=dict(headers or {}),
                data=data,
                # No single socket read may outlive the overall deadline either (slow headers).
                timeout=(CONNECT_TIMEOUT, read_timeout),
                allow_redirects=False,
                stream=True,
            )
            with raw:
                status = raw.status_code
                content = self._read_body(raw, started, max_body)
                return HttpResponse(status, CaseInsensitiveDict(raw.headers), content, url)
        except requests.RequestException as exc:
            self._past_stop()  # a read cut short by the run's deadline says so
            raise _connect_error(exc, url) from None
        finally:
            with self._count_lock:
                self.requests_made += 1
            if self.on_request is not None:
                self.on_request(method, redact(url), status)

    def _past_stop(self) -> None:
        if self.stop_at is not None and time.monotonic() >= self.stop_at:
            raise DeadlineExceeded(
                "The sync went over its time limit; it was stopped and nothing of it was applied."
            )

    def _read_timeout(self, started: float) -> float:
        self._past_stop()
        remaining = self.deadline - (time.monotonic() - started)
        if self.stop_at is not None:
            remaining = min(remaining, self.stop_at - time.monotonic())
        if remaining <= 0:
            raise ConnectError(
                f"The server took more than {self.deadline:.0f} s overall; try again later."
            )
        # A slow server computing a big answer may send nothing for a while: any single read may
        # wait as long as the overall deadline still allows, and never longer.
        return remaining

    def _read_body(self, raw: requests.Response, started: float, max_body: int) -> bytes:
        """Read the decompressed body under the size cap and the overall deadline."""
        chunks: list[bytes] = []
        size = 0
        for chunk in _iter_decoded(raw):
            size += len(chunk)
            if size > max_body:
                raise ResponseTooLarge(
                    f"The answer from {_host(raw.url)} is larger than "
                    f"{max_body // (1024 * 1024)} MiB once decompressed; Quorum stopped "
                    "reading it."
                )
            self._past_stop()
            if time.monotonic() - started > self.deadline:
                raise ConnectError(
                    f"{_host(raw.url)} took more than {self.deadline:.0f} s to answer in full; "
                    "the server or the network is too slow, try again later."
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _iter_decoded(raw: requests.Response) -> Iterator[bytes]:
    """Decoded chunks, each from at most one socket read, so the deadline is checked between
    reads (``iter_content`` blocks until a whole chunk has arrived)."""
    stream = raw.raw
    while True:
        try:
            chunk = stream.read1(_CHUNK, decode_content=True)
        except urllib3.exceptions.DecodeError as exc:
            raise ProtocolError(f"The compressed answer is corrupt: {exc}") from None
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.Timeout(str(exc)) from None
        except (OSError, ValueError, urllib3.exceptions.HTTPError) as exc:
            raise requests.ConnectionError(str(exc)) from None
        if not chunk:
            return
        yield chunk


def _host(url: str | None) -> str:
    return urlsplit(url or "").hostname or "the server"


def _connect_error(exc: requests.RequestException, url: str) -> ConnectError:
    """A precise, actionable reason for a transport failure (never the credentials)."""
    host = _host(url)
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return TLSError(
            f"The TLS certificate of {host} was refused ({_short(text)}): check that the "
            "certificate is valid and matches the host name."
        )
    if isinstance(exc, requests.Timeout):
        return ConnectError(f"{host} did not answer in time (timeout); try again later.")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return ConnectError(f"The server address is not a valid URL: {redact(url)}")
    lowered = text.lower()
    if any(
        s in lowered
        for s in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
            "name resolution",
            "no address",
        )
    ):
        return ConnectError(f"Cannot resolve host {host}: check the spelling of the server URL.")
    if "refused" in lowered:
        return ConnectError(
            f"{host} refused the connection: is the server running and the port right?"
        )
    return ConnectError(f"Could not talk to {host}: {_short(text)}")


def _short(text: str) -> str:
    return redact(text)[:200]


def raise_for_status(resp: HttpResponse, *, login: str = "this account") -> None:
    """Raise the :mod:`integrations.errors` class for an unexpected status (the one place where
    HTTP statuses become errors)."""
    error = _error_for(resp, login)
    if error is not None:
        raise error


def _error_for(resp: HttpResponse, login: str) -> IntegrationError | None:
    status, where = resp.status, redact(urlsplit(resp.url).path)
    if status < 300:
        return None
    if status == 401:
        return AuthError(
            f"Nextcloud refused the app password for {login} — create a new one in Settings → "
            "Security → Devices & sessions"
        )
    if status == 403:
        return ForbiddenError(f"{login} is not allowed to do this on {where} (403 Forbidden).")
    if status == 404:
        return NotFoundError(f"{where} does not exist on the server (404): check the path.")
    if status == 412:
        return PreconditionFailed(
            f"{where} was changed by someone else meanwhile (412); reload it before writing.",
            current_etag=resp.headers.get("ETag"),
        )
    if status == 429 or (status == 503 and "Retry-After" in resp.headers):
        when = parse_retry_after(resp.headers.get("Retry-After"))
        later = f" after {when:%Y-%m-%d %H:%M:%S} UTC" if when else " later"
        return RateLimited(
            f"The server asks Quorum to slow down ({status}); retrying{later}.", when
        )
    if status >= 500:
        return ServerError(f"The server failed with {status} on {where}; try again later.")
    if status in _REDIRECTS:
        target = redact(resp.headers.get("Location", "?"))
        return ProtocolError(
            f"{where} redirects to {target}, which Quorum does not follow: use the final "
            "address as the server URL."
        )
    return ProtocolError(f"Unexpected answer {status} for {where}.")


#: A server asking for a longer pause (a typo, a hostile answer) would silence Quorum for good.
MAX_RETRY_AFTER = timedelta(hours=24)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """``Retry-After`` as an aware UTC datetime, at most :data:`MAX_RETRY_AFTER` ahead:
    delay-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    now = now or datetime.now(UTC)
    latest = now + MAX_RETRY_AFTER
    if value.isdigit():
        seconds = int(value[:12])  # more digits than a day has seconds, many times over
        return min(now + timedelta(seconds=seconds), latest) if seconds < 10**11 else latest
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return min(when.astimezone(UTC), latest)
