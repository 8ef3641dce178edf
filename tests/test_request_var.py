"""``RequestVar``: once reset, no copy of the context holds its value (the copies asyncio
keeps in cancelled timers kept a finished request's reads alive until their deadline)."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import weakref

from schoolgraph.cache.reads import ReadSet, current_reads
from schoolgraph.request_var import RequestVar


class Payload:
    """Something a request gathers (weakly referenceable, to see it go)."""


class Source:
    """A cache the request read from (`ReadSource`)."""

    def holds(self, key: object, version: int) -> bool:
        return True


def test_a_reset_value_is_gone_from_copies_of_the_context() -> None:
    var: RequestVar[Payload] = RequestVar("test_payload")
    payload = Payload()
    token = var.set(payload)
    copied = contextvars.copy_context()
    assert copied.run(var.get) is payload

    var.reset(token)

    assert var.get() is None
    assert copied.run(var.get) is None
    gone = weakref.ref(payload)
    del payload
    gc.collect()
    assert gone() is None  # the copy still exists, and holds nothing


def test_resets_nest_like_a_context_variable() -> None:
    var: RequestVar[str] = RequestVar("test_nested")
    outer = var.set("outer")
    inner = var.set("inner")
    assert var.get() == "inner"
    var.reset(inner)
    assert var.get() == "outer"
    var.reset(outer)
    assert var.get() is None


class Gathered(ReadSet):
    """A request's reads, weakly referenceable (to see them go)."""


async def test_a_cancelled_timer_does_not_keep_a_requests_reads() -> None:
    loop = asyncio.get_running_loop()
    reads = Gathered()
    reads.add(Source(), "students", 1)  # what the request read: a cache entry's version
    token = current_reads.set(reads)
    timer = loop.call_later(600, lambda: None)  # a deadline, as a request's timeout sets
    current_reads.reset(token)
    timer.cancel()  # the request ended early; the handle stays scheduled until its time

    gone = weakref.ref(reads)
    del reads
    gc.collect()

    assert timer in getattr(loop, "_scheduled", ())  # what asyncio keeps is the point
    assert gone() is None
