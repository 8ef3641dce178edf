"""The transport policy every upstream client shares.

One `Transport` per upstream owns one `aiohttp.ClientSession` (connection pool, connect and
read timeouts) and applies, in this order, to every request:

1. the circuit breaker (an open circuit fails in microseconds with UPSTREAM_UNAVAILABLE);
2. single flight (concurrent identical GETs share one request and its answer);
3. the rate limiter of the requester (queues until a slot is free; never fails);
4. authentication (`Auth.headers()`; a 401 forces exactly one re-authentication and retry);
5. the request, bounded by the caller's deadline (`deadline()`), retried with exponential
   backoff and full jitter on connection errors, timeouts and 502/503/504 when idempotent;
   a 429 waits until the upstream's reset and tries again while the deadline allows;
6. error mapping, once, into the error tree (`errors.py`), each error naming the upstream.

Every attempt is recorded as an `UpstreamCall` in the current request's `CallLog` (a context
variable the gateway sets per request), for explain output, metrics and the audit log.
When the app traces (`observability/tracing.py`), each attempt is also an OpenTelemetry client
span, whose context goes upstream in `traceparent`.
Nothing here logs URLs with query strings, headers or bodies: they can hold tokens and
personal data.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json as json_module
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

import aiohttp
import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from ..cache.reads import calls_accounted, taint
from ..errors import (
    UpstreamAuthError,
    UpstreamBadResponseError,
    UpstreamError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from ..execution_slots import waiting_upstream
from ..observability.tracing import trace_cached_read, upstream_span
from ..request_var import RequestVar
from .off_loop import DECODE_OFF_LOOP_BYTES, off_loop

T = TypeVar("T")
# "shared": the request joined an identical one already in flight (single flight).
CacheOutcome = Literal["miss", "hit", "revalidated", "stale", "bypass", "shared"]
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
EXACT_WHOLE_FLOAT = 2.0**53
"""Whole floats up to this are exact integers. Past it a whole float may be a rounded integer
(`UpstreamResponse.json` reads an integer beyond 64 bits as a float), so the parsers take it
for neither a whole number nor an id."""

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- call log


@dataclass(slots=True)
class UpstreamCall:
    """One HTTP attempt to an upstream, as explain output and the audit log show it."""

    upstream: str
    method: str
    route: str  # the route template, never the concrete URL
    status: int | None  # None when no response arrived
    ms: float
    cache: CacheOutcome = "miss"
    attempt: int = 1
    error: str | None = None  # error code when the attempt failed

    def as_json(self) -> dict[str, Any]:
        return {
            "upstream": self.upstream,
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "ms": round(self.ms, 2),
            "cache": self.cache,
            "attempt": self.attempt,
            "error": self.error,
        }


@dataclass(slots=True)
class CallLog:
    """The upstream calls one gateway request caused, including cache answers."""

    calls: list[UpstreamCall] = field(default_factory=list)

    def add(self, call: UpstreamCall) -> None:
        self.calls.append(call)

    def totals(self) -> dict[str, Any]:
        network = [c for c in self.calls if c.cache in ("miss", "revalidated", "bypass")]
        return {
            "requests": len(network),
            "cacheHits": sum(c.cache == "hit" for c in self.calls),
            "shared": sum(c.cache == "shared" for c in self.calls),
            "revalidated": sum(c.cache == "revalidated" or c.status == 304 for c in self.calls),
            "stale": sum(c.cache == "stale" for c in self.calls),
            "ms": round(sum(c.ms for c in network), 2),
        }


current_call_log: RequestVar[CallLog] = RequestVar("schoolgraph_call_log")
"""The request's `CallLog` (let go of by every copy of the context once reset)."""
_current_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "schoolgraph_deadline", default=None
)


def record_call(call: UpstreamCall) -> None:
    log = current_call_log.get()
    if log is not None:
        log.add(call)
    if call.cache in ("hit", "stale", "shared"):
        trace_cached_read(call.upstream, call.route, call.cache)


