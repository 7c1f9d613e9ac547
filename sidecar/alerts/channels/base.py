"""The one interface every alert channel implements, and its errors.

A transport gets a rendered :class:`Message` and one :class:`Recipient` (or none, for a shared
channel such as a webhook or a Talk room) and either returns a small reference (kept in the
delivery log) or raises :class:`TransportError`. ``transient`` errors are retried a bounded
number of times; permanent ones disable the channel until an admin fixes it, unless the error
concerns one recipient only (``recipient_only``), which fails that delivery alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from integrations.errors import IntegrationError


class TransportError(Exception):
    """A send failed; the message says why and what to do, and never contains a secret."""

    def __init__(
        self, message: str, *, transient: bool = False, recipient_only: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.recipient_only = recipient_only


class EditedMeanwhile(TransportError):
    """The remote object changed since Quorum wrote it (412): it is left as the human made it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, recipient_only=True)


def from_integration(err: IntegrationError, what: str) -> TransportError:
    """Map the integrations' error hierarchy (which already knows what is transient)."""
    return TransportError(f"{what}: {err.message}", transient=err.transient)


@dataclass(frozen=True)
class Recipient:
    """A person an alert is addressed to, with what each channel needs to reach them."""

    email: str
    name: str = ""
    language: str = "fr"
    nc_user: str | None = None


@dataclass(frozen=True)
class Message:
    """One rendered message: the same content for every channel, in one language."""

    key: str  # the alert key (idempotency reference for receivers)
    kind: str  # opened | escalated | resolved | test | digest
    rule: str
    severity: str
    subject: str  # one line, no CR/LF
    text: str
    html: str
    link: str = ""  # the alert page, with signed acknowledge and snooze links below
    acknowledge_link: str = ""
    snooze_link: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


class Transport(Protocol):
    """What the outbox calls; ``per_person`` says whether it needs a :class:`Recipient`."""

    kind: str
    per_person: bool
    wants_resolved: bool

    def send(self, message: Message, recipient: Recipient | None) -> dict[str, Any]:
        """Send ``message``; return a reference for the delivery log (may be empty)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def one_line(text: str, limit: int = 200) -> str:
    """A header- and chat-safe single line: CR/LF and other controls become spaces."""
    flat = "".join(" " if ord(c) < 32 or c == "\x7f" else c for c in text)
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
