"""Actions of the minutes as Deck cards, beside their VTODOs, where the association chose a board.

``settings["minutes"]["deck_board"]`` names the board (by its title), ``deck_stack`` the stack
(the board's first stack otherwise). Without a board, or when the capabilities of the Nextcloud
do not announce Deck, nothing is sent and nothing is reported: the VTODOs are the tasks.

Deck has no ``If-None-Match`` on create. A card carries the action's marker (its VTODO UID,
``quorum-action-<hash>``) in its description, and the board's stacks are read before any POST:
a card found by its marker is recorded, never created twice, even after a crash between the
POST and the recording. A Deck failure is recorded on the action (``deck_error``) and tried
again on the next cycle; it never touches the VTODO path.

Each pass also reads the cards back: one marked done, or archived, sets ``deck_done_at``, and
:func:`sidecar.services.actions.refresh_status` then shows the action done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.deck import DeckBoard, DeckCard, DeckClient, DeckStack, deck_available
from integrations.errors import IntegrationError, NotFoundError
from integrations.ocs import OcsClient
from sidecar import i18n
from sidecar.context import Services
from sidecar.i18n import N_
from sidecar.storage.models import (
    Association,
    Body,
    Collection,
    FileRecord,
    Member,
    MinutesAction,
    Source,
)
from sidecar.sync import connection as sources_service

DONE = "COMPLETED"
_MARKER = re.compile(r"quorum-action-[0-9a-f]{32}")


@dataclass
class CardsReport:
    created: int = 0
    existing: int = 0
    failed: int = 0
    done: int = 0  # cards read back as done or archived
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeckTarget:
    board: str
    stack: str = ""  # "" is the board's first stack


def deck_target(settings: Mapping[str, Any] | None) -> DeckTarget | None:
    """The board and stack chosen in the association's settings, or None."""
    minutes = (settings or {}).get("minutes") or {}
    board = str(minutes.get("deck_board") or "").strip() if isinstance(minutes, dict) else ""
    if not board:
        return None
    return DeckTarget(board, str(minutes.get("deck_stack") or "").strip())


@dataclass(frozen=True)
class _Action:
    """What a pass needs of one recorded action, read in the planning transaction."""

    id: int
    marker: str
    title: str
    description: str
    duedate: str | None
    nc_user: str | None
    card: tuple[int, int, int] | None  # board, stack, card
    deck_done: bool


@dataclass(frozen=True)
class _Plan:
    source: Source
    target: DeckTarget
    actions: tuple[_Action, ...]
    language: str = "fr"

    def say(self, msgid: str, **params: object) -> str:
        """A message in the association's language (the report reaches pages and the CLI)."""
        return i18n.gettext(self.language, msgid, **params)


@dataclass(frozen=True)
class _Result:
    card: tuple[int, int, int] | None = None
    done_at: datetime | None = None
    finished: bool | None = None  # None: the card's state was not read this time
    error: str | None = None


def publish_cards(
    services: Services, association_id: int, source_id: int, now: datetime
) -> CardsReport:
    """Create the missing cards and read the others back; plan, call Deck outside any
    transaction, record in a second one (as :func:`sidecar.services.actions.publish` does)."""
    report = CardsReport()
    with services.db.session() as session:
        plan = _plan(session, association_id, source_id)
    if plan is None:
        return report
    conn = sources_service.connect(
        plan.source, services.vault, deadline=services.settings.http_timeout
    )
    try:
        results = _apply(DeckClient(conn.http), conn.ocs, plan, now, report)
    finally:
        conn.close()
    with services.db.session() as session:
        _record(session, results, now)
    return report