def set_deadline(seconds_from_now: float | None) -> contextvars.Token[float | None]:
    """Bound every upstream call made in this context (the gateway sets it per request)."""
    value = None if seconds_from_now is None else time.monotonic() + seconds_from_now
    return _current_deadline.set(value)


def deadline() -> float | None:
    """The monotonic time by which the current request must be answered, if any."""
    return _current_deadline.get()


def retrieve_when_done(task: asyncio.Future[Any], what: str) -> None:
    """Retrieve the outcome of a task that callers share through ``asyncio.shield``.

    A caller that gives up on a shared task (its deadline passed, its request was cancelled)
    leaves the task running, and asyncio's shield then drops its own callback, so when the
    task fails later nobody retrieves the exception and asyncio logs "Task exception was
    never retrieved" at ERROR for what is an ordinary, handled upstream failure. Our own
    errors (``UpstreamError``) are what callers expect from such a task: dropped here.
    Anything else is a bug, logged once at WARNING by its type only (its message may quote
    upstream data); callers still waiting get it as before.

    Args:
        task: The shared task.
        what: What it does, for the warning ("tanda GET /api/v2/users").
    """

    def retrieve(finished: asyncio.Future[Any]) -> None:
        if finished.cancelled():
            return
        error = finished.exception()
        if error is None or isinstance(error, UpstreamError):
            return
        logger.warning("A shared %s ended with an unexpected %s.", what, type(error).__name__)

    task.add_done_callback(retrieve)


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3  # total tries, first included
    base_delay: float = 0.05  # seconds; doubled per retry, full jitter
    max_delay: float = 2.0


@dataclass(frozen=True, slots=True)
class TransportPolicy:
    connect_timeout: float = 3.0
    read_timeout: float = 15.0
    pool_size: int = 64
    retry: RetryPolicy = RetryPolicy()
    breaker_failures: int = 5  # consecutive failures that open the circuit
    breaker_reset: float = 5.0  # seconds the circuit stays open before a probe
    max_rate_limit_wait: float = 60.0  # never wait longer than this for a 429 reset
    max_rate_limit_waits: int = 3  # 429s waited out per request before giving up
    user_agent: str = "schoolgraph"


# --------------------------------------------------------------------------- rate limiting


class RateLimiter:
    """A sliding-window limiter per requester that queues instead of failing.

    It keeps at most `limit` request starts in any `period` seconds per requester, adopts the
    upstream's own view (`X-RateLimit-Remaining` / `Reset`) when it is stricter, and after a
    429 holds every request of that requester until the reset.
    """

    def __init__(self, limit: int, period: float = 60.0, *, margin: int = 0) -> None:
        self.limit = max(1, limit - margin)
        self.period = period
        self._starts: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def acquire(self, requester: str) -> float:
        """Wait for a slot; return the seconds spent waiting."""
        lock = self._locks.setdefault(requester, asyncio.Lock())
        arrived = time.monotonic()
        async with lock:  # FIFO: waiters are served in arrival order
            starts = self._starts.setdefault(requester, deque())
            while True:
                now = time.monotonic()
                blocked = self._blocked_until.get(requester, 0.0)
                while starts and starts[0] <= now - self.period:
                    starts.popleft()
                if blocked > now:
                    pause = blocked - now
                elif len(starts) >= self.limit:
                    pause = starts[0] + self.period - now
                else:
                    starts.append(now)
                    return now - arrived
                await asyncio.sleep(pause)

    def observe(self, requester: str, headers: Mapping[str, str]) -> None:
        """Adopt the upstream's `X-RateLimit-Remaining` / `X-RateLimit-Reset` (unix seconds)."""
        remaining, reset = headers.get("X-RateLimit-Remaining"), headers.get("X-RateLimit-Reset")
        if remaining is None or reset is None:
            return
        try:
            left, reset_at = int(remaining), float(reset)
        except ValueError:
            return
        if left <= 0:
            self.block_until(requester, reset_at)

    def blocked_for(self, requester: str) -> float:
        """Seconds the requester is still held after a 429 or an exhausted remaining count."""
        return max(0.0, self._blocked_until.get(requester, 0.0) - time.monotonic())

    def block_until(self, requester: str, unix_time: float) -> float:
        """Hold the requester until `unix_time` (capped); return the wait in seconds."""
        wait = max(0.0, unix_time - time.time())
        self._blocked_until[requester] = max(
            self._blocked_until.get(requester, 0.0), time.monotonic() + wait
        )
        return wait


