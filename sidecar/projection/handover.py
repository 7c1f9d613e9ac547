"""Officer handover: what a departing member held, as a checklist, and whether it is done.

Pure: the holdings found now (dossiers, deadlines, shares, folders, alert routes, tokens) and
the checklist recorded so far in, the merged checklist out. An item no longer held is done
("gone": it was transferred or removed elsewhere); a new holding becomes a new item. An item
ticked by hand ("marked") that the inventory still finds with the departing person stays
*held*: it keeps the handover open (and its overdue alert) until it really leaves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

#: The kinds of things a member can hold, in the order a checklist shows them.
KINDS = (
    "dossier",
    "deadline",
    "action",
    "share",
    "public_link",
    "folder",
    "calendar",
    "alert_route",
    "api_token",
)


@dataclass(frozen=True)
class Holding:
    """One thing held: ``ref`` is stable (grant id, share id, token id…)."""

    kind: str
    ref: str
    label: str
    detail: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    ref: str
    label: str
    detail: str
    done: bool
    done_how: str | None = None  # marked | gone
    held: bool = False  # the last inventory still found it with the departing person

    @property
    def outstanding(self) -> bool:
        """Still to transfer: not ticked, or ticked while still held."""
        return not self.done or self.held


@dataclass(frozen=True)
class HandoverState:
    """A handover as the rules see it."""

    id: int
    name: str
    started_at: datetime
    closed: bool
    account_deactivated: bool
    open_items: int  # not ticked, or ticked while still held
    deactivated_at: datetime | None = None  # when the account was first seen deactivated


def merge(recorded: Sequence[ChecklistItem], held: Iterable[Holding]) -> list[ChecklistItem]:
    """The checklist after a new inventory: held items stay (or reopen), vanished ones are done.

    A ticked item keeps its tick either way, and is ``held`` while the inventory still finds it.
    """
    now_held = {(h.kind, h.ref): h for h in held}
    merged: list[ChecklistItem] = []
    for item in recorded:
        holding = now_held.pop((item.kind, item.ref), None)
        if holding is None and not item.done:
            merged.append(ChecklistItem(item.kind, item.ref, item.label, item.detail, True, "gone"))
        elif holding is None:
            merged.append(replace(item, held=False))
        elif item.done_how == "gone":
            merged.append(
                ChecklistItem(item.kind, item.ref, holding.label, holding.detail, False, held=True)
            )
        else:
            merged.append(replace(item, held=True))
    merged += [
        ChecklistItem(h.kind, h.ref, h.label, h.detail, False, held=True) for h in now_held.values()
    ]
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(merged, key=lambda i: (order.get(i.kind, len(order)), i.label, i.ref))


def is_closed(items: Sequence[ChecklistItem]) -> bool:
    """A handover closes when every item is done and none is still held (an empty inventory
    closes at once)."""
    return not any(item.outstanding for item in items)
