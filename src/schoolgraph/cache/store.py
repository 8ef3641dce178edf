"""The cross-request cache behind the upstream clients, keyed on ETags and row hashes.

Entries live in a cachetools `TLRUCache` bounded by a byte budget (each entry's size is the
size of the upstream body it was parsed from) and by an entry count. Each entry has its own
freshness (`ttl`, per resource) and is kept for `stale_for` seconds after it goes stale, so
it can still be revalidated (an ETag `If-None-Match`, an Xporter change set, a TASS
`update_on` filter) or served when the upstream fails (stale-if-error).

Keys are `CacheKey(upstream, tenant, resource)`: the tenant (school, company, organisation,
or the credential that scopes visibility) is part of every key, so one tenant's data can
never answer another tenant's request.

The cache never sees HTTP: a client passes a `load` function that receives the previous
entry (or None) and returns a `Refresh`: new data, or "not modified" (the parsed value is
reused as is, without re-parsing), or a merged value built from a change set.

Every entry handed out is recorded in the current request's `reads.ReadSet` (the answer
cache's dependencies): an entry is replaced, never changed in place, when its content
changes, so "the same value object, still fresh" means "unchanged".

**Refresh ahead** (``refresh_ahead``, a fraction of each entry's freshness): an entry read
in the last part of its freshness (fetched, or checked by the answer cache for a kept
answer, `holds`) is handed out as it is, and revalidated in the background at the same time,
so a key read steadily never makes a request wait for its revalidation. The background load
belongs to no request (it runs in a context of its own: no request's deadline, call log or
read set), and it is the entry's one load (a fetch after the entry went stale meanwhile
waits for it instead of starting another). Nothing is served past its freshness because of
it. It costs some upstream requests: a key read steadily is revalidated every (1 -
refresh_ahead) to 1 of its freshness periods rather than once each, at most a third more
often with 0.25. A background load that fails because its upstream is unavailable leaves the
entry as it was and is not tried again ahead (the next request after it goes stale tries
again, and serves it stale if that fails too); one that fails for any other reason (a
withdrawn authorisation, a bad answer) ends the entry's freshness, so that the next request
revalidates it and meets the error where the client handles it.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from cachetools import TLRUCache

from ..errors import UpstreamError
from ..execution_slots import waiting_upstream
from ..upstreams.http import CacheOutcome, UpstreamCall, record_call, retrieve_when_done
from .reads import cache_loading, record_read, taint

V = TypeVar("V")

logger = logging.getLogger(__name__)


class CacheKey(NamedTuple):
    upstream: str
    tenant: str
    resource: str  # route template plus normalised parameters


@dataclass(slots=True)
class CacheEntry(Generic[V]):
    value: V
    size: int  # bytes of the upstream body it came from
    fresh_until: float  # monotonic
    expires_at: float  # monotonic; kept until then for revalidation and stale-if-error
    etag: str | None = None
    token: str | None = None  # change-set token or update-on watermark
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. row hashes per id
    reload: Reload[V] | None = None
    """How the entry was loaded, to revalidate it ahead of its end (set by `fetch`)."""
    version: int = 0
    """Which value the key holds: a new value, a new version; a renewal of the same value
    (a 304, a change set with no change) keeps it. What the answer cache remembers of each
    entry an answer read, rather than the value itself: a kept answer must not hold a
    replaced list alive (it did, some hundred megabytes beyond the answer cache's budget)."""


@dataclass(frozen=True, slots=True)
class Reload(Generic[V]):
    """The `fetch` arguments an entry was loaded with: what revalidating it again takes."""

    load: Callable[[CacheEntry[V] | None], Awaitable[Refresh[V]]]
    ttl: float
    route: str


@dataclass(frozen=True, slots=True)
class Refresh(Generic[V]):
    """What a `load` function found: new data, or that the cached value still holds."""

    value: V | None = None
    not_modified: bool = False
    size: int = 0
    etag: str | None = None
    token: str | None = None
    meta: dict[str, Any] | None = None
    outcome: Literal["miss", "revalidated"] = "miss"

    @classmethod
    def unchanged(cls) -> Refresh[V]:
        return cls(not_modified=True, outcome="revalidated")


@dataclass(frozen=True, slots=True)
class Cached(Generic[V]):
    value: V
    outcome: CacheOutcome
    stale: bool = False
    entry: CacheEntry[V] | None = None
    """The entry the value came from (None when stale: an answer built on it is not kept)."""


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    revalidated: int = 0
    stale: int = 0
    evictions: int = 0
    refreshed_ahead: int = 0
    """Background revalidations started by a read in the last part of an entry's freshness
    (each also counts under `revalidated` or `misses` when it completes)."""

    def as_json(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "revalidated": self.revalidated,
            "stale": self.stale,
            "evictions": self.evictions,
            "refreshed_ahead": self.refreshed_ahead,
        }


class UpstreamCache:
    """Bounded, tenant-scoped, TTL-per-resource cache with revalidation and stale-if-error.

    ``max_entries=0`` keeps nothing: every fetch loads (concurrent fetches of one key still
    share one load), the baseline ``schoolgraph bench --no-cache`` measures.

    ``refresh_ahead`` is the last fraction of an entry's freshness in which a read also
    revalidates it in the background (0, the default here, never does; the gateway sets
    ``SCHOOLGRAPH_CACHE_REFRESH_AHEAD``). `settle` waits for those loads, `close` stops them.
    """

    def __init__(
        self,
        *,
        max_entries: int = 20_000,
        max_bytes: int = 256 * 1024 * 1024,
        stale_for: float = 3600.0,
        refresh_ahead: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0.0 <= refresh_ahead < 1.0:
            raise ValueError(f"refresh_ahead must be at least 0 and below 1, got {refresh_ahead}.")
        self.max_entries = max_entries
        self.stale_for = stale_for
        self.refresh_ahead = refresh_ahead
        self.stats = CacheStats()
        self._clock = clock
        self._entries: TLRUCache[CacheKey, CacheEntry[Any]] = TLRUCache(
            maxsize=max_bytes,
            ttu=lambda _key, entry, _now: entry.expires_at,
            timer=clock,
            getsizeof=lambda entry: max(1, entry.size),
        )
        self._loading: dict[CacheKey, asyncio.Future[Cached[Any]]] = {}
        self._ahead: set[asyncio.Task[Cached[Any]]] = set()
        self._outdated: weakref.WeakSet[asyncio.Future[Any]] = weakref.WeakSet()
        self._versions = itertools.count(1)
        """Keys evicted while a load of them was under way: that load's result is not kept."""

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return int(self._entries.currsize)

    def peek(self, key: CacheKey) -> CacheEntry[Any] | None:
        return self._entries.get(key)

    def fresh(self, key: CacheKey) -> bool:
        """Whether `fetch(key, ...)` would answer now from the cache, without a load."""
        entry = self._entries.get(key)
        return entry is not None and entry.fresh_until > self._clock()

    def holds(self, key: Hashable, version: int) -> bool:
        """Whether `key` still holds the value it handed out as `version`, and it is fresh.

        What the answer cache asks of each dependency of a kept answer. Values are immutable
        and a change of content is always a new value, so the same version means the same
        content (a revalidation that found nothing new keeps the value and its version, and so
        the answer). A kept answer is served without fetching, so this is also where a
        dependency read late in its freshness is revalidated ahead (see the module).
        """
        if not isinstance(key, CacheKey):
            return False
        found = self._entries.get(key)
        if found is None or found.version != version:
            return False
        now = self._clock()
        if found.fresh_until <= now:
            return False
        self._ahead_if_due(key, found, now)
        return True

    def put(
        self,
        key: CacheKey,
        value: V,
        *,
        ttl: float,
        size: int,
        etag: str | None = None,
        token: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> CacheEntry[V]:
        now = self._clock()
        held = self._entries.get(key)
        version = held.version if held is not None and held.value is value else next(self._versions)
        entry = CacheEntry(
            value, size, now + ttl, now + ttl + self.stale_for, etag, token, meta or {}
        )
        entry.version = version
        if entry.size > self._entries.maxsize or self.max_entries == 0:
            return entry  # larger than the whole budget, or no cache: serve it, do not keep it
        self._entries[key] = entry
        while len(self._entries) > self.max_entries:
            self._entries.popitem()
            self.stats.evictions += 1
        return entry

    def evict(
        self, upstream: str, *, tenant: str | None = None, resource_prefix: str | None = None
    ) -> int:
        """Drop entries a write or webhook made wrong; return how many were dropped.

        A load of one of those keys already under way (a request's, or a revalidation ahead)
        may have read the upstream before the write landed: what it brings back is handed to
        whoever already waits for it, but not kept, and a fetch that starts after the evict
        does not join it: it starts a load of its own, which reads after the write.
        """

        def wrong(key: CacheKey) -> bool:
            return (
                key.upstream == upstream
                and (tenant is None or key.tenant == tenant)
                and (resource_prefix is None or key.resource.startswith(resource_prefix))
            )

        doomed = [key for key in list(self._entries.keys()) if wrong(key)]
        for key in doomed:
            self._entries.pop(key, None)
        self._outdate([key for key in self._loading if wrong(key)])
        return len(doomed)

    def clear(self) -> None:
        self._entries.clear()
        self._outdate(list(self._loading))

    def _outdate(self, keys: list[CacheKey]) -> None:
        """Mark the loads of ``keys`` under way as not to be kept, and stop handing them to
        new fetches."""
        for key in keys:
            self._outdated.add(self._loading.pop(key))

    async def fetch(
        self,
        key: CacheKey,
        load: Callable[[CacheEntry[V] | None], Awaitable[Refresh[V]]],
        *,
        ttl: float,
        route: str,
    ) -> Cached[V]:
        """The value for `key`: fresh from the cache, revalidated, loaded, or stale on error.

        Concurrent fetches of one key share one load.
        """
        entry: CacheEntry[V] | None = self._entries.get(key)
        now = self._clock()
        if entry is not None and entry.fresh_until > now:
            self.stats.hits += 1
            record_call(UpstreamCall(key.upstream, "GET", route, None, 0.0, "hit"))
            record_read(self, key, entry.version)
            self._ahead_if_due(key, entry, now)
            return Cached(entry.value, "hit", entry=entry)
        task = self._loading.get(key)
        if task is None:
            task = self._start_load(
                key, asyncio.ensure_future(self._refresh(key, entry, load, ttl=ttl, route=route))
            )
            retrieve_when_done(task, f"load of a {key.upstream} {route} entry")
        # Recorded here, in the caller's context: a load shared by several requests is a
        # dependency of each of their answers.
        async with waiting_upstream():  # no place among operations executed at once
            result: Cached[V] = await asyncio.shield(task)
        if result.entry is None:
            taint(f"a {result.outcome} read of {key.upstream}")
        else:
            record_read(self, key, result.entry.version)
        return result

    async def settle(self) -> None:
        """Wait for the background revalidations under way (their failures are logged)."""
        while self._ahead:
            await asyncio.wait(set(self._ahead))

    async def close(self) -> None:
        """Stop the background revalidations and the loads under way (before the clients
        close). It runs once the server has drained, so a load still running is one every
        request gave up on (a hung upstream, a request cut short): left to run, it would end
        against a closed client."""
        under_way = [*self._loading.values(), *self._outdated]
        doomed = set(self._ahead) | {task for task in under_way if not task.done()}
        for task in doomed:
            task.cancel()
        if doomed:
            await asyncio.wait(doomed)

    def _start_load(
        self, key: CacheKey, task: asyncio.Future[Cached[V]]
    ) -> asyncio.Future[Cached[V]]:
        """Make ``task`` the load of ``key`` that every fetch of it waits for until it ends."""
        self._loading[key] = task

        def forget(_: asyncio.Future[Cached[V]]) -> None:
            if self._loading.get(key) is task:
                del self._loading[key]

        task.add_done_callback(forget)
        return task

    def _ahead_if_due(self, key: CacheKey, entry: CacheEntry[V], now: float) -> None:
        """Revalidate a fresh entry in the background if it is in the last `refresh_ahead` of
        its freshness and no load of it is under way."""
        reload = entry.reload
        if (
            not self.refresh_ahead
            or reload is None
            or entry.fresh_until - now > reload.ttl * self.refresh_ahead
            or key in self._loading
        ):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # asked outside the event loop: nothing to run it on
            return
        # One attempt ahead per freshness period: a revalidation that succeeds gives the
        # entry (or its successor) its `reload` again; one whose upstream was unavailable
        # does not, so a failing upstream is not asked again on every later read.
        entry.reload = None
        self.stats.refreshed_ahead += 1
        route = reload.route
        task = loop.create_task(
            self._refresh(key, entry, reload.load, ttl=reload.ttl, route=route),
            context=contextvars.Context(),
        )
        self._start_load(key, task)
        self._ahead.add(task)

        def done(finished: asyncio.Task[Cached[V]]) -> None:
            self._ahead.discard(finished)
            if finished.cancelled():
                return
            error = finished.exception()
            if error is None:
                return
            # Not an unavailable upstream (`_refresh` serves those stale): let the next
            # request revalidate, and meet the error where its client handles it.
            if self._entries.get(key) is entry:
                entry.fresh_until = min(entry.fresh_until, self._clock())
            logger.warning(
                "A background revalidation of a %s %s entry failed (%s); the next read "
                "revalidates it.",
                key.upstream,
                route,
                type(error).__name__,
            )

        task.add_done_callback(done)

    async def _refresh(
        self,
        key: CacheKey,
        entry: CacheEntry[V] | None,
        load: Callable[[CacheEntry[V] | None], Awaitable[Refresh[V]]],
        *,
        ttl: float,
        route: str,
    ) -> Cached[V]:
        cache_loading()  # this task's own context: its upstream reads become this entry
        this_load = asyncio.current_task()
        try:
            refresh = await load(entry)
        except UpstreamError:
            if entry is None:
                raise
            self.stats.stale += 1
            record_call(UpstreamCall(key.upstream, "GET", route, None, 0.0, "stale"))
            return Cached(entry.value, "stale", stale=True)
        if this_load in self._outdated:  # evicted meanwhile: serve what was read, keep nothing
            value = entry.value if refresh.not_modified and entry is not None else refresh.value
            if value is None:
                raise RuntimeError("A load returned neither a value nor 'not modified'.")
            return Cached(value, refresh.outcome)
        if refresh.not_modified:
            if entry is None:
                raise RuntimeError("A load returned 'not modified' without a cached entry.")
            self.stats.revalidated += 1
            now = self._clock()
            entry.fresh_until, entry.expires_at = now + ttl, now + ttl + self.stale_for
            if refresh.token is not None:
                entry.token = refresh.token
            if refresh.meta is not None:
                entry.meta = refresh.meta
            entry.reload = Reload(load, ttl, route)
            self._entries[key] = entry  # re-insert: renews its time-to-use
            return Cached(entry.value, "revalidated", entry=entry)
        if refresh.value is None:
            raise RuntimeError("A load returned neither a value nor 'not modified'.")
        if refresh.outcome == "revalidated":
            self.stats.revalidated += 1
        else:
            self.stats.misses += 1
        kept = self.put(
            key,
            refresh.value,
            ttl=ttl,
            size=refresh.size,
            etag=refresh.etag,
            token=refresh.token,
            meta=refresh.meta,
        )
        kept.reload = Reload(load, ttl, route)
        return Cached(refresh.value, refresh.outcome, entry=kept)