def _plan(session: Session, association_id: int, source_id: int) -> _Plan | None:
    association = session.get(Association, association_id)
    source = session.get(Source, source_id)
    target = deck_target(association.settings if association else None)
    if association is None or source is None or target is None:
        return None
    rows = list(
        session.scalars(
            select(MinutesAction)
            .where(
                MinutesAction.association_id == association_id,
                # open actions get a card; cards already made are read back whatever their state
                (MinutesAction.deck_card_id.is_not(None)) | (MinutesAction.status != DONE),
            )
            .order_by(MinutesAction.id)
        )
    )
    if not rows:
        return None
    users = _nc_users(session, association_id, (r.owner_email for r in rows))
    bodies: dict[str, str] = {
        code: name
        for code, name in session.execute(
            select(Body.code, Body.name).where(Body.association_id == association_id)
        )
    }
    links = _pv_links(session, source, {r.path for r in rows})
    zone = _zone(association.timezone)
    actions = tuple(
        _Action(
            id=row.id,
            marker=row.todo_uid,
            title=f"{row.owner} — {row.title}",
            description=(
                f"{bodies.get(row.body_code, row.body_code)}, {row.meeting_day.isoformat()} — "
                f"{row.title}\n\nPV : {links[row.path]}\n\n{row.todo_uid}"
            ),
            duedate=_duedate(row.due, zone),
            nc_user=users.get((row.owner_email or "").lower()),
            card=(
                (row.deck_board_id or 0, row.deck_stack_id or 0, row.deck_card_id)
                if row.deck_card_id is not None
                else None
            ),
            deck_done=row.deck_done_at is not None,
        )
        for row in rows
    )
    return _Plan(source, target, actions, association.language or "fr")


def _nc_users(
    session: Session, association_id: int, emails: Iterable[str | None]
) -> dict[str, str]:
    """Owner email (lower case) → Nextcloud user id, from the roster."""
    wanted = {e.lower() for e in emails if e}
    if not wanted:
        return {}
    found = session.execute(
        select(Member.email, Member.nc_user).where(
            Member.association_id == association_id, Member.nc_user.is_not(None)
        )
    )
    return {email.lower(): uid for email, uid in found if email.lower() in wanted and uid}


def _pv_links(session: Session, source: Source, paths: set[str]) -> dict[str, str]:
    """Nextcloud's permanent link to each PV (``/index.php/f/<fileid>``), else its WebDAV path."""
    base = source.base_url.rstrip("/")
    ids: dict[str, str | None] = {
        path: fileid
        for path, fileid in session.execute(
            select(FileRecord.path, FileRecord.fileid)
            .join(Collection, FileRecord.collection_id == Collection.id)
            .where(Collection.source_id == source.id, FileRecord.path.in_(paths))
        )
    }
    return {
        path: f"{base}/index.php/f/{ids[path]}"
        if ids.get(path)
        else f"{base}/remote.php/dav/files/{source.login}{path}"
        for path in paths
    }


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")


def _duedate(due: date | None, zone: ZoneInfo) -> str | None:
    """The end of the due day in the association's time zone, as Deck wants it (ISO 8601)."""
    return datetime.combine(due, time(23, 59), zone).isoformat() if due else None


def _apply(
    deck: DeckClient, ocs: OcsClient, plan: _Plan, now: datetime, report: CardsReport
) -> dict[int, _Result]:
    """Talk to Deck; one result per action (nothing when Deck is absent)."""
    try:
        if not deck_available(ocs.capabilities().raw):
            return {}
        board = _board(deck.boards(), plan.target.board)
        stacks = deck.stacks(board.id) if board is not None else []
        stack = _stack(stacks, plan.target.stack)
    except IntegrationError as err:
        return _failed(plan, plan.say(N_("Deck: %(reason)s"), reason=str(err)), report)
    if board is None:
        return _failed(plan, _no_board(plan), report)
    if stack is None:
        return _failed(plan, _no_stack(plan, board), report)
    listed = {c.id: c for s in stacks for c in s.cards}
    by_marker = {m: c for c in listed.values() for m in _MARKER.findall(c.description)}
    results = {}
    for action in plan.actions:
        if action.card is None:
            results[action.id] = _create(deck, board.id, stack, action, by_marker, plan, report)
        else:
            results[action.id] = _read_back(deck, action, action.card, listed, plan)
        if results[action.id].finished:
            report.done += 1
    return results


def _no_board(plan: _Plan) -> str:
    return plan.say(
        N_(
            "No Deck board named “%(board)s” is visible to %(login)s: check minutes.deck_board "
            "in the settings, or share the board with that account."
        ),
        board=plan.target.board,
        login=plan.source.login,
    )


