"""``Broker``: fans each :class:`~schoolgraph.domain.Change` out to the subscriptions of its
kind, through one bounded queue per subscription.

A subscriber that reads slower than changes arrive never holds more than ``queue_size``
changes: the oldest is dropped and counted, and the next change it reads carries that count
(``missed``), so a client knows to refetch. Publishing never waits for a subscriber.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager

from schoolgraph.domain import Change, ChangeKind

__all__ = ["Broker", "Subscriber"]


class Subscriber:
    """One subscription's queue: at most ``size`` changes, oldest dropped first."""

    def __init__(self, kind: ChangeKind, size: int) -> None:
        self.kind = kind
        self.size = size
        self.missed = 0
        """Changes dropped since the last one read."""
        self.missed_total = 0
        self._changes: deque[Change] = deque()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._changes)

    def offer(self, change: Change) -> None:
        if len(self._changes) >= self.size:
            self._changes.popleft()
            self.missed += 1
            self.missed_total += 1
        self._changes.append(change)
        self._ready.set()

    async def next(self) -> tuple[Change, int]:
        """The oldest queued change, and how many were dropped before it since the last."""
        while not self._changes:
            self._ready.clear()
            await self._ready.wait()
        change = self._changes.popleft()
        missed, self.missed = self.missed, 0
        return change, missed


class Broker:
    """Subscriptions by kind; ``publish`` offers a change to each subscription of its kind.

    Args:
        queue_size: The bound of every subscription's queue.
    """

    def __init__(self, queue_size: int = 100) -> None:
        self.queue_size = queue_size
        self._subscribers: dict[ChangeKind, set[Subscriber]] = {kind: set() for kind in ChangeKind}
        self._watchers: list[Callable[[], None]] = []
        self.published = 0

    def subscribers(self, kind: ChangeKind | None = None) -> list[Subscriber]:
        kinds = list(ChangeKind) if kind is None else [kind]
        return [s for k in kinds for s in self._subscribers[k]]

    def interested(self, kinds: Iterable[ChangeKind]) -> bool:
        """Whether anyone subscribes to one of ``kinds``."""
        return any(self._subscribers[kind] for kind in kinds)

    def watch(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever a subscription starts or ends."""
        self._watchers.append(callback)

    def _changed(self) -> None:
        for callback in self._watchers:
            callback()

    @asynccontextmanager
    async def subscribe(self, kind: ChangeKind) -> AsyncIterator[Subscriber]:
        """A subscription to ``kind`` for the duration of the ``async with``."""
        subscriber = Subscriber(kind, self.queue_size)
        self._subscribers[kind].add(subscriber)
        self._changed()
        try:
            yield subscriber
        finally:
            self._subscribers[kind].discard(subscriber)
            self._changed()

    def publish(self, change: Change) -> int:
        """Offer ``change`` to every subscription of its kind; how many there were."""
        self.published += 1
        subscribers = self._subscribers[change.kind]
        for subscriber in subscribers:
            subscriber.offer(change)
        return len(subscribers)
