"""A Deck board answered through ``responses``, in the JSON shapes of Deck's documentation.

No Deck server can run here (Deck is a PHP app of Nextcloud, the demo server does not speak
it), so its answers are built from nextcloud/deck ``docs/API.md``: the board list
(``GET /boards``: id, title, archived, deletedAt), the stacks with their cards (``GET
/boards/{b}/stacks``: cards without the archived ones), the created card (``POST …/cards``:
``done`` null, ``archived`` false, ``duedate`` ISO 8601, ``assignedUsers`` null), the assignment
(``PUT …/assignUser``: ``{"participant": {"uid": …}}``, 400 when the user is not on the board)
and the failures (``{"status": 400, "message": …}``). The capabilities are the demo server's own,
plus the ``deck`` entry of ``docs/API-Nextcloud.md``.

Every other request (WebDAV, CalDAV, OCS shares) passes through to the real demo server.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

import requests
import responses

from integrations.http import HttpClient
from sidecar.demo import DEMO_LOGIN, DEMO_USERS

API = "/index.php/apps/deck/api/v1.0"
Answer = tuple[int, dict[str, str], str]


def _answer(status: int, payload: object) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(payload)


@dataclass
class FakeDeck:
    """One board "Bureau" (stacks "À faire" and "Fait") that alice, bernard and helene share."""

    base_url: str
    present: bool = True  # whether the capabilities announce Deck
    fail_posts: int = 0  # how many card POSTs answer 500 before Deck recovers
    members: tuple[str, ...] = ("alice", "bernard", "helene")
    cards: dict[int, dict[str, Any]] = field(default_factory=dict)
    posted: list[dict[str, Any]] = field(default_factory=list)
    assigned: list[tuple[int, str]] = field(default_factory=list)
    deck_calls: int = 0
    capability_calls: int = 0  # set by the test from the recorded calls
    _next_id: int = 100

    boards = (
        {"id": 10, "title": "Bureau", "archived": False, "deletedAt": 0, "color": "0082c9"},
        {"id": 11, "title": "Vieux bureau", "archived": True, "deletedAt": 0, "color": "ff0000"},
    )
    stacks = ({"id": 4, "title": "À faire", "order": 0}, {"id": 5, "title": "Fait", "order": 1})

    def __post_init__(self) -> None:
        # the demo server's own capabilities, read before ``responses`` is switched on
        http = HttpClient(self.base_url, DEMO_LOGIN, DEMO_USERS[DEMO_LOGIN], deadline=30)
        try:
            path = "ocs/v2.php/cloud/capabilities?format=json"
            resp = http.request("GET", path, headers={"OCS-APIRequest": "true"})
        finally:
            http.close()
        self.capabilities: dict[str, Any] = json.loads(resp.body)["ocs"]["data"]

    def install(self, rsps: responses.RequestsMock) -> None:
        base = re.escape(self.base_url.rstrip("/"))
        rsps.add_passthru(self.base_url)
        rsps.add_callback(
            responses.GET,
            re.compile(base + r"/ocs/v2\.php/cloud/capabilities"),
            callback=self._capabilities,
        )
        deck = base + re.escape(API)
        routes = [
            ("GET", r"/boards", self._boards),
            ("GET", r"/boards/(\d+)/stacks", self._stacks),
            ("POST", r"/boards/(\d+)/stacks/(\d+)/cards", self._create),
            ("GET", r"/boards/(\d+)/stacks/(\d+)/cards/(\d+)", self._card),
            ("PUT", r"/boards/(\d+)/stacks/(\d+)/cards/(\d+)/assignUser", self._assign),
        ]
        for method, path, handler in routes:
            rsps.add_callback(method, re.compile(deck + path + r"(\?.*)?$"), callback=handler)

    def _capabilities(self, request: requests.PreparedRequest) -> Answer:
        data = copy.deepcopy(self.capabilities)
        if self.present:
            data["capabilities"]["deck"] = {
                "version": "1.14.0",
                "canCreateBoards": True,
                "apiVersions": ["1.0", "1.1", "1.2"],
            }
        meta = {"status": "ok", "statuscode": 200, "message": "OK"}
        return _answer(200, {"ocs": {"meta": meta, "data": data}})

    def _ids(self, request: requests.PreparedRequest) -> list[int]:
        self.deck_calls += 1
        assert request.headers["OCS-APIRequest"] == "true"
        path = str(request.path_url).split("?")[0].removeprefix(API)
        return [int(n) for n in re.findall(r"\d+", path)]

    def _boards(self, request: requests.PreparedRequest) -> Answer:
        self._ids(request)
        return _answer(200, list(self.boards))

    def _stacks(self, request: requests.PreparedRequest) -> Answer:
        [board] = self._ids(request)
        if board != 10:
            return _answer(403, {"status": 403, "message": "Permission denied"})
        listing = [
            {
                **stack,
                "boardId": board,
                "deletedAt": 0,
                "lastModified": 1541426139,
                "cards": [
                    c
                    for c in self.cards.values()
                    if c["stackId"] == stack["id"] and not c["archived"]
                ],
            }
            for stack in self.stacks
        ]
        return _answer(200, listing)

    def _create(self, request: requests.PreparedRequest) -> Answer:
        _board, stack = self._ids(request)
        assert request.headers["Content-Type"] == "application/json"
        body = json.loads(request.body or b"{}")
        self.posted.append(body)
        if self.fail_posts > 0:
            self.fail_posts -= 1
            return 500, {"Content-Type": "text/html"}, "<html>Internal Server Error</html>"
        self._next_id += 1
        card = {
            "id": self._next_id,
            "title": body["title"],
            "description": body.get("description"),
            "stackId": stack,
            "type": body["type"],
            "lastModified": 1541528026,
            "createdAt": 1541528026,
            "labels": None,
            "assignedUsers": None,
            "attachments": None,
            "attachmentCount": None,
            "owner": "alice",
            "order": body["order"],
            "archived": False,
            "done": None,
            "duedate": body.get("duedate"),
            "deletedAt": 0,
            "commentsUnread": 0,
            "overdue": 0,
        }
        self.cards[card["id"]] = card
        return _answer(200, card)

    def _card(self, request: requests.PreparedRequest) -> Answer:
        _board, _stack, card_id = self._ids(request)
        if card_id not in self.cards:
            return _answer(403, {"status": 403, "message": "Permission denied"})
        return _answer(200, self.cards[card_id])

    def _assign(self, request: requests.PreparedRequest) -> Answer:
        _board, _stack, card_id = self._ids(request)
        user = json.loads(request.body or b"{}")["userId"]
        card = self.cards[card_id]
        if user not in self.members:
            return _answer(400, {"status": 400, "message": "The user is not part of the board"})
        if any(a["participant"]["uid"] == user for a in card["assignedUsers"] or ()):
            return _answer(400, {"status": 400, "message": "The user is already assigned"})
        assignment = {
            "id": len(self.assigned) + 1,
            "participant": {"primaryKey": user, "uid": user, "displayname": user},
            "cardId": card_id,
        }
        card["assignedUsers"] = [*(card["assignedUsers"] or []), assignment]
        self.assigned.append((card_id, user))
        return _answer(200, assignment)
