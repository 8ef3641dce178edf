"""The per-requester rate limit of tanda.md §3.1.

200 requests per minute per requester (a password-token user, or an OAuth app + user pair);
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix time the window
resets) on every response, and on the 429 also `X-RateLimit-RateLimited: true`. The doc is
silent on the window kind; the Reset header implies a fixed window, which starts with a
requester's first request. Every API request counts, 304s included (doc-silent). API
requests that carry no valid token are counted per client address, so they get the headers
too. The OAuth endpoints are not "the API": they are not counted, but still report the
client address's window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

WINDOW_SECONDS = 60
DEFAULT_LIMIT = 200  # tanda.md §3.1


@dataclass(slots=True)
class _Window:
    start: int
    count: int


@dataclass(frozen=True, slots=True)
class RateState:
    limit: int
    remaining: int
    reset: int
    limited: bool

    def apply(self, response: web.StreamResponse) -> None:
        response.headers["X-RateLimit-Limit"] = str(self.limit)
        response.headers["X-RateLimit-Remaining"] = str(self.remaining)
        response.headers["X-RateLimit-Reset"] = str(self.reset)
        if self.limited:
            response.headers["X-RateLimit-RateLimited"] = "true"


class RateLimiter:
    """Fixed one-minute windows per requester key."""

    def __init__(self, clock: Callable[[], datetime], limit: Callable[[], int]) -> None:
        self._clock = clock
        self._limit = limit
        self._windows: dict[tuple[object, ...], _Window] = {}

    def clear(self) -> None:
        self._windows.clear()

    def peek(self, key: tuple[object, ...]) -> RateState:
        """The state of `key`'s window without counting a request."""
        now = int(self._clock().timestamp())
        limit = self._limit()
        window = self._windows.get(key)
        if window is None or now >= window.start + WINDOW_SECONDS:
            return RateState(limit, limit, now + WINDOW_SECONDS, False)
        return RateState(limit, max(limit - window.count, 0), window.start + WINDOW_SECONDS, False)

    def hit(self, key: tuple[object, ...]) -> RateState:
        """Count one request for `key`; `limited` says it must be refused with 429."""
        now = int(self._clock().timestamp())
        limit = self._limit()
        window = self._windows.get(key)
        if window is None or now >= window.start + WINDOW_SECONDS:
            window = self._windows[key] = _Window(now, 0)
        reset = window.start + WINDOW_SECONDS
        if window.count >= limit:
            return RateState(limit, 0, reset, True)
        window.count += 1
        return RateState(limit, limit - window.count, reset, False)
