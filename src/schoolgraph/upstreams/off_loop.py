"""Decoding and parsing large upstream answers on a worker thread.

A cold query over a large school reads lists of thousands of rows (students, a week's
roster, contacts) while other reads are still under way, some of them chains: Tanda's and
TASS's pages follow one another, each asked for when the last came back. Parsed on the
event loop, a list of 3,900 students holds the loop for a few hundred milliseconds, and
every chain waiting on it waits that long before asking for its next page.

On a worker thread the parse still takes the CPU it takes (Python runs one thread at a
time), but the interpreter hands the event loop its turn every few milliseconds (the switch
interval), so the next page goes out while the parse goes on. Small answers are parsed in
place: a thread hop costs more than they do. What runs here must be pure: it builds new
objects from the answer and touches nothing shared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

__all__ = ["DECODE_OFF_LOOP_BYTES", "OFF_LOOP_BYTES", "off_loop"]

T = TypeVar("T")

OFF_LOOP_BYTES = 64 * 1024
"""Answers at least this large are parsed on a worker thread.

Measured on the large simulators' answers: a thread hop costs 30-50 us; orjson decodes about
2 us a KB (the stdlib reader 5.5) and building the rows takes 10-15 us a KB more. So a 64 KB
answer is about 1 ms of work, twenty times the hop, while one below it holds the loop under
a millisecond: the faster decoder left the threshold where it was."""


DECODE_OFF_LOOP_BYTES = 1024 * 1024
"""Answers at least this large are decoded (JSON to Python, no rows built) on a worker thread.

Decoding alone is about 2 us a KB, so an answer under a megabyte holds the loop for 2 ms at
most; on a worker thread it would queue behind the rows other answers are building there
(the pool runs what it is given in turn, and Python one thread at a time). A cold trace
showed the first page of Tanda's users decoded 40 to 110 ms late, behind the parse of the
schools' staff lists, and the rest of its chain of pages that much later."""


async def off_loop(size: int, work: Callable[[], T], *, threshold: int = OFF_LOOP_BYTES) -> T:
    """``work()``: on a worker thread when it handles ``threshold`` bytes or more (``size``),
    else here."""
    if size < threshold:
        return work()
    return await asyncio.to_thread(work)
