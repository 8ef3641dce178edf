"""Token lifecycles shared by the upstreams' `auth.py`: cached, renewed ahead, single flight.

A `TokenSlot` holds one credential's token. `get()` returns it while it has more than
`renew_ahead` seconds left; otherwise one caller fetches a new one (or refreshes it, when the
fetch function uses the previous token's refresh token) and every concurrent caller awaits
that same fetch. `get(force=True)` after a 401 replaces the token exactly once per 401 wave:
callers that present the token that was rejected share one renewal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: float | None = None  # monotonic seconds; None = never expires
    refresh_token: str | None = None

    def __repr__(self) -> str:  # never print a secret, even in a debugger or a log
        refreshable = self.refresh_token is not None
        return f"Token(expires_at={self.expires_at!r}, refreshable={refreshable})"


FetchToken = Callable[[Token | None], Awaitable[Token]]


class TokenSlot:
    """One cached token with single-flight renewal."""

    def __init__(
        self,
        fetch: FetchToken,
        *,
        renew_ahead: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._renew_ahead = renew_ahead
        self._clock = clock
        self._token: Token | None = None
        self._pending: asyncio.Future[Token] | None = None
        self.fetches = 0

    @property
    def token(self) -> Token | None:
        return self._token

    def _usable(self, token: Token | None) -> bool:
        if token is None:
            return False
        return token.expires_at is None or token.expires_at - self._clock() > self._renew_ahead

    async def get(self, *, force: bool = False, rejected: str | None = None) -> Token:
        """The current token, renewing it when close to expiry or when `force` is set.

        Args:
            force: renew even if the token looks valid (the upstream answered 401).
            rejected: the token value the upstream rejected; if the slot already holds a
                different one, another caller renewed it and no second renewal happens.
        """
        current = self._token
        if force and rejected is not None and current is not None and current.value != rejected:
            return current
        if not force and current is not None and self._usable(current):
            return current
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._renew(current))
        return await asyncio.shield(self._pending)

    async def _renew(self, previous: Token | None) -> Token:
        try:
            self.fetches += 1
            token = await self._fetch(previous)
            self._token = token
            return token
        finally:
            self._pending = None

    def clear(self) -> None:
        self._token = None