def _no_stack(plan: _Plan, board: DeckBoard) -> str:
    if not plan.target.stack:
        return plan.say(
            N_("The Deck board “%(board)s” has no stack yet: add one in Deck."), board=board.title
        )
    return plan.say(
        N_(
            "The Deck board “%(board)s” has no stack named “%(stack)s”: check minutes.deck_stack "
            "in the settings."
        ),
        board=board.title,
        stack=plan.target.stack,
    )


def _board(boards: list[DeckBoard], title: str) -> DeckBoard | None:
    wanted = title.casefold()
    return next(
        (b for b in boards if b.title.casefold() == wanted and not (b.archived or b.deleted)),
        None,
    )


def _stack(stacks: list[DeckStack], title: str) -> DeckStack | None:
    if not title:
        return stacks[0] if stacks else None
    return next((s for s in stacks if s.title.casefold() == title.casefold()), None)


def _failed(plan: _Plan, message: str, report: CardsReport) -> dict[int, _Result]:
    report.failed += sum(1 for a in plan.actions if a.card is None)
    report.errors.append(message)
    return {a.id: _Result(card=a.card, error=message) for a in plan.actions}


def _create(
    deck: DeckClient,
    board_id: int,
    stack: DeckStack,
    action: _Action,
    by_marker: Mapping[str, DeckCard],
    plan: _Plan,
    report: CardsReport,
) -> _Result:
    """The action's card: the one already carrying its marker, else a new one."""
    try:
        card = by_marker.get(action.marker)
        if card is None:
            card = deck.create_card(
                board_id,
                stack.id,
                action.title,
                description=action.description,
                duedate=action.duedate,
            )
            report.created += 1
        else:
            report.existing += 1
    except IntegrationError as err:
        report.failed += 1
        return _Result(error=_action_error(plan, action, err, report))
    ids = (board_id, card.stack_id, card.id)
    if action.nc_user and action.nc_user not in card.assigned:
        try:
            deck.assign_user(board_id, card.stack_id, card.id, action.nc_user)
        except IntegrationError as err:  # the card stays; its owner is in its title anyway
            error = _action_error(plan, action, err, report)
            return _Result(card=ids, finished=card.finished, error=error)
    return _Result(card=ids, done_at=_done_at(card), finished=card.finished)


def _action_error(plan: _Plan, action: _Action, err: IntegrationError, report: CardsReport) -> str:
    """Deck's refusal, for the action's row and (with the action's title) for the report."""
    error = plan.say(N_("Deck: %(reason)s"), reason=str(err))
    report.errors.append(f"{action.title}: {error}")
    return error


def _read_back(
    deck: DeckClient,
    action: _Action,
    ids: tuple[int, int, int],
    listed: Mapping[int, DeckCard],
    plan: _Plan,
) -> _Result:
    """The card's state: from the stacks listing, else (archived, or on another board) by id."""
    card = listed.get(ids[2])
    if card is None and not action.deck_done:
        try:
            card = deck.card(*ids)
        except NotFoundError:
            return _Result(card=ids)  # deleted in Deck: left as it was, never made again
        except IntegrationError as err:
            return _Result(card=ids, error=plan.say(N_("Deck: %(reason)s"), reason=str(err)))
    if card is None:
        return _Result(card=ids)  # done and archived, as last read
    return _Result(
        card=(ids[0], card.stack_id, card.id), done_at=_done_at(card), finished=card.finished
    )


def _done_at(card: DeckCard) -> datetime | None:
    if card.done is None:
        return None
    try:
        found = datetime.fromisoformat(card.done)
    except ValueError:
        return None
    return found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)


def _record(session: Session, results: Mapping[int, _Result], now: datetime) -> None:
    for action_id, result in results.items():
        row = session.get(MinutesAction, action_id)
        if row is None:
            continue
        if result.card is not None:
            row.deck_board_id, row.deck_stack_id, row.deck_card_id = result.card
        row.deck_error = result.error
        if result.finished is True:
            row.deck_done_at = row.deck_done_at or result.done_at or now
        elif result.finished is False:
            row.deck_done_at = None
