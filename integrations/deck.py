"""Nextcloud Deck's REST API: boards, stacks with their cards, card creation and assignment.

Deck documents two APIs (nextcloud/deck, docs/API.md): the OCS one and the older app API at
``/index.php/apps/deck/api/v1.0``, kept for compatibility and answered by every Deck release
since 1.0. Quorum uses the latter: plain JSON (no ``ocs`` envelope), ``OCS-APIRequest: true``
and ``Content-Type: application/json`` on every call. Failures come back as
``{"status": 400, "message": "…"}``; they become :class:`DeckError` with Deck's message.

Deck has no ``If-None-Match`` on create, so callers make creation idempotent themselves (a
marker in the description, looked up in :meth:`DeckClient.stacks` before any POST).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from integrations.errors import IntegrationError, ProtocolError
from integrations.http import HttpClient, HttpResponse

API = "index.php/apps/deck/api/v1.0"
_HEADERS = {
    "OCS-APIRequest": "true",
    "Accept": "application/json",
    "Content-Type": "application/json",
}
_ANSWERED = (200, 400, 403)  # Deck explains these two failures in its JSON body


class DeckError(IntegrationError):
    """Deck refused a call (400 bad request, 403 permission denied) and said why."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DeckBoard:
    id: int
    title: str
    archived: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class DeckCard:
    """One card: ``done`` is Deck's ISO-8601 "marked done" time (API 1.2), None while open."""

    id: int
    stack_id: int
    title: str
    description: str
    done: str | None = None
    archived: bool = False
    duedate: str | None = None
    assigned: tuple[str, ...] = ()  # Nextcloud user ids

    @property
    def finished(self) -> bool:
        """Done in Deck: marked done, or archived (boards without the done flag archive)."""
        return self.done is not None or self.archived


@dataclass(frozen=True)
class DeckStack:
    id: int
    title: str
    order: int
    cards: tuple[DeckCard, ...] = ()


def deck_available(capabilities: Mapping[str, object]) -> bool:
    """Whether the OCS capabilities (``ocs.data.capabilities``) announce the Deck app."""
    return isinstance(capabilities.get("deck"), dict)


def _json(resp: HttpResponse) -> Any:
    try:
        return json.loads(resp.body)
    except ValueError:
        raise ProtocolError(
            f"Deck answered {resp.status} with something that is not JSON: is the Deck app "
            "enabled on this Nextcloud?"
        ) from None


def _card(item: Mapping[str, Any], stack_id: int) -> DeckCard:
    assigned = tuple(
        str(a["participant"]["uid"])
        for a in item.get("assignedUsers") or ()
        if isinstance(a, dict) and isinstance(a.get("participant"), dict)
    )
    return DeckCard(
        id=int(item["id"]),
        stack_id=int(item.get("stackId") or stack_id),
        title=str(item.get("title") or ""),
        description=str(item.get("description") or ""),
        done=str(item["done"]) if item.get("done") else None,
        archived=bool(item.get("archived")),
        duedate=str(item["duedate"]) if item.get("duedate") else None,
        assigned=assigned,
    )


class DeckClient:
    """Typed calls to the Deck app of one Nextcloud account."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _deck(self, method: str, path: str, payload: Mapping[str, object] | None = None) -> Any:
        """Call ``<API>/<path>`` and return its JSON; DeckError with Deck's own message."""
        body = json.dumps(payload) if payload is not None else None
        resp = self.http.request(
            method, f"{API}/{path}", headers=_HEADERS, body=body, expect=_ANSWERED
        )
        data = _json(resp)
        if resp.status != 200:
            message = data.get("message") if isinstance(data, dict) else None
            raise DeckError(
                f"Deck refused {method} /{path} ({resp.status}): {message or 'no reason given'}",
                resp.status,
            )
        return data

    def boards(self) -> list[DeckBoard]:
        """The boards the account can see, archived and deleted ones flagged."""
        return [
            DeckBoard(
                id=int(b["id"]),
                title=str(b.get("title") or ""),
                archived=bool(b.get("archived")),
                deleted=bool(b.get("deletedAt")),
            )
            for b in self._deck("GET", "boards")
        ]

    def stacks(self, board_id: int) -> list[DeckStack]:
        """The board's stacks in display order, each with its (not archived) cards."""
        found = [
            DeckStack(
                id=int(s["id"]),
                title=str(s.get("title") or ""),
                order=int(s.get("order") or 0),
                cards=tuple(_card(c, int(s["id"])) for c in s.get("cards") or ()),
            )
            for s in self._deck("GET", f"boards/{board_id}/stacks")
        ]
        return sorted(found, key=lambda s: (s.order, s.id))

    def card(self, board_id: int, stack_id: int, card_id: int) -> DeckCard:
        """One card, archived ones included (the stacks listing leaves those out)."""
        path = f"boards/{board_id}/stacks/{stack_id}/cards/{card_id}"
        return _card(self._deck("GET", path), stack_id)

    def create_card(
        self,
        board_id: int,
        stack_id: int,
        title: str,
        *,
        description: str = "",
        duedate: str | None = None,
        order: int = 999,
    ) -> DeckCard:
        """A new plain card; ``duedate`` is ISO 8601 with its offset."""
        payload: dict[str, object] = {
            "title": title[:255],  # Deck's limit (API 1.1); longer titles are refused with a 400
            "type": "plain",
            "order": order,
            "description": description,
        }
        if duedate is not None:
            payload["duedate"] = duedate
        data = self._deck("POST", f"boards/{board_id}/stacks/{stack_id}/cards", payload)
        return _card(data, stack_id)

    def assign_user(self, board_id: int, stack_id: int, card_id: int, user_id: str) -> None:
        """Make ``user_id`` an assignee (Deck answers 400 when they are not on the board)."""
        path = f"boards/{board_id}/stacks/{stack_id}/cards/{card_id}/assignUser"
        self._deck("PUT", path, {"userId": user_id})
