"""URL checks: admin-typed server addresses and server-sent hrefs."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from integrations.errors import BlockedAddress
from integrations.urls import check_url, safe_href_path

BASE = "https://cloud.example"


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_refuses_metadata_address_even_when_private_allowed() -> None:
    with pytest.raises(BlockedAddress, match="metadata"):
        check_url("http://169.254.169.254/latest/meta-data/", allow_private=True)


@pytest.mark.parametrize("address", ["169.254.1.1", "fe80::1", "fd00:ec2::254", "100.100.100.200"])
def test_refuses_link_local_and_metadata_names(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    _resolving_to(monkeypatch, address)
    with pytest.raises(BlockedAddress):
        check_url("https://innocent.example/", allow_private=True)


def test_private_address_needs_allow_private() -> None:
    with pytest.raises(BlockedAddress, match="private"):
        check_url("http://10.0.0.1/", allow_private=False)
    assert check_url(" http://10.0.0.1/ ", allow_private=True) == "http://10.0.0.1/"


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "::1", "fd12:3456::1", "100.64.0.7", "::ffff:10.1.2.3"]
)
def test_loopback_ula_cgnat_are_private(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    _resolving_to(monkeypatch, address)
    with pytest.raises(BlockedAddress):
        check_url("https://nc.example/", allow_private=False)
    assert check_url("https://nc.example/", allow_private=True) == "https://nc.example/"


def test_public_address_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "203.0.113.10")
    assert check_url("https://nc.example/nextcloud", allow_private=False) == (
        "https://nc.example/nextcloud"
    )


@pytest.mark.parametrize(
    "url",
    ["ftp://nc.example/", "file:///etc/passwd", "https://alice:secret@nc.example/", "https:///x"],
)
def test_refuses_malformed_urls(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_url(url, allow_private=True)
    assert "secret" not in str(caught.value)


def test_href_same_origin_paths_are_decoded() -> None:
    href = "/remote.php/dav/files/alice/Comptabilit%c3%a9/"
    assert safe_href_path(href, BASE) == "/remote.php/dav/files/alice/Comptabilité/"
    assert safe_href_path("https://cloud.example:443/a%20b", BASE) == "/a b"


@pytest.mark.parametrize(
    "href",
    [
        "https://evil.example/remote.php/dav/files/alice/x",
        "http://cloud.example/remote.php/dav/files/alice/x",  # another scheme is another origin
        "https://cloud.example:8443/x",
        "//evil.example/x",
        "/remote.php/dav/files/alice/%2e%2e%2f%2e%2e%2fadmin/",
        "/remote.php/dav/files/alice/../admin/",
        "/remote.php/dav/files/alice/a%00b",
        "/remote.php/dav/files/alice/a%5cb",
        "/remote.php/dav/files/alice/%ff",
    ],
)
def test_href_refusals(href: str) -> None:
    assert safe_href_path(href, BASE) is None
