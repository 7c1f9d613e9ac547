"""Deck client on answers shaped as nextcloud/deck docs/API.md documents them.

No Deck server runs here and there is no recorded Deck exchange, so ``responses`` replays the
documented JSON: the board list, the stacks with their cards (``done``, ``archived``,
``duedate``, ``assignedUsers``), the created card, the assignment, and the
``{"status": 400, "message": …}`` failures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from integrations.deck import DeckClient, DeckError, deck_available
from integrations.errors import ProtocolError, ServerError
from integrations.http import HttpClient
from tests.fixtures_nc import BASE_URL

DECK = BASE_URL + "/index.php/apps/deck/api/v1.0"
CARD = {
    "title": "Test",
    "description": "PV : https://nc/index.php/f/12\n\nquorum-action-" + "a" * 32,
    "stackId": 6,
    "type": "plain",
    "lastModified": 1541528026,
    "createdAt": 1541528026,
    "labels": None,
    "assignedUsers": None,
    "attachments": None,
    "attachmentCount": None,
    "owner": "admin",
    "order": 999,
    "archived": False,
    "done": None,
    "duedate": "2019-12-24T19:29:30+00:00",
    "deletedAt": 0,
    "commentsUnread": 0,
    "id": 10,
    "overdue": 0,
}


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def deck() -> DeckClient:
    return DeckClient(HttpClient(BASE_URL, "alice", "app-password"))


def test_boards_and_stacks_with_their_cards(rsps: responses.RequestsMock, deck: DeckClient) -> None:
    rsps.get(
        DECK + "/boards",
        json=[
            {"title": "Board title", "archived": False, "deletedAt": 0, "id": 10},
            {"title": "Old", "archived": True, "deletedAt": 0, "id": 11},
        ],
    )
    done = {
        **CARD,
        "id": 11,
        "done": "2027-01-10T09:30:00+00:00",
        "assignedUsers": [
            {"id": 3, "participant": {"primaryKey": "bob", "uid": "bob"}, "cardId": 11}
        ],
    }
    rsps.get(
        DECK + "/boards/10/stacks",
        json=[
            {"title": "Done", "boardId": 10, "order": 2, "id": 7, "cards": [done]},
            {"title": "ToDo", "boardId": 10, "order": 1, "id": 6, "cards": [CARD]},
            {"title": "Empty", "boardId": 10, "order": 3, "id": 8},
        ],
    )
    boards = deck.boards()
    assert [(b.id, b.title, b.archived) for b in boards] == [
        (10, "Board title", False),
        (11, "Old", True),
    ]
    stacks = deck.stacks(10)
    assert [s.title for s in stacks] == ["ToDo", "Done", "Empty"]  # by Deck's order
    [open_card] = stacks[0].cards
    [done_card] = stacks[1].cards
    assert not open_card.finished and open_card.duedate == "2019-12-24T19:29:30+00:00"
    assert done_card.finished and done_card.assigned == ("bob",)
    headers = rsps.calls[0].request.headers
    assert headers["OCS-APIRequest"] == "true" and headers["Content-Type"] == "application/json"


def test_create_and_assign_send_the_documented_bodies(
    rsps: responses.RequestsMock, deck: DeckClient
) -> None:
    rsps.post(DECK + "/boards/10/stacks/6/cards", json=CARD)
    rsps.put(
        DECK + "/boards/10/stacks/6/cards/10/assignUser",
        json={"id": 3, "participant": {"uid": "bob"}, "cardId": 10},
    )
    card = deck.create_card(10, 6, "x" * 300, description="d", duedate="2027-01-15T23:59:00+01:00")
    assert (card.id, card.stack_id, card.done, card.archived) == (10, 6, None, False)
    deck.assign_user(10, 6, 10, "bob")
    sent = json.loads(rsps.calls[0].request.body or b"")
    assert sent == {
        "title": "x" * 255,
        "type": "plain",
        "order": 999,
        "description": "d",
        "duedate": "2027-01-15T23:59:00+01:00",
    }
    assert json.loads(rsps.calls[1].request.body or b"") == {"userId": "bob"}


def test_failures_say_what_deck_said(rsps: responses.RequestsMock, deck: DeckClient) -> None:
    rsps.put(
        DECK + "/boards/10/stacks/6/cards/10/assignUser",
        status=400,
        json={"status": 400, "message": "The user is not part of the board"},
    )
    rsps.get(
        DECK + "/boards/12/stacks", status=403, json={"status": 403, "message": "Permission denied"}
    )
    rsps.get(DECK + "/boards", status=200, body="<html>maintenance</html>")
    rsps.post(DECK + "/boards/10/stacks/6/cards", status=500, body="oops")
    with pytest.raises(DeckError, match="not part of the board") as err:
        deck.assign_user(10, 6, 10, "bob")
    assert err.value.status == 400
    with pytest.raises(DeckError, match="Permission denied"):
        deck.stacks(12)
    with pytest.raises(ProtocolError, match="not JSON"):
        deck.boards()
    with pytest.raises(ServerError):
        deck.create_card(10, 6, "t")


def test_deck_is_found_in_the_capabilities() -> None:
    assert deck_available({"deck": {"version": "1.14.0", "canCreateBoards": True}})
    assert not deck_available({"notifications": {}})
