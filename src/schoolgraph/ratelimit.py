"""Per-account rate limiting: a token bucket per caller, and 429 with ``Retry-After`` past it.

Each key (an account, else a client address) has a bucket of ``burst`` requests that refills
at ``per_minute / 60`` requests a second. A request takes one; a request that finds the
bucket empty is answered at once with HTTP 429, code ``RATE_LIMITED`` and ``Retry-After``
(whole seconds until the bucket holds a request again), and never reaches GraphQL.

The key of a request is a function of it (:data:`KeyFunction`), so a deployment can swap it:
:func:`caller_key` (the default) keys by the authenticated account and falls back to the
client address for requests without one (anonymous demo access, ``POST /auth/token``).
The address is the peer's; behind a reverse proxy every client shares the proxy's address,
so put the limiter there, or key by account only.

The limiter that counted a request is left on it (``request[RATE_LIMIT]``): a WebSocket's
upgrade is counted here once, and each operation sent over the socket then takes one more
request from the same bucket (:mod:`schoolgraph.graph.websocket`), so a socket is no way
around the limit.

Buckets live in an LRU of at most ``max_keys`` keys: a key forgotten there had been idle the
longest, and comes back with a full bucket, which is what idleness would have given it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from cachetools import LRUCache

from schoolgraph.accounts.web import CALLER
from schoolgraph.errors import SchoolgraphError
from schoolgraph.middlewares import error_response

__all__ = [
    "LIMITED_PATHS",
    "RATE_LIMIT",
    "KeyFunction",
    "RateLimit",
    "RateLimitedError",
    "TokenBuckets",
    "address_key",
    "caller_key",
    "rate_limit_middleware",
]

KeyFunction = Callable[[web.Request], str]
"""The bucket a request draws from."""

LIMITED_PATHS = frozenset({"/graphql", "/auth/token"})
"""What the limiter counts: the graph, and the endpoint that checks secrets. Health probes
and the key-share pages are not counted."""


class RateLimitedError(SchoolgraphError):
    """The caller sent more requests than its rate allows.

    Args:
        retry_after: Whole seconds until the caller may send a request again.
    """

    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests; this caller may send another in {retry_after} "
            f"second{'s' if retry_after != 1 else ''}."
        )
        self.retry_after = retry_after

    def to_extensions(self) -> dict[str, object]:
        return {**super().to_extensions(), "retryAfter": self.retry_after}


def address_key(request: web.Request) -> str:
    """The client's address (the TCP peer)."""
    return f"address:{request.remote or 'unknown'}"


def caller_key(request: web.Request) -> str:
    """The authenticated account (``request[CALLER]``), else the client's address."""
    caller = request.get(CALLER)
    if caller is not None and caller.account is not None:
        return f"account:{caller.account}"
    return address_key(request)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per key.

    Args:
        per_minute: Sustained requests a minute per key.
        burst: Requests a key may send at once (the bucket's size).
        max_keys: Most buckets kept; the least recently used goes first.
        clock: Monotonic seconds; tests pass one they move by hand.
    """

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 1 or burst < 1:
            raise ValueError("per_minute and burst must be 1 or more.")
        self.rate = per_minute / 60.0
        self.burst = burst
        self._clock = clock
        self._buckets: LRUCache[str, _Bucket] = LRUCache(maxsize=max_keys)

    def take(self, key: str) -> float:
        """Take one request from ``key``'s bucket: 0.0, or the seconds until one is there."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The buckets a request draws from, and the key that picks its bucket."""

    buckets: TokenBuckets
    key: KeyFunction

    def take(self, request: web.Request) -> RateLimitedError | None:
        """Take one request from ``request``'s bucket: None, or the error refusing it."""
        wait = self.buckets.take(self.key(request))
        if wait <= 0:
            return None
        return RateLimitedError(max(1, math.ceil(wait)))


RATE_LIMIT = web.RequestKey("rate_limit", RateLimit)
"""The limiter that counted a request; absent when rate limiting is off."""


def rate_limit_middleware(
    buckets: TokenBuckets,
    *,
    key: KeyFunction = caller_key,
    paths: Collection[str] = LIMITED_PATHS,
) -> Middleware:
    """A middleware answering 429 to requests to ``paths`` past their key's rate.

    Place it after the authentication middleware, so that :func:`caller_key` sees the caller.
    """

    limiter = RateLimit(buckets, key)

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in paths:
            request[RATE_LIMIT] = limiter
            refused = limiter.take(request)
            if refused is not None:
                return error_response(refused, headers={"Retry-After": str(refused.retry_after)})
        return await handler(request)

    return limit
