"""One small hierarchy for everything that can go wrong talking to a server.

Every error carries a message a person can act on and says whether trying again later may help
(``transient``). HTTP statuses are mapped to these classes in one place,
:func:`integrations.http.raise_for_status`.
"""

from __future__ import annotations

from datetime import datetime


class IntegrationError(Exception):
    """Base class: ``str(err)`` is a one-line reason that says what to do next."""

    transient: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConnectError(IntegrationError):
    """DNS failure, connection refused, timeout: the server could not be reached."""

    transient = True


class DeadlineExceeded(ConnectError):
    """The run's overall deadline passed: no further request is sent, the one in flight stops."""


class TLSError(ConnectError):
    """The TLS handshake failed (self-signed or expired certificate, wrong host name)."""

    transient = False


class AuthError(IntegrationError):
    """401: the login or app password was refused. Never retried in a loop (brute-force guard)."""


class ForbiddenError(IntegrationError):
    """403: authenticated, but not allowed to do this."""


class NotFoundError(IntegrationError):
    """404: the folder, calendar or endpoint does not exist."""


class PreconditionFailed(IntegrationError):
    """412: an If-Match / If-None-Match guard refused the write; someone edited it meanwhile."""

    def __init__(self, message: str, current_etag: str | None = None) -> None:
        super().__init__(message)
        self.current_etag = current_etag


class RateLimited(IntegrationError):
    """429, or 503 with Retry-After: back off until ``retry_after`` (UTC), if the server said."""

    transient = True

    def __init__(self, message: str, retry_after: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(IntegrationError):
    """5xx without Retry-After: the server is in trouble; try later."""

    transient = True


class ProtocolError(IntegrationError):
    """The answer is not what the protocol promises: not XML, not a 207, truncated, hostile."""

    transient = True


class NotDavServer(ProtocolError):
    """The URL answers, but not as a WebDAV/CalDAV server (no DAV header, HTML page...)."""

    transient = False


class ResponseTooLarge(ProtocolError):
    """The body (or its decompressed size) went over the configured cap."""


class InvalidSyncToken(IntegrationError):
    """The stored sync-token is no longer valid: do a full resync (this is not an auth error)."""

    transient = True


class BlockedAddress(IntegrationError):
    """The URL resolves to an address Quorum refuses to contact (link-local, metadata, private)."""


class OcsError(IntegrationError):
    """An OCS call answered with a failing ``meta.statuscode``."""

    def __init__(self, message: str, statuscode: int, http_status: int) -> None:
        super().__init__(message)
        self.statuscode = statuscode
        self.http_status = http_status
