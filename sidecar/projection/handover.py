"""Officer handover: what a departing member held, as a checklist, and whether it is done.

Pure: the holdings found now (dossiers, deadlines, shares, folders, alert routes, tokens) and
the checklist recorded so far in, the merged checklist out. An item no longer held is done
("gone": it was transferred or removed elsewhere); a new holding becomes a new item.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class HandoverState:
    """A handover as the rules see it."""

    id: int
    name: str
    started_at: datetime
    closed: bool
    account_deactivated: bool
    open_items: int


def merge(recorded: Sequence[ChecklistItem], held: Iterable[Holding]) -> list[ChecklistItem]:
    """The checklist after a new inventory: held items stay (or reopen), vanished ones are done."""
    now_held = {(h.kind, h.ref): h for h in held}
    merged: list[ChecklistItem] = []
    for item in recorded:
        holding = now_held.pop((item.kind, item.ref), None)
        if holding is None and not item.done:
            merged.append(ChecklistItem(item.kind, item.ref, item.label, item.detail, True, "gone"))
        elif holding is not None and item.done_how == "gone":
            merged.append(ChecklistItem(item.kind, item.ref, holding.label, holding.detail, False))
        else:
            merged.append(item)
    merged += [ChecklistItem(h.kind, h.ref, h.label, h.detail, False) for h in now_held.values()]
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(merged, key=lambda i: (order.get(i.kind, len(order)), i.label, i.ref))


def is_closed(items: Sequence[ChecklistItem]) -> bool:
    """A handover closes when every item is done (an empty inventory closes at once)."""
    return all(item.done for item in items)
