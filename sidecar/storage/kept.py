"""Values a process keeps between requests, keyed by what they were derived from.

A key that names everything a value depends on (an association and its read models'
fingerprint, say) never serves a stale value: when the data changes, the key changes. The
store is bounded (least recently used first out) and shared by a process's threads.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most ``size`` values, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value kept for ``key``, or ``compute()``'s, then kept (computed outside the
        lock: two threads may both compute a missing value, and both get a right one)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        self.put(key, value)
        return value

    def peek(self, key: K) -> V | None:
        """The value kept for ``key``, if any."""
        with self._lock:
            return self._values.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)


class KeptPerDatabase(Generic[K, V]):
    """A :class:`Kept` for each database a process opens (tests open many; a value read from
    one must never answer for another, even under an equal key)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._stores: weakref.WeakKeyDictionary[Any, Kept[K, V]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def of(self, session: Session) -> Kept[K, V]:
        """The store of ``session``'s database (its engine)."""
        engine = session.get_bind()
        with self._lock:
            found = self._stores.get(engine)
            if found is None:
                found = self._stores[engine] = Kept(self.size)
        return found
