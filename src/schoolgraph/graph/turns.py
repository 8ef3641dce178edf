"""Turns on the event loop for resolvers woken together by one answer.

When a list every group shares arrives (a school's 3,900 students), the hundred resolvers
waiting on it are woken at once, and asyncio runs everything that is ready in one pass
before it looks at its sockets again: in a traced cold dashboard, 25 ms of building and
completing students during which an answer on the critical path (Tanda's next page of
users) waits, unread, and its next page is asked for that much later. Resolvers that take a
turn (:func:`take_turn`) go one at a time instead, one per pass of the loop, so that
answers that arrive meanwhile are read between two of them. The work is the same; its
order gives the upstreams' answers their turn first.
"""

from __future__ import annotations

import asyncio
from collections import deque
from weakref import WeakKeyDictionary

__all__ = ["take_turn"]


class _Turns:
    """The loop's queue of resolvers waiting for their turn."""

    def __init__(self) -> None:
        # No reference to the loop: it is this object's key in a WeakKeyDictionary.
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.busy = False

    def hand_on(self) -> None:
        """Give the turn to the next waiter still waiting (it runs in the next pass)."""
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.busy = False


_TURNS: WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = WeakKeyDictionary()


async def take_turn() -> None:
    """Wait until this task's turn: at once when no other task holds one, else after
    those before it, each in a pass of the loop of its own.

    The turn lasts until the task next awaits; it is handed on in the loop's next pass,
    after the loop has polled for I/O.
    """
    loop = asyncio.get_running_loop()
    turns = _TURNS.get(loop)
    if turns is None:
        turns = _TURNS[loop] = _Turns()
    if turns.busy:
        waiter: asyncio.Future[None] = loop.create_future()
        turns.waiting.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                loop.call_soon(turns.hand_on)  # granted, then cancelled: not lost
            raise
    else:
        turns.busy = True
    loop.call_soon(turns.hand_on)
