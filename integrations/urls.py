"""Checks on URLs: those an admin types (server-side request forgery) and hrefs a server sends.

:func:`check_url` runs when an admin saves a server URL, so a Quorum hosted for many associations
cannot be pointed at cloud metadata services or the host's internal network. It resolves the
name once: a DNS answer that changes later (rebinding) is not caught here.
:func:`safe_href_path` treats every href of a multistatus as untrusted (docs/pitfalls.md: hrefs to
another server, ``%2e%2e%2f``, NUL).
"""

from __future__ import annotations

import ipaddress
import posixpath
import socket
from urllib.parse import unquote, urlsplit

from integrations.errors import BlockedAddress, ConnectError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Refused even when private addresses are allowed: they hand out cloud credentials.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # CGNAT: shared address space, often the provider's internal network
        "127.0.0.0/8",
        "0.0.0.0/8",
        "::1/128",
        "::/128",
        "fc00::/7",  # unique local addresses
    )
)


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, lower-case host and effective port of ``url``: two URLs are the same origin when
    these are equal."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # an invalid port never matches a valid origin
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def check_url(url: str, *, allow_private: bool) -> str:
    """Validate a server URL typed by an admin and return it stripped of spaces.

    Raises ValueError for a malformed URL (not http(s), credentials inside, no host),
    :class:`BlockedAddress` when the host resolves to an address Quorum refuses, and
    :class:`ConnectError` when the name does not resolve.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"Only http:// and https:// addresses are accepted, not {parts.scheme!r}.")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "Do not put a login or password in the server address; enter them in their own fields."
        )
    if not parts.hostname:
        raise ValueError("The server address has no host name.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise ValueError(
            "The port in the server address is not a number between 1 and 65535."
        ) from None
    for address in _resolve(parts.hostname, port):
        reason = _refusal(address, allow_private=allow_private)
        if reason:
            raise BlockedAddress(f"{parts.hostname} resolves to {address}, {reason}.")
    return url


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ConnectError(
            f"Cannot resolve host {host}: check the spelling of the server address."
        ) from None
    # Scoped IPv6 addresses come back as "fe80::1%eth0".
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why Quorum refuses to contact ``address``, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _METADATA:
        return "a cloud metadata address that Quorum never contacts"
    if any(address in net for net in _LINK_LOCAL):
        return "a link-local address that Quorum never contacts"
    if any(address in net for net in _PRIVATE):
        if allow_private:
            return None
        return (
            "a private or loopback address; allow private addresses in the settings if the "
            "server really is on your internal network"
        )
    if address.is_multicast or address.is_reserved:
        return "a multicast or reserved address"
    return None


def safe_href_path(href: str, base_url: str) -> str | None:
    """The decoded absolute path of a server href, or None when it must be ignored.

    Absolute hrefs must share ``base_url``'s scheme, host and port. After percent-decoding, a
    ``..`` or ``.`` segment, a NUL, a backslash or invalid UTF-8 makes the href unusable.
    """
    if not href.strip():
        return None  # a response without an href names nothing (not the collection)
    parts = urlsplit(href.strip())
    if (parts.scheme or parts.netloc) and origin(href.strip()) != origin(base_url):
        return None
    try:
        path = unquote(parts.path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in path or "\\" in path:
        return None
    if any(segment in ("..", ".") for segment in path.split("/")):
        return None
    if not path.startswith("/"):
        # A relative href is relative to the collection the request was made on.
        base_path = unquote(urlsplit(base_url).path) or "/"
        path = posixpath.join(base_path if base_path.endswith("/") else base_path + "/", path)
    return path


def plain_http_warning(url: str) -> str | None:
    """A warning when ``url`` is plain ``http://`` to a host other than this machine: the app
    password and every file and calendar would cross the network unencrypted. None otherwise
    (``https://``, or ``http://`` to localhost / a loopback address, as behind a local proxy)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "http" or not host or host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass  # a name, not an address
    return (
        f"{host} is reached over plain http://: the app password and the association's files "
        "travel unencrypted. Use https:// unless this network is private and trusted."
    )
