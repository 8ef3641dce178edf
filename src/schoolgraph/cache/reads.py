"""What one gateway request read from the upstream cache: the dependencies of its answer.

The answer cache (:mod:`schoolgraph.graph.answers`) keeps a whole encoded answer only as long
as everything it was computed from is unchanged. While a request executes, a `ReadSet` is
the context variable `current_reads`; the upstream cache records into it each entry it
hands out (`UpstreamCache.fetch`), and anything that reads state the upstream cache does not
hold (an upstream call outside a cache load, other than for a token; the account store)
`taint`\\ s it, so that the answer is not kept at all.

Context variables are copied into the tasks a request starts (dataloader batches,
``asyncio.gather``), so every read made on the request's behalf lands in its set; a load
shared between requests is recorded by each request that awaited it, in its own context.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from schoolgraph.request_var import RequestVar

__all__ = [
    "Read",
    "ReadSet",
    "ReadSource",
    "cache_loading",
    "calls_accounted",
    "current_reads",
    "fetching_credentials",
    "record_read",
    "taint",
]


class ReadSource(Protocol):
    """A cache whose entries an answer can depend on (`UpstreamCache`)."""

    def holds(self, key: Hashable, version: int) -> bool:
        """Whether `key` still holds the value it handed out as `version`, and is fresh."""
        ...


@dataclass(frozen=True, slots=True)
class Read:
    """One cache entry a request read: its key and the version of the value it handed out
    (not the value: an answer kept on it must not keep a replaced value alive)."""

    source: ReadSource
    key: Hashable
    version: int

    def still_holds(self) -> bool:
        return self.source.holds(self.key, self.version)


@dataclass(slots=True)
class ReadSet:
    """The cache entries one request read, and whether it read anything else."""

    reads: dict[Hashable, Read] = field(default_factory=dict)
    tainted: str | None = None
    """Why the answer may not be kept (e.g. ``"stale"``); None while it may."""

    def add(self, source: ReadSource, key: Hashable, version: int) -> None:
        known = self.reads.get(key)
        if known is not None and known.version != version:
            # The entry changed while the request ran: the answer mixes two versions.
            self.tainted = "an entry it read changed while it ran"
        self.reads[key] = Read(source, key, version)

    def __iter__(self) -> Iterator[Read]:
        return iter(self.reads.values())

    def __len__(self) -> int:
        return len(self.reads)


current_reads: RequestVar[ReadSet] = RequestVar("schoolgraph_current_reads")
"""The request's `ReadSet` (let go of by every copy of the context once reset)."""
_accounted: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "schoolgraph_upstream_calls_accounted", default=False
)
"""True in a cache load (its calls become a cache entry, which is recorded) and while
fetching credentials (a token is not data an answer shows)."""


def record_read(source: ReadSource, key: Hashable, version: int) -> None:
    """Note that the current request read the `version` of `key`'s value."""
    reads = current_reads.get()
    if reads is not None:
        reads.add(source, key, version)


def taint(reason: str) -> None:
    """Note that the current request read something no cache entry stands for."""
    reads = current_reads.get()
    if reads is not None and reads.tainted is None:
        reads.tainted = reason


def cache_loading() -> contextvars.Token[bool]:
    """Mark the current task as a cache load (its upstream reads become an entry)."""
    return _accounted.set(True)


@contextlib.contextmanager
def fetching_credentials() -> Iterator[None]:
    """Upstream calls made inside are for a token, not for data an answer shows."""
    token = _accounted.set(True)
    try:
        yield
    finally:
        _accounted.reset(token)


def calls_accounted() -> bool:
    """Whether an upstream call made now is a cache load's or a credential fetch."""
    return _accounted.get()