# --------------------------------------------------------------------------- circuit breaker


class CircuitBreaker:
    """Closed -> open after `failures` consecutive failures -> half-open after `reset` seconds.

    In half-open state one probe request is let through; its success closes the circuit, its
    failure opens it again. The probe holds a ticket: its own further attempts (after a 401
    or a 429, which say nothing of the upstream's health) pass with it, and a probe that
    ends without a verdict (cancelled, or refused on our side) gives the turn to the next
    request (`abandon`) instead of holding the circuit half-open for good.
    """

    def __init__(self, upstream: str, failures: int, reset: float) -> None:
        self.upstream = upstream
        self.failures = failures
        self.reset = reset
        self.state: Literal["closed", "open", "half-open"] = "closed"
        self._consecutive = 0
        self._opened_at = 0.0
        self._probe: int | None = None  # the ticket of the probe in flight
        self._tickets = 0
        self.opened = 0  # times the circuit opened, for metrics

    def before(self, ticket: int | None = None) -> int | None:
        """Let a request through, or raise while the circuit is open.

        Returns the probe's ticket when this request is the half-open probe (None
        otherwise); the probe passes it back on its next attempt, and to `abandon` when it
        is over.
        """
        if self.state == "closed":
            return None
        now = time.monotonic()
        if self.state == "open" and now - self._opened_at >= self.reset:
            self.state = "half-open"
        if self.state == "half-open":
            if self._probe is None:
                self._tickets += 1
                self._probe = self._tickets
                return self._probe
            if ticket is not None and ticket == self._probe:
                return ticket
        raise UpstreamUnavailableError(
            f"The {self.upstream} upstream is failing; requests are paused for up to "
            f"{self.reset:g} seconds before the next probe.",
            upstream=self.upstream,
        )

    def success(self) -> None:
        self.state, self._consecutive, self._probe = "closed", 0, None

    def failure(self) -> None:
        self._consecutive += 1
        if self.state == "half-open" or self._consecutive >= self.failures:
            if self.state != "open":
                self.opened += 1
            self.state, self._opened_at = "open", time.monotonic()
        self._probe = None

    def abandon(self, ticket: int | None) -> None:
        """The probe with `ticket` is over without a verdict: the next request probes."""
        if ticket is not None and ticket == self._probe:
            self._probe = None


# --------------------------------------------------------------------------- auth hook


