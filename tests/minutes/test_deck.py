"""Decisions become Deck cards too, beside their VTODOs, where the association chose a board.

The PV, the sync, the scan and the VTODOs run against the real demo Nextcloud. Deck cannot run
here (a PHP app of Nextcloud; the demo server does not speak it), so its answers come from
``responses`` (tests/minutes/deck_fake.py), shaped on Deck's documented JSON (nextcloud/deck,
docs/API.md: "GET /boards", "GET /boards/{boardId}/stacks", "POST …/cards" whose answer has
``done: null``, ``archived: false`` and an ISO 8601 ``duedate``, "PUT …/assignUser" answering
``{"participant": {"uid": …}}``; docs/API-Nextcloud.md for ``capabilities.deck``). Every other
request passes through to the demo server (``responses.add_passthru``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import responses
from sqlalchemy import select

from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.demo.seed import BY_UID, CA_FOLDER
from sidecar.errors import ConfigError
from sidecar.services import actions, minutes_cycle
from sidecar.services.settings_check import check_settings
from sidecar.storage.models import Association, Member, MinutesAction
from tests.minutes.deck_fake import FakeDeck
from tests.minutes.documents import actions_pv, odt
from tests.minutes.test_actions import _first_on_or_after, _quorum_todos
from tests.minutes.test_register import association_id, past_meeting_day
from tests.sync.helpers import alice_files, sync

OWNERS = {"Alice": "alice", "Bernard": "bernard", "Hélène": "helene"}


@pytest.fixture
def three_actions(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int]
) -> Iterator[tuple[Services, int, date]]:
    """A synced PV with three actions (Bernard, Hélène, Alice), the roster knowing their
    Nextcloud accounts: (services, association id, meeting day)."""
    services, source_id = fresh_synced
    day = past_meeting_day(fresh_demo_server)
    lines, table = actions_pv(day)
    path = f"{CA_FOLDER}/{day.isoformat()}/PV CA actions.odt"
    alice_files(fresh_demo_server.url).put(path, odt(lines, table), if_none_match=True)
    sync(services, source_id)
    aid = association_id(services)
    with services.db.session() as session:
        for uid in OWNERS.values():
            member = session.scalars(
                select(Member).where(
                    Member.association_id == aid, Member.email == BY_UID[uid].email
                )
            ).one()
            member.nc_user = uid
    yield services, aid, day


def _choose_board(services: Services, aid: int, minutes: dict[str, str] | None) -> None:
    with services.db.session() as session:
        association = session.get(Association, aid)
        assert association is not None
        settings = {k: v for k, v in (association.settings or {}).items() if k != "minutes"}
        association.settings = {**settings, **({"minutes": minutes} if minutes else {})}


def _run(services: Services, aid: int, deck: FakeDeck) -> minutes_cycle.MinutesRun:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        deck.install(rsps)
        done = minutes_cycle.run(services, aid, datetime.now(UTC))
        deck.capability_calls = sum("cloud/capabilities" in str(c.request.url) for c in rsps.calls)
    return done


def _rows(services: Services, aid: int) -> dict[str, MinutesAction]:
    with services.db.session() as session:
        rows = {a.owner: a for a in actions.list_actions(session, aid)}
        session.expunge_all()
    return rows


def test_three_actions_become_three_cards_never_twice_and_done_in_deck_shows_done(
    fresh_demo_server: DemoServer, three_actions: tuple[Services, int, date]
) -> None:
    services, aid, day = three_actions
    _choose_board(services, aid, {"deck_board": "bureau"})  # titles match whatever the case
    deck = FakeDeck(fresh_demo_server.url)

    first = _run(services, aid, deck)
    assert (first.tasks.created, first.tasks.failed) == (3, 0)
    assert (first.tasks.cards.created, first.tasks.cards.failed) == (3, 0), first.tasks.errors
    assert first.tasks.errors == []
    with services.db.session() as session:
        calendar = actions.tasks_calendar(session, aid)
        assert calendar is not None
        href = calendar.remote_path
    assert len(_quorum_todos(fresh_demo_server.url, href)) == 3  # the VTODOs, as before

    rows = _rows(services, aid)
    cards = {c["title"]: c for c in deck.cards.values()}
    assert set(cards) == {
        "Bernard — relancer la mairie",
        "Hélène — commander les graines",
        "Alice — Envoyer le bilan à la Ville",
    }
    dues = {
        "Bernard": _first_on_or_after(day, 1, 15),
        "Hélène": _first_on_or_after(day, 2, 28),
        "Alice": date(day.year + 1, 3, 31),
    }
    for owner, row in rows.items():
        card = deck.cards[row.deck_card_id or 0]
        assert (row.deck_board_id, row.deck_stack_id) == (10, 4)  # "Bureau", its first stack
        assert card["title"].startswith(f"{owner} — ") and card["type"] == "plain"
        due = datetime.fromisoformat(card["duedate"])
        assert due.tzinfo is not None and due.date() == dues[owner]
        assert "/index.php/f/" in card["description"]  # the link back to the PV
        assert row.todo_uid in card["description"]  # the marker: the VTODO's UID
        assert (card["id"], OWNERS[owner]) in deck.assigned
    assert len(deck.assigned) == 3

    # a re-run, and a run after a crash that lost the recorded card id, post nothing
    again = _run(services, aid, deck)
    assert (again.tasks.cards.created, again.tasks.created) == (0, 0)
    with services.db.session() as session:
        lost = session.scalars(select(MinutesAction).where(MinutesAction.owner == "Bernard")).one()
        bernard_card, lost.deck_card_id = lost.deck_card_id, None
    recovered = _run(services, aid, deck)
    assert (recovered.tasks.cards.created, recovered.tasks.cards.existing) == (0, 1)
    assert len(deck.posted) == 3 and len(deck.cards) == 3
    assert _rows(services, aid)["Bernard"].deck_card_id == bernard_card

    # Bernard marks his card done, Hélène archives hers: both done after the next cycle
    assert {r.status for r in _rows(services, aid).values()} == {"NEEDS-ACTION"}
    deck.cards[rows["Bernard"].deck_card_id or 0]["done"] = "2027-01-10T09:30:00+00:00"
    deck.cards[rows["Hélène"].deck_card_id or 0]["archived"] = True
    later = _run(services, aid, deck)
    assert later.tasks.cards.done == 2
    after = _rows(services, aid)
    assert {o: r.status for o, r in after.items()} == {
        "Bernard": "COMPLETED",
        "Hélène": "COMPLETED",
        "Alice": "NEEDS-ACTION",
    }
    assert after["Bernard"].completed_at == datetime(2027, 1, 10, 9, 30, tzinfo=UTC)


def test_without_a_board_or_without_deck_nothing_is_posted(
    fresh_demo_server: DemoServer, three_actions: tuple[Services, int, date]
) -> None:
    services, aid, _day = three_actions
    deck = FakeDeck(fresh_demo_server.url)

    no_setting = _run(services, aid, deck)  # no minutes.deck_board: Deck is not even looked for
    assert no_setting.tasks.created == 3 and no_setting.tasks.errors == []
    assert (deck.capability_calls, deck.deck_calls) == (0, 0)

    _choose_board(services, aid, {"deck_board": "Bureau"})
    deck.present = False  # this Nextcloud has no Deck app
    no_deck = _run(services, aid, deck)
    assert deck.capability_calls == 1 and deck.deck_calls == 0
    assert no_deck.tasks.errors == [] and no_deck.tasks.cards.failed == 0
    assert all(
        r.deck_card_id is None and r.deck_error is None for r in _rows(services, aid).values()
    )


def test_a_deck_failure_leaves_the_vtodos_is_recorded_and_retried(
    fresh_demo_server: DemoServer, three_actions: tuple[Services, int, date]
) -> None:
    services, aid, _day = three_actions
    _choose_board(services, aid, {"deck_board": "Bureau", "deck_stack": "Fait"})
    deck = FakeDeck(fresh_demo_server.url, fail_posts=3)

    broken = _run(services, aid, deck)
    assert (broken.tasks.created, broken.tasks.failed) == (3, 0)  # the VTODOs are written
    assert (broken.tasks.cards.created, broken.tasks.cards.failed) == (0, 3)
    assert len(broken.tasks.errors) == 3 and all("500" in e for e in broken.tasks.errors)
    rows = _rows(services, aid)
    assert all(r.deck_card_id is None and "500" in (r.deck_error or "") for r in rows.values())
    with services.db.session() as session:
        calendar = actions.tasks_calendar(session, aid)
        assert calendar is not None
        assert len(_quorum_todos(fresh_demo_server.url, calendar.remote_path)) == 3

    healed = _run(services, aid, deck)  # Deck is back: the next cycle makes the cards
    assert (healed.tasks.created, healed.tasks.cards.created) == (0, 3)
    rows = _rows(services, aid)
    assert all(r.deck_error is None and r.deck_stack_id == 5 for r in rows.values())  # "Fait"

    _choose_board(services, aid, {"deck_board": "Vieux bureau"})  # archived: not a target
    missing = _run(services, aid, deck)
    assert any("Vieux bureau" in e for e in missing.tasks.errors)


def test_the_minutes_settings_are_checked() -> None:
    check_settings({"minutes": {"deck_board": "Bureau", "deck_stack": "À faire"}})
    check_settings({"minutes": {"tasks_calendar": "/remote.php/dav/calendars/a/taches/"}})
    with pytest.raises(ConfigError, match="deck_bord"):
        check_settings({"minutes": {"deck_bord": "Bureau"}})
    with pytest.raises(ConfigError, match="deck_board too"):
        check_settings({"minutes": {"deck_stack": "À faire"}})
    with pytest.raises(ConfigError, match="non-empty text"):
        check_settings({"minutes": {"deck_board": ""}})
    with pytest.raises(ConfigError, match="must be a table"):
        check_settings({"minutes": "Bureau"})
