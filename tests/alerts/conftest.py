"""Fixtures of the alerts tests: a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message as MimeMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.sync.conftest import _close_clients

__all__ = ["_close_clients"]


@dataclass
class Inbox:
    """What the SMTP server received: one parsed message per envelope recipient."""

    messages: list[tuple[str, MimeMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content)
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, parsed))
        return "250 OK"

    def to(self, address: str) -> list[MimeMessage]:
        return [m for rcpt, m in self.messages if rcpt == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Smtp:
    host: str
    port: int
    inbox: Inbox

    def config(self) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "security": "none",
            "sender": "quorum@example.org",
        }


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield Smtp("127.0.0.1", controller.port, inbox)
    finally:
        controller.stop()


def part(message: MimeMessage, subtype: str) -> str:
    """The decoded text/<subtype> part of a received message."""
    for item in message.walk():
        if item.get_content_type() == f"text/{subtype}":
            payload = item.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(item.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{subtype} part")