class Auth(Protocol):
    """What a transport needs from an upstream's auth lifecycle (`upstreams/<name>/auth.py`)."""

    async def headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        """Headers that authenticate one request; `force_refresh` after a 401."""
        ...


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    upstream: str
    route: str
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON (None when empty); an unreadable body is an UPSTREAM_BAD_RESPONSE.

        orjson reads every well-formed body. What it refuses goes to the stdlib reader, which
        the gateway used before and which is lenient where orjson is strict (NaN and Infinity,
        a UTF-8 byte order mark, UTF-16 or UTF-32 bodies, lone surrogate escapes), so a body
        read before is read still; what neither reads is a bad response. One difference
        remains: orjson reads an integer beyond 64 bits as the nearest float
        (`EXACT_WHOLE_FLOAT`).
        """
        if not self.body:
            return None
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            pass
        try:
            return json_module.loads(self.body)
        except (ValueError, RecursionError) as exc:  # nested past the decoder's depth limit
            raise UpstreamBadResponseError(
                f"The {self.upstream} upstream answered {self.route} with a body that is not "
                "valid JSON.",
                upstream=self.upstream,
            ) from exc

    async def parsed(self) -> Any:
        """`json`, on a worker thread when the body is a megabyte or more (`upstreams.off_loop`)."""
        return await off_loop(len(self.body), self.json, threshold=DECODE_OFF_LOOP_BYTES)


# --------------------------------------------------------------------------- transport


class Transport:
    """HTTP to one upstream with the policy above. Open with `start()`, close with `close()`."""

    def __init__(
        self,
        upstream: str,
        base_url: str,
        *,
        policy: TransportPolicy | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.upstream = upstream
        self.base_url = base_url.rstrip("/")
        self.policy = policy or TransportPolicy()
        self.limiter = limiter
        self.breaker = CircuitBreaker(
            upstream, self.policy.breaker_failures, self.policy.breaker_reset
        )
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._in_flight: dict[tuple[Any, ...], asyncio.Future[UpstreamResponse]] = {}
        self._rng = random.SystemRandom()  # jitter only; SystemRandom keeps linters quiet

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self.policy.pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=self.policy.connect_timeout, sock_read=self.policy.read_timeout
                ),
                headers={"User-Agent": self.policy.user_agent, "Accept": "application/json"},
                raise_for_status=False,
            )

    async def close(self) -> None:
        """Stop the shared sends under way, then close the session.

        Called once the server has drained, when no caller waits for a shared send any
        more; left running, one would go on against the closed session (or wait out a hung
        upstream) and end in an error nobody handles.
        """
        pending = [task for task in self._in_flight.values() if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError(f"The {self.upstream} transport is not started.")
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        route: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        auth: Auth | None = None,
        requester: str = "default",
        idempotent: bool | None = None,
        deadline_at: float | None = None,
        ok_statuses: frozenset[int] = frozenset(),
    ) -> UpstreamResponse:
        """Send one logical request and return the final response.

        Args:
            method: HTTP method.
            path: path under the base URL (`/api/v2/users`) or an absolute URL.
            route: the route template for logs and stats (`/api/v2/users/{id}`).
            params: query parameters.
            headers: extra headers (`If-None-Match`, ...).
            json: a JSON body.
            data: a form or raw body.
            auth: the upstream's auth lifecycle; None for unauthenticated calls (token calls).
            requester: the rate-limit bucket (Tanda counts per user and per token).
            idempotent: whether retries are safe; by default, from the method.
            deadline_at: a monotonic deadline; by default the context's `deadline()`.
            ok_statuses: statuses the caller handles itself (e.g. 404, 304) instead of errors.

        Raises:
            UpstreamError: one of its subclasses, naming this upstream.
        """
        method = method.upper()
        if not calls_accounted():
            # What this call returns is in no cache entry: an answer built on it cannot be
            # kept by the answer cache, which checks only cache entries.
            taint(f"{self.upstream} {route}, outside the upstream cache")
        key: tuple[Any, ...] | None = None
        if method == "GET" and json is None and data is None:
            key = (
                path,
                tuple(sorted((params or {}).items())),
                tuple(sorted((headers or {}).items())),
                requester,
            )
            shared = self._in_flight.get(key)
            if shared is not None:
                started = time.monotonic()
                async with waiting_upstream():
                    response = await asyncio.shield(shared)
                record_call(
                    UpstreamCall(
                        self.upstream,
                        method,
                        route,
                        response.status,
                        (time.monotonic() - started) * 1000,
                        "shared",
                    )
                )
                return response
        task = asyncio.ensure_future(
            self._send(
                method,
                path,
                route=route,
                params=params,
                headers=headers,
                json=json,
                data=data,
                auth=auth,
                requester=requester,
                idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
                deadline_at=deadline() if deadline_at is None else deadline_at,
                ok_statuses=ok_statuses,
            )
        )
        if key is None:
            async with waiting_upstream():
                return await task
        self._in_flight[key] = task
        retrieve_when_done(task, f"{self.upstream} {method} {route}")
        flight_key = key

        def forget(_: asyncio.Future[UpstreamResponse]) -> None:
            self._in_flight.pop(flight_key, None)

        task.add_done_callback(forget)
        async with waiting_upstream():
            return await asyncio.shield(task)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        route: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        json: Any,
        data: Any,
        auth: Auth | None,
        requester: str,
        idempotent: bool,
        deadline_at: float | None,
        ok_statuses: frozenset[int],
    ) -> UpstreamResponse:
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        retry = self.policy.retry
        attempt = 0
        rate_limit_waits = 0
        reauthenticated = False
        ticket: int | None = None  # held while this request is the half-open probe
        try:
            while True:
                attempt += 1
                ticket = self.breaker.before(ticket)
                if self.limiter is not None:
                    self._fail_if_held_past(deadline_at, requester, route)
                    await self._within_deadline(self.limiter.acquire(requester), deadline_at, route)
                request_headers = CIMultiDict(headers or {})
                if auth is not None:
                    request_headers.update(
                        await auth.headers(force_refresh=reauthenticated and attempt > 1)
                    )
                started = time.monotonic()
                try:
                    response = await self._within_deadline(
                        self._once(method, url, route, params, request_headers, json, data),
                        deadline_at,
                        route,
                    )
                except UpstreamTimeoutError:
                    self._record(method, route, None, started, attempt, "UPSTREAM_TIMEOUT")
                    self.breaker.failure()
                    if idempotent and attempt < retry.attempts and self._has_time(deadline_at):
                        await self._backoff(attempt, deadline_at)
                        continue
                    raise
                except aiohttp.ClientError as exc:
                    self._record(method, route, None, started, attempt, "UPSTREAM_UNAVAILABLE")
                    self.breaker.failure()
                    if idempotent and attempt < retry.attempts and self._has_time(deadline_at):
                        await self._backoff(attempt, deadline_at)
                        continue
                    raise UpstreamUnavailableError(
                        f"The {self.upstream} upstream could not be reached for {route} "
                        f"({type(exc).__name__}).",
                        upstream=self.upstream,
                    ) from None
                status = response.status
                if self.limiter is not None:
                    self.limiter.observe(requester, response.headers)
                if status in ok_statuses or status < 400:
                    self._record(method, route, status, started, attempt, None)
                    self.breaker.success()
                    return response
                if status == 401 and auth is not None and not reauthenticated:
                    self._record(method, route, status, started, attempt, "UPSTREAM_AUTH_FAILED")
                    reauthenticated = True
                    continue
                if status == 429:
                    self._record(method, route, status, started, attempt, "UPSTREAM_RATE_LIMITED")
                    wait = self._rate_limit_wait(response, requester)
                    left = self._time_left(deadline_at)
                    if (
                        rate_limit_waits < self.policy.max_rate_limit_waits
                        and wait <= self.policy.max_rate_limit_wait
                        and (left is None or wait < left)
                    ):
                        await self._sleep(wait)
                        rate_limit_waits += 1
                        attempt -= 1  # waiting out a 429 is not a failed attempt
                        continue
                    raise UpstreamRateLimitedError(
                        f"The {self.upstream} upstream is rate limiting {route}; it asked us to "
                        f"wait {wait:.0f} seconds.",
                        upstream=self.upstream,
                        retry_after=round(wait, 1),
                    )
                if status in RETRY_STATUSES or status >= 500:
                    self._record(method, route, status, started, attempt, "UPSTREAM_UNAVAILABLE")
                    self.breaker.failure()
                    if (
                        idempotent
                        and status in RETRY_STATUSES
                        and attempt < retry.attempts
                        and self._has_time(deadline_at)
                    ):
                        await self._backoff(attempt, deadline_at)
                        continue
                    raise UpstreamUnavailableError(
                        f"The {self.upstream} upstream answered {route} with HTTP {status}.",
                        upstream=self.upstream,
                    )
                self.breaker.success()  # the upstream is alive; the request itself was refused
                if status in (401, 403):
                    self._record(method, route, status, started, attempt, "UPSTREAM_AUTH_FAILED")
                    raise UpstreamAuthError(
                        f"The {self.upstream} upstream refused our credentials for {route} "
                        f"(HTTP {status}).",
                        upstream=self.upstream,
                    )
                self._record(method, route, status, started, attempt, "UPSTREAM_BAD_RESPONSE")
                raise UpstreamBadResponseError(
                    f"The {self.upstream} upstream answered {route} with HTTP {status}.",
                    upstream=self.upstream,
                )
        finally:
            self.breaker.abandon(ticket)

    async def _once(
        self,
        method: str,
        url: str,
        route: str,
        params: Mapping[str, str] | None,
        headers: CIMultiDict[str],
        json: Any,
        data: Any,
    ) -> UpstreamResponse:
        with upstream_span(self.upstream, method, route, headers) as span:
            async with self.session.request(
                method, url, params=params, headers=headers, json=json, data=data
            ) as raw:
                body = await raw.read()
                span.answered(raw.status)
                return UpstreamResponse(self.upstream, route, raw.status, raw.headers, body)

    async def _within_deadline(
        self, awaitable: Awaitable[T], deadline_at: float | None, route: str
    ) -> T:
        left = self._time_left(deadline_at)
        if left is not None and left <= 0:
            if inspect.iscoroutine(awaitable):
                awaitable.close()  # never started: close it, or it warns "never awaited"
            raise UpstreamTimeoutError(
                f"The request's deadline passed before {self.upstream} {route} was called.",
                upstream=self.upstream,
            )
        try:
            return await asyncio.wait_for(awaitable, timeout=left)
        except TimeoutError:
            raise UpstreamTimeoutError(
                f"The {self.upstream} upstream did not answer {route} in time.",
                upstream=self.upstream,
            ) from None

    def _fail_if_held_past(self, deadline_at: float | None, requester: str, route: str) -> None:
        """Fail at once, not at the deadline, when the upstream's hold outlasts the deadline:
        the caller (stale-if-error in the cache) can answer now instead of in a while."""
        held = self.limiter.blocked_for(requester) if self.limiter is not None else 0.0
        left = self._time_left(deadline_at)
        if held > 0 and left is not None and held >= left:
            raise UpstreamRateLimitedError(
                f"The {self.upstream} upstream is rate limiting {route}; it asked us to wait "
                f"{held:.0f} more seconds.",
                upstream=self.upstream,
                retry_after=round(held, 1),
            )

    @staticmethod
    def _has_time(deadline_at: float | None) -> bool:
        return deadline_at is None or deadline_at > time.monotonic()

    @staticmethod
    def _time_left(deadline_at: float | None) -> float | None:
        return None if deadline_at is None else deadline_at - time.monotonic()

    async def _backoff(self, attempt: int, deadline_at: float | None) -> None:
        retry = self.policy.retry
        pause = self._rng.uniform(0, min(retry.max_delay, retry.base_delay * 2 ** (attempt - 1)))
        left = self._time_left(deadline_at)
        if left is not None:
            pause = min(pause, max(0.0, left))
        await self._sleep(pause)

    def _rate_limit_wait(self, response: UpstreamResponse, requester: str) -> float:
        headers = response.headers
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = 1.0
            if self.limiter is not None:
                self.limiter.block_until(requester, time.time() + seconds)
            return seconds
        reset = headers.get("X-RateLimit-Reset")
        if reset is not None:
            try:
                reset_at = float(reset)
            except ValueError:
                return 1.0
            if self.limiter is not None:
                return self.limiter.block_until(requester, reset_at)
            return max(0.0, reset_at - time.time())
        return 1.0

    def _record(
        self,
        method: str,
        route: str,
        status: int | None,
        started: float,
        attempt: int,
        error: str | None,
    ) -> None:
        record_call(
            UpstreamCall(
                self.upstream,
                method,
                route,
                status,
                (time.monotonic() - started) * 1000,
                "miss",
                attempt,
                error,
            )
        )


__all__ = [
    "EXACT_WHOLE_FLOAT",
    "Auth",
    "CacheOutcome",
    "CallLog",
    "CircuitBreaker",
    "RateLimiter",
    "RetryPolicy",
    "Transport",
    "TransportPolicy",
    "UpstreamCall",
    "UpstreamError",
    "UpstreamResponse",
    "current_call_log",
    "deadline",
    "record_call",
    "retrieve_when_done",
    "set_deadline",
]
