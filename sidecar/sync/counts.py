"""Counters a sync step returns, added up into the :class:`SyncRun` row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    added: int = 0
    changed: int = 0
    removed: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.added + other.added, self.changed + other.changed, self.removed + other.removed
        )
