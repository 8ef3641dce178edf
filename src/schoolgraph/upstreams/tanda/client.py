"""`TandaClient`: typed, cached, rate-limited reads and writes over Tanda API v2.

Section numbers (§) are those of `shared/upstreams/tanda.md`.

Requests go through the shared `Transport` (retries, circuit breaker, single flight, the
§3.1 rate limiter keyed on the requester of `auth.requester_of`) and reads through the
shared `UpstreamCache`, keyed on (`tanda`, tenant, resource). The tenant is the organisation
(`X-Organisation-Id`) plus the requester, because what a list holds depends on who asks
(§3.6).

Cache strategy:

* Every cached read keeps the `ETag` of each response (§3.2). After the resource's TTL the
  entry is revalidated with `If-None-Match`; a 304 keeps the parsed value as it is (the same
  objects, never parsed again). Paginated lists keep one ETag per page, and a page answered
  304 keeps its parsed rows.
* Large lists with `updated_after` (§3.5) - all users, and shifts for a set of users and a
  date range - are refreshed incrementally when they span more than one page (one request
  instead of one conditional request per page): rows changed since the newest `updated_at`
  seen (less one second, so a change in that same second is repeated rather than missed) are
  merged into the cached list by id. `updated_after` cannot report deletions (and Tanda has
  no `shift.destroyed` webhook, §4.15), nor a shift moved out of a user set or a team out of
  view, so such lists are read in full again every `full_refresh_every` seconds (page by
  page, conditionally). Users are never deleted by the API (DELETE deactivates, §4.2.7) and
  the users list is read with `show_inactive=true`, so a deactivation arrives as a change.
* Writes evict what they change in the tenant: shift writes the cached shifts and
  timesheets (which embed shifts), schedule writes the cached schedules and rosters.
  `invalidate()` does the same for webhooks.

Pagination (§3.8) is opt-in upstream; the client pages every paginated list with
`page_size=100` until a short page. Tanda gives no page count, so a list is a chain of pages;
the lists of the whole organisation (users, teams: the users run to a page per 100 people) ask
for `read_ahead` pages at once past the last full one, and the others (a batch of 100 users'
shifts is a few pages) one after another, so no request goes past their end. Batch
parameters (`ids`, `user_ids`) are chunked to 100 per request; schedules by user and dates
are read in 7-day windows (§4.4).
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from ...cache.store import CacheEntry, CacheKey, Refresh, UpstreamCache
from ...errors import ConfigError, UpstreamAuthError, UpstreamBadResponseError
from ..http import RateLimiter, Transport, TransportPolicy, UpstreamResponse
from ..off_loop import off_loop
from .auth import DEFAULT_SCOPES, Grant, RefreshTokenStore, TandaAuth
from .models import (
    UPSTREAM,
    CurrentUser,
    LeaveBalance,
    LeaveRequest,
    Location,
    Roster,
    Schedule,
    Shift,
    Team,
    Timesheet,
    User,
    parse_current_user,
    parse_leave_balance,
    parse_leave_request,
    parse_list,
    parse_location,
    parse_roster,
    parse_roster_header,
    parse_schedule,
    parse_shift,
    parse_team,
    parse_timesheet,
    parse_user,
)
from .typed_rows import TYPED_OFF_LOOP_BYTES, typed_reading
from .webhooks import TOPIC_RESOURCES

T = TypeVar("T")
R = TypeVar("R", bound="_Row")

API = "/api/v2"
MAX_BATCH = 100  # §3.8 / §3.9: at most 100 per page; ids chunked alike for URL length
MAX_PUBLISH = 100  # §4.4: "Cannot publish more than 100 schedules at once"
RESOURCES = (
    "me",
    "users",
    "teams",
    "locations",
    "rosters",
    "schedules",
    "shifts",
    "timesheets",
    "leave",
    "leave_balances",
)


class _Row(Protocol):
    """What the list helpers need of a model: an id and an `updated_at`."""

    @property
    def id(self) -> int: ...

    @property
    def updated_at(self) -> datetime | None: ...


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class TandaTTL:
    """Seconds a cached read is served without asking Tanda (then it is revalidated)."""

    me: float = 300.0
    users: float = 300.0
    teams: float = 600.0
    locations: float = 3600.0
    rosters: float = 60.0
    schedules: float = 60.0
    shifts: float = 60.0
    timesheets: float = 60.0
    leave: float = 300.0
    leave_balances: float = 300.0


@dataclass(frozen=True, slots=True)
class TandaConfig:
    """Everything a `TandaClient` needs; built by the caller (never from `os.environ`).

    Attributes:
        base_url: `https://my.workforce.com` for the real API.
        grant: `PasswordGrant` or `AuthorizationCodeGrant` (`auth.py`).
        scopes: OAuth scopes to ask for (§2.6).
        organisation_id: sent as `X-Organisation-Id` (§2.4) when set.
        user_id: sent as `X-User-Id` (§2.4) when set.
        ttl: cache freshness per resource.
        rate_limit, rate_limit_period, rate_limit_margin: the client-side limiter per
            requester (§3.1: 200 per 60 s); the margin keeps room for other clients.
        page_size: rows per page of paginated lists (at most 100).
        read_ahead: pages of the organisation's users and teams asked for at once beyond the
            last full page received (1 to 10; 1 reads them as a chain, a page after another).
            At most read_ahead - 1 requests go past a list's end.
        batch_size: ids per request for `ids`/`user_ids` parameters (at most 100).
        schedule_window_days: calendar days per `GET /schedules` by dates (at most 8; §4.4
            allows `from`/`to` at most 7 days apart).
        full_refresh_every: seconds after which an incrementally refreshed list is read in
            full again, to see deletions (`updated_after` cannot).
        renew_ahead: seconds before an expiring access token is refreshed.
        tenant: overrides the cache tenant (`org:<id>:<requester>` by default).
    """

    base_url: str
    grant: Grant
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    organisation_id: int | None = None
    user_id: int | None = None
    ttl: TandaTTL = field(default_factory=TandaTTL)
    rate_limit: int = 200
    rate_limit_period: float = 60.0
    rate_limit_margin: int = 10
    page_size: int = 100
    read_ahead: int = 2
    batch_size: int = 100
    schedule_window_days: int = 7
    full_refresh_every: float = 900.0
    renew_ahead: float = 300.0
    transport: TransportPolicy = field(default_factory=TransportPolicy)
    tenant: str | None = None

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"Tanda base_url must start with http:// or https://, got {self.base_url!r}."
            )
        checks: tuple[tuple[str, int, int, int], ...] = (
            ("page_size", self.page_size, 1, 100),
            ("read_ahead", self.read_ahead, 1, 10),
            ("batch_size", self.batch_size, 1, MAX_BATCH),
            ("schedule_window_days", self.schedule_window_days, 1, 8),
            ("rate_limit", self.rate_limit, 1, 1_000_000),
        )
        for name, value, low, high in checks:
            if not low <= value <= high:
                raise ConfigError(f"Tanda {name} must be between {low} and {high}, got {value!r}.")
        if not 0 <= self.rate_limit_margin < self.rate_limit:
            raise ConfigError(
                "Tanda rate_limit_margin must be at least 0 and below rate_limit, got "
                f"{self.rate_limit_margin!r}."
            )
        if self.rate_limit_period <= 0:
            raise ConfigError(
                f"Tanda rate_limit_period must be positive, got {self.rate_limit_period!r}."
            )


# --------------------------------------------------------------------------- write inputs


class _Unset(enum.Enum):
    UNSET = "UNSET"


UNSET = _Unset.UNSET
"""A field an update leaves alone (None clears it)."""


@dataclass(frozen=True, slots=True)
class BreakSpan:
    """A break to write on a schedule (§4.4 ScheduleBreakData)."""

    start: datetime
    finish: datetime
    paid: bool = False


class TandaRequestError(UpstreamBadResponseError):
    """Tanda refused a request (4xx with `{"error": ...}`), e.g. a write that fails its checks.

    `status` is Tanda's HTTP status and `upstream_message` its error text, so the graph can
    map 400 to a validation error, 403 to forbidden and 404 to not found.
    """

    def __init__(self, message: str, *, status: int, upstream_message: str | None) -> None:
        super().__init__(message, upstream=UPSTREAM)
        self.status = status
        self.upstream_message = upstream_message


# --------------------------------------------------------------------------- internals


@dataclass(frozen=True, slots=True)
class _Page(Generic[T]):
    etag: str | None
    rows: tuple[T, ...]
    size: int


@dataclass(frozen=True, slots=True)
class _Incremental(Generic[R]):
    """How to ask for a list's changes (`updated_after`) and which changed rows belong."""

    params: Mapping[str, str]
    keep: Callable[[R], bool]


def _unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("Tanda times must be timezone-aware datetimes (they are sent as unix).")
    return int(moment.timestamp())


def _chunks(ids: Iterable[int], size: int) -> list[tuple[int, ...]]:
    unique = sorted(set(ids))
    return [tuple(unique[i : i + size]) for i in range(0, len(unique), size)]


def _csv(ids: Sequence[int]) -> str:
    return ",".join(str(i) for i in ids)


def _windows(start: date, finish: date, days: int) -> list[tuple[date, date]]:
    if finish < start:
        raise ValueError(f"The date range ends ({finish}) before it starts ({start}).")
    out: list[tuple[date, date]] = []
    day = start
    while day <= finish:
        last = min(day + timedelta(days=days - 1), finish)
        out.append((day, last))
        day = last + timedelta(days=1)
    return out


def _watermark(rows: Iterable[_Row], previous: int | None = None) -> int | None:
    stamps = [int(r.updated_at.timestamp()) for r in rows if r.updated_at is not None]
    if previous is not None:
        stamps.append(previous)
    return max(stamps) if stamps else None


def _by_id(rows: Iterable[R]) -> tuple[R, ...]:
    unique: dict[int, R] = {}
    for row in rows:
        unique[row.id] = row  # a row seen on two pages (the list moved): the later wins
    return tuple(unique[i] for i in sorted(unique))


def _error_text(response: UpstreamResponse) -> str | None:
    try:
        body = response.json()
    except UpstreamBadResponseError:
        return None
    message = body.get("error") if isinstance(body, dict) else None
    return message[:300] if isinstance(message, str) else None


# --------------------------------------------------------------------------- the client


class TandaClient:
    """Tanda API v2 for the graph. Open with `start()` (or `async with`), close with `close()`.

    Args:
        config: the settings.
        cache: the gateway-wide cache (one is made when omitted).
        limiter: a rate limiter to share with other clients acting as the same users (one
            is made from the config when omitted).
        refresh_store: where rotating refresh tokens live (in memory when omitted).
        clock: monotonic seconds, for the full-refresh schedule (tests pass the cache's).
    """

    def __init__(
        self,
        config: TandaConfig,
        *,
        cache: UpstreamCache | None = None,
        limiter: RateLimiter | None = None,
        refresh_store: RefreshTokenStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.limiter = limiter or RateLimiter(
            config.rate_limit, config.rate_limit_period, margin=config.rate_limit_margin
        )
        self.transport = Transport(
            UPSTREAM, config.base_url, policy=config.transport, limiter=self.limiter
        )
        self.auth = TandaAuth(
            config.grant,
            self.transport,
            scopes=config.scopes,
            renew_ahead=config.renew_ahead,
            store=refresh_store,
        )
        self.cache = cache if cache is not None else UpstreamCache(clock=clock)
        self.tenant = config.tenant or (
            f"org:{config.organisation_id or 'default'}:{self.auth.requester}"
        )
        self._clock = clock

    def __repr__(self) -> str:
        return f"TandaClient(base_url={self.config.base_url!r}, tenant={self.tenant!r})"

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        await self.transport.close()

    async def __aenter__(self) -> TandaClient:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- plumbing -----------------------------------------------------------------------------

    def _headers(self, etag: str | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.config.organisation_id is not None:
            headers["X-Organisation-Id"] = str(self.config.organisation_id)
        if self.config.user_id is not None:
            headers["X-User-Id"] = str(self.config.user_id)
        if etag is not None:
            headers["If-None-Match"] = etag
        return headers

    async def _call(
        self,
        method: str,
        route: str,
        path: str | None = None,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        etag: str | None = None,
        ok: frozenset[int] = frozenset(),
    ) -> UpstreamResponse:
        response = await self.transport.request(
            method,
            path or route,
            route=route,
            params=params,
            headers=self._headers(etag),
            json=json,
            auth=self.auth,
            requester=self.auth.requester,
            ok_statuses=ok | {402},
        )
        if response.status == 402 and 402 not in ok:
            raise UpstreamAuthError(
                "Tanda has locked this account out of the API for billing purposes (HTTP "
                "402); see valid_subscription on /users/me.",
                upstream=UPSTREAM,
            )
        return response

    def _key(self, resource: str) -> CacheKey:
        return CacheKey(UPSTREAM, self.tenant, resource)

    def _expire(self, resource: str) -> None:
        entry = self.cache.peek(self._key(resource))
        if entry is not None:
            entry.fresh_until = float("-inf")

    def invalidate(self, *resources: str) -> int:
        """Evict this tenant's cached reads of `resources` (names in `RESOURCES`).

        Returns how many entries were dropped. Use it for webhooks (§4.15): e.g.
        `schedule.*` -> `invalidate("schedules", "rosters")`.
        """
        dropped = 0
        for resource in resources:
            if resource not in RESOURCES:
                raise ValueError(
                    f"Unknown Tanda resource {resource!r}; expected one of {RESOURCES}."
                )
            dropped += self.cache.evict(
                UPSTREAM, tenant=self.tenant, resource_prefix=f"{resource}:"
            )
        return dropped

    async def _object(
        self,
        resource: str,
        ttl: float,
        route: str,
        path: str,
        parse: Callable[[object, str], T],
        *,
        params: Mapping[str, str] | None = None,
        absent: frozenset[int] = frozenset(),
    ) -> T | None:
        """One cached object; None when Tanda answers one of the `absent` statuses."""

        async def load(previous: CacheEntry[tuple[T, ...]] | None) -> Refresh[tuple[T, ...]]:
            etag = previous.etag if previous is not None else None
            response = await self._call(
                "GET", route, path, params=params, etag=etag, ok=absent | {304}
            )
            if response.status == 304 and previous is not None:
                return Refresh.unchanged()
            if response.status in absent or response.status == 204:
                return Refresh(value=(), size=1)
            value = (await off_loop(len(response.body), lambda: parse(response.json(), route)),)
            return Refresh(value=value, size=len(response.body), etag=response.headers.get("ETag"))

        cached = await self.cache.fetch(self._key(resource), load, ttl=ttl, route=route)
        return cached.value[0] if cached.value else None

    async def _list(
        self,
        resource: str,
        ttl: float,
        route: str,
        path: str,
        parse: Callable[[object, str], R],
        *,
        params: Mapping[str, str] | None = None,
        paged: bool = True,
        incremental: _Incremental[R] | None = None,
        read_ahead: int = 1,
    ) -> tuple[R, ...]:
        """A cached list, sorted by id; paged, revalidated per page, or merged from changes.

        `read_ahead`: pages asked for at once beyond the last full page (`_read_pages`)."""
        base = dict(params or {})

        async def load(previous: CacheEntry[tuple[R, ...]] | None) -> Refresh[tuple[R, ...]]:
            if previous is not None and incremental is not None and self._merge_due(previous):
                return await self._merge_changes(previous, route, path, parse, incremental)
            old_pages: Sequence[_Page[R]] = previous.meta.get("pages", ()) if previous else ()
            pages, reused = await self._read_pages(
                route, path, base, parse, paged, old_pages, read_ahead
            )
            now = self._clock()
            if (
                previous is not None
                and reused == len(pages) == len(old_pages)
                and not previous.meta.get("merged")
            ):
                previous.meta["full_at"] = now  # a full read that found nothing new
                return Refresh.unchanged()
            rows = _by_id(row for page in pages for row in page.rows)
            watermark = _watermark(rows)
            return Refresh(
                value=rows,
                size=sum(page.size for page in pages),
                etag=pages[0].etag if len(pages) == 1 else None,
                token=None if watermark is None else str(watermark),
                meta={"pages": tuple(pages), "full_at": now},
                outcome="revalidated" if reused else "miss",
            )

        cached = await self.cache.fetch(self._key(resource), load, ttl=ttl, route=route)
        return cached.value

    def _merge_due(self, previous: CacheEntry[Any]) -> bool:
        """Merge changes instead of re-reading when the list spans pages and is not due a
        full read (§3.5 `updated_after` cannot report deletions)."""
        pages = previous.meta.get("pages", ())
        full_at = previous.meta.get("full_at")
        return (
            previous.token is not None
            and len(pages) > 1
            and full_at is not None
            and self._clock() - full_at < self.config.full_refresh_every
        )

    async def _read_pages(
        self,
        route: str,
        path: str,
        params: Mapping[str, str],
        parse: Callable[[object, str], R],
        paged: bool,
        old_pages: Sequence[_Page[R]],
        read_ahead: int = 1,
    ) -> tuple[list[_Page[R]], int]:
        """Every page (conditionally where an old page's ETag is known); how many were 304."""
        size = self.config.page_size
        typed = typed_reading(parse)

        async def fetch(number: int | None, old: _Page[R] | None) -> tuple[UpstreamResponse, Any]:
            """A page's answer, decoded (None for a 304 where the old page stands): its
            models (a tuple) where it reads typed (`typed_rows`), else its JSON."""
            query = dict(params)
            if number is not None:
                query.update(page=str(number), page_size=str(size))
            response = await self._call(
                "GET",
                route,
                path,
                params=query,
                etag=old.etag if old is not None else None,
                ok=frozenset({304}),
            )
            if response.status == 304 and old is not None:
                return response, None
            if typed is not None:
                body = response.body
                rows = await off_loop(
                    len(body), lambda: typed.decode(body), threshold=TYPED_OFF_LOOP_BYTES
                )
                if rows is not None:
                    return response, rows
            return response, await response.parsed()

        async def build(
            fetched: tuple[UpstreamResponse, Any], old: _Page[R] | None
        ) -> tuple[_Page[R], bool]:
            response, body = fetched
            if response.status == 304 and old is not None:
                return old, True
            if isinstance(body, tuple):  # read typed: the rows are built
                rows: tuple[R, ...] = body
            else:
                rows = await off_loop(len(response.body), lambda: parse_list(body, route, parse))
            return _Page(response.headers.get("ETag"), rows, len(response.body)), False

        async def one(number: int | None, old: _Page[R] | None) -> tuple[_Page[R], bool]:
            return await build(await fetch(number, old), old)

        if not paged:
            only, was_304 = await one(None, old_pages[0] if old_pages else None)
            return [only], int(was_304)
        # Pages known from the last read are revalidated together; new ones follow in turn.
        known = await asyncio.gather(
            *(one(number, old) for number, old in enumerate(old_pages, start=1))
        )
        pages: list[_Page[R]] = []
        reused = 0
        for page, was_reused in known:
            pages.append(page)
            reused += was_reused
            if len(page.rows) < size:
                return pages, reused
        # A full page means another may follow, and Tanda gives no page count: up to
        # `read_ahead` pages are asked for beyond the last full page received, so a list of n
        # pages costs about n / read_ahead round trips instead of n, and at most
        # read_ahead - 1 requests go past its end. Pages are built in order, each while later
        # ones are on their way.
        asked: dict[int, asyncio.Future[tuple[UpstreamResponse, Any]]] = {}
        highest = len(pages)  # the last page asked for

        def ask_through(last: int) -> None:
            nonlocal highest
            for later in range(highest + 1, last + 1):
                asked[later] = asyncio.ensure_future(fetch(later, None))
            highest = max(highest, last)

        number = len(pages) + 1
        ask_through(number)  # one page alone: most lists end on their first
        try:
            while True:
                fetched = await asked.pop(number)
                body = fetched[1]
                full = isinstance(body, list | tuple) and len(body) >= size
                if full:
                    ask_through(number + read_ahead)
                page, _ = await build(fetched, None)
                pages.append(page)
                if not full:
                    return pages, reused
                number += 1
        finally:
            for unwanted in asked.values():  # past the end, or the read failed
                # Its answer, or its failure, is no longer wanted.
                unwanted.add_done_callback(lambda done: done.cancelled() or done.exception())
                unwanted.cancel()

    async def _merge_changes(
        self,
        previous: CacheEntry[tuple[R, ...]],
        route: str,
        path: str,
        parse: Callable[[object, str], R],
        incremental: _Incremental[R],
    ) -> Refresh[tuple[R, ...]]:
        """Ask for rows changed since the watermark and merge them by id (§3.5)."""
        since = int(previous.token or 0) - 1  # repeat the last second rather than miss it
        query = {**incremental.params, "updated_after": str(since)}
        pages, _ = await self._read_pages(route, path, query, parse, True, ())
        changed = [row for page in pages for row in page.rows]
        rows = {row.id: row for row in previous.value}
        dirty = False
        for row in changed:
            if incremental.keep(row):
                if rows.get(row.id) != row:
                    rows[row.id], dirty = row, True
            elif rows.pop(row.id, None) is not None:
                dirty = True
        watermark = _watermark(changed, int(previous.token or 0))
        if not dirty:
            return Refresh(not_modified=True, token=str(watermark), outcome="revalidated")
        value = tuple(rows[i] for i in sorted(rows))
        return Refresh(
            value=value,
            # Bytes are known per page, not per row: scale the last full read's size.
            size=max(1, previous.size * len(value) // max(1, len(previous.value))),
            token=str(watermark),
            meta={**previous.meta, "merged": True},
            outcome="revalidated",
        )

    @staticmethod
    async def _gather(calls: Iterable[Awaitable[tuple[R, ...]]]) -> tuple[R, ...]:
        """The union of several cached lists, sorted by id; a single list is returned as it
        is (the same object a 304 kept)."""
        results = await asyncio.gather(*calls)
        if len(results) == 1:
            return results[0]
        return _by_id(row for rows in results for row in rows)

    # -- readiness and the current user -------------------------------------------------------

    async def readiness(self) -> CurrentUser:
        """A cheap uncached call proving Tanda is reachable and the credentials work."""
        route = f"{API}/users/me"
        response = await self._call("GET", route)
        return parse_current_user(response.json(), route)

    async def me(self) -> CurrentUser:
        """`GET /users/me` (§4.1): who the credentials act as, their zone and permissions."""
        route = f"{API}/users/me"
        found = await self._object("me:", self.config.ttl.me, route, route, parse_current_user)
        if found is None:  # pragma: no cover - /users/me always has a body
            raise UpstreamBadResponseError(
                f"Tanda answered {route} without a body.", upstream=UPSTREAM
            )
        return found

    # -- users, teams, locations ------------------------------------------------------------------

    async def _all_users(self) -> tuple[User, ...]:
        route = f"{API}/users"
        params = {"show_inactive": "true"}  # §4.2.1; deactivations then arrive as changes
        return await self._list(
            "users:all",
            self.config.ttl.users,
            route,
            route,
            parse_user,
            params=params,
            incremental=_Incremental(params, lambda _: True),
            read_ahead=self.config.read_ahead,
        )

    async def users(self, *, include_inactive: bool = False) -> tuple[User, ...]:
        """Every user the credentials can see (§4.2.1), active ones unless asked otherwise."""
        rows = await self._all_users()
        return rows if include_inactive else tuple(u for u in rows if u.active)

    async def inactive_users(self) -> tuple[User, ...]:
        """Deactivated users; the same rows `GET /users/inactive` lists (§4.2.3)."""
        return tuple(u for u in await self._all_users() if not u.active)

    async def users_by_ids(self, ids: Iterable[int]) -> dict[int, User]:
        """Users by id; ids the credentials cannot see are absent.

        Tanda has no `ids=` filter for users (§6.1), so this reads the one cached list of all
        users (one request per 100 users when cold, usually one when revalidating) and, if an
        id is missing from a cached copy, revalidates that list once.
        """
        wanted = set(ids)
        if not wanted:
            return {}
        cached_before = self.cache.peek(self._key("users:all")) is not None
        rows = await self._all_users()
        found = {u.id: u for u in rows if u.id in wanted}
        if len(found) < len(wanted) and cached_before:
            self._expire("users:all")  # perhaps a user created since the list was read
            rows = await self._all_users()
            found = {u.id: u for u in rows if u.id in wanted}
        return found

    async def user(self, user_id: int) -> User | None:
        return (await self.users_by_ids([user_id])).get(user_id)

    async def teams(self) -> tuple[Team, ...]:
        """Teams (departments), §4.7."""
        route = f"{API}/departments"
        return await self._list(
            "teams:all",
            self.config.ttl.teams,
            route,
            route,
            parse_team,
            read_ahead=self.config.read_ahead,
        )

    async def locations(self) -> tuple[Location, ...]:
        """Locations, §4.8 (not paginated)."""
        route = f"{API}/locations"
        return await self._list(
            "locations:all", self.config.ttl.locations, route, route, parse_location, paged=False
        )

    # -- rosters and schedules ------------------------------------------------------------------

    async def current_roster(self) -> Roster | None:
        """The roster of the current week (§4.3); None when there is none (204)."""
        route = f"{API}/rosters/current"
        return await self._object(
            "rosters:current", self.config.ttl.rosters, route, route, parse_roster
        )

    async def roster_on(self, day: date) -> Roster | None:
        """The roster holding `day`, without its schedules (`days` is empty); None when
        there is none (204).

        The roster is read with one nested schedule (`page=1&page_size=1`, §4.3, §3.8): a
        week's roster holds every shift of the organisation's week (4,392 at the
        simulator's `large` scale, 2 MB), which the graph reads from `GET /schedules`
        by dates (`schedules_for_users`), shared with every other read of that window.
        """
        route = f"{API}/rosters/on/{{date}}"
        return await self._object(
            f"rosters:on={day.isoformat()}:header",
            self.config.ttl.rosters,
            route,
            f"{API}/rosters/on/{day.isoformat()}",
            parse_roster_header,
            params={"page": "1", "page_size": "1"},
        )

    async def roster(self, roster_id: int) -> Roster | None:
        """A roster by id; None when Tanda does not know it."""
        route = f"{API}/rosters/{{id}}"
        return await self._object(
            f"rosters:id={roster_id}",
            self.config.ttl.rosters,
            route,
            f"{API}/rosters/{roster_id}",
            parse_roster,
            absent=frozenset({404}),
        )

    async def schedules_by_ids(self, ids: Iterable[int]) -> dict[int, Schedule]:
        """Schedules by id (chunked); ids not found or not visible are absent."""
        route = f"{API}/schedules"
        # include_colleagues: an employee otherwise sees only their own (§4.4).
        calls = [
            self._list(
                f"schedules:ids={_csv(chunk)}",
                self.config.ttl.schedules,
                route,
                route,
                parse_schedule,
                params={"ids": _csv(chunk), "include_colleagues": "true"},
                paged=False,
            )
            for chunk in _chunks(ids, self.config.batch_size)
        ]
        return {s.id: s for s in await self._gather(calls)}

    async def schedules_for_users(
        self, user_ids: Iterable[int] | None, start: date, finish: date
    ) -> tuple[Schedule, ...]:
        """Schedules of `user_ids` (None: every visible one) from `start` to `finish`
        inclusive, by the local date of their start (§4.4), in 7-day windows."""
        route = f"{API}/schedules"
        chunks: list[tuple[int, ...] | None] = (
            [None] if user_ids is None else list(_chunks(user_ids, self.config.batch_size))
        )
        calls = []
        for chunk in chunks:
            for first, last in _windows(start, finish, self.config.schedule_window_days):
                params = {"from": first.isoformat(), "to": last.isoformat()}
                who = "all"
                if chunk is not None:
                    params["user_ids"] = who = _csv(chunk)
                calls.append(
                    self._list(
                        f"schedules:users={who}:{first.isoformat()}..{last.isoformat()}",
                        self.config.ttl.schedules,
                        route,
                        route,
                        parse_schedule,
                        params=params,
                        paged=False,
                    )
                )
        rows = await self._gather(calls)
        return tuple(sorted(rows, key=lambda s: (s.start is None, s.start, s.id)))

    # -- shifts and timesheets ------------------------------------------------------------------

    async def shifts_by_ids(self, ids: Iterable[int]) -> dict[int, Shift]:
        """Shifts by id (chunked, paginated); ids not found or not visible are absent."""
        route = f"{API}/shifts"
        calls = [
            self._list(
                f"shifts:ids={_csv(chunk)}",
                self.config.ttl.shifts,
                route,
                route,
                parse_shift,
                params={"ids": _csv(chunk)},
            )
            for chunk in _chunks(ids, self.config.batch_size)
        ]
        return {s.id: s for s in await self._gather(calls)}

    async def shifts_for_users(
        self, user_ids: Iterable[int] | None, start: date, finish: date
    ) -> tuple[Shift, ...]:
        """Shifts of `user_ids` (None: every visible user) worked from `start` to `finish`
        inclusive (the shift's local `date`), paginated; refreshed incrementally."""
        if finish < start:
            raise ValueError(f"The date range ends ({finish}) before it starts ({start}).")
        route = f"{API}/shifts"
        window = {"from": start.isoformat(), "to": finish.isoformat()}

        def inside(row: Shift) -> bool:
            return start <= row.date <= finish

        chunks: list[tuple[int, ...] | None] = (
            [None] if user_ids is None else list(_chunks(user_ids, self.config.batch_size))
        )
        calls = []
        for chunk in chunks:
            if chunk is None:
                params, who = dict(window), "all"
                # Changes in the window only: a shift moved out of it stays until a full read.
                changes: _Incremental[Shift] = _Incremental(dict(window), inside)
            else:
                who = _csv(chunk)
                params = {"user_ids": who, **window}
                # Changes for these users at any date, so a shift moved out of the window is
                # seen and dropped.
                changes = _Incremental({"user_ids": who}, inside)
            calls.append(
                self._list(
                    f"shifts:users={who}:{start.isoformat()}..{finish.isoformat()}",
                    self.config.ttl.shifts,
                    route,
                    route,
                    parse_shift,
                    params=params,
                    incremental=changes,
                )
            )
        return await self._gather(calls)

    async def current_timesheets(self) -> tuple[Timesheet, ...]:
        """Every visible user's timesheet for the current pay period (§4.5), with shifts."""
        route = f"{API}/timesheets/current"
        return await self._list(
            "timesheets:current",
            self.config.ttl.timesheets,
            route,
            route,
            parse_timesheet,
            paged=False,
        )

    async def timesheets_on(self, day: date) -> tuple[Timesheet, ...]:
        """Every visible user's timesheet holding `day` (paginated), with shifts."""
        route = f"{API}/timesheets/on/{{date}}"
        return await self._list(
            f"timesheets:on={day.isoformat()}",
            self.config.ttl.timesheets,
            route,
            f"{API}/timesheets/on/{day.isoformat()}",
            parse_timesheet,
        )

    async def timesheet_for_user(self, user_id: int, day: date | None = None) -> Timesheet | None:
        """A user's timesheet holding `day` (the current one when None); None if none."""
        if day is None:
            route = f"{API}/timesheets/for/{{user_id}}/current"
            path = f"{API}/timesheets/for/{user_id}/current"
            resource = f"timesheets:user={user_id}:current"
        else:
            route = f"{API}/timesheets/for/{{user_id}}/on/{{date}}"
            path = f"{API}/timesheets/for/{user_id}/on/{day.isoformat()}"
            resource = f"timesheets:user={user_id}:on={day.isoformat()}"
        return await self._object(
            resource,
            self.config.ttl.timesheets,
            route,
            path,
            parse_timesheet,
            absent=frozenset({404}),  # doc-silent (§4.5); the simulator answers 404
        )

    # -- leave ----------------------------------------------------------------------------------

    async def leave_requests(
        self,
        *,
        ids: Iterable[int] | None = None,
        user_ids: Iterable[int] | None = None,
        start: date | None = None,
        finish: date | None = None,
        include_inactive: bool = False,
    ) -> tuple[LeaveRequest, ...]:
        """Leave requests by `ids`, or overlapping `start`..`finish` (§4.10: one of the two is
        required), optionally only of `user_ids`. Chunked and paginated."""
        if (start is None) != (finish is None):
            raise ValueError("Pass start and finish together.")
        if ids is None and start is None:
            raise ValueError("Tanda lists leave by ids, or by a start and finish date.")
        route = f"{API}/leave"
        common: dict[str, str] = {}
        if start is not None and finish is not None:
            common.update({"from": start.isoformat(), "to": finish.isoformat()})
        if include_inactive:
            common["include_inactive"] = "true"
        wanted_users = None if user_ids is None else set(user_ids)
        queries: list[dict[str, str]] = []
        if ids is not None:
            queries = [{**common, "ids": _csv(c)} for c in _chunks(ids, self.config.batch_size)]
        elif wanted_users is not None:
            queries = [
                {**common, "user_ids": _csv(c)}
                for c in _chunks(wanted_users, self.config.batch_size)
            ]
        else:
            queries = [common]
        calls = [
            self._list(
                "leave:" + "&".join(f"{k}={v}" for k, v in sorted(q.items())),
                self.config.ttl.leave,
                route,
                route,
                parse_leave_request,
                params=q,
            )
            for q in queries
        ]
        rows = await self._gather(calls)
        if wanted_users is not None:
            rows = tuple(r for r in rows if r.user_id in wanted_users)
        return rows

    async def leave_balances(self, user_ids: Iterable[int]) -> tuple[LeaveBalance, ...]:
        """Leave balances of `user_ids` (§4.11), chunked."""
        route = f"{API}/leave_balances"
        calls = [
            self._list(
                f"leave_balances:users={_csv(chunk)}",
                self.config.ttl.leave_balances,
                route,
                route,
                parse_leave_balance,
                params={"user_ids": _csv(chunk)},
                paged=False,
            )
            for chunk in _chunks(user_ids, self.config.batch_size)
        ]
        return await self._gather(calls)

    # -- writes ---------------------------------------------------------------------------------

    async def _write(
        self,
        method: str,
        route: str,
        path: str,
        body: Any,
        evict: tuple[str, ...],
        expect: frozenset[int] = frozenset({200, 201}),
    ) -> UpstreamResponse:
        refused = frozenset({400, 403, 404, 409, 422})
        try:
            response = await self._call(method, route, path, json=body, ok=refused)
        finally:
            # Also after a timeout: the write may have happened.
            self.invalidate(*evict)
        if response.status in refused:
            message = _error_text(response)
            detail = f": {message}" if message else "."
            raise TandaRequestError(
                f"Tanda refused {method} {route} with HTTP {response.status}{detail}",
                status=response.status,
                upstream_message=message,
            )
        if response.status not in expect:
            raise UpstreamBadResponseError(
                f"Tanda answered {method} {route} with HTTP {response.status}.",
                upstream=UPSTREAM,
            )
        return response

    async def create_shift(
        self,
        user_id: int,
        *,
        day: date | None = None,
        start: datetime | None = None,
        finish: datetime | None = None,
        break_start: datetime | None = None,
        break_finish: datetime | None = None,
        department_id: int | None = None,
        status: str | None = None,
        metadata: str | None = None,
    ) -> Shift:
        """`POST /shifts` (§4.6); Tanda rounds times to the minute and creates the timesheet."""
        body: dict[str, Any] = {"user_id": user_id}
        if day is not None:
            body["date"] = day.isoformat()
        for name, moment in (
            ("start", start),
            ("finish", finish),
            ("break_start", break_start),
            ("break_finish", break_finish),
        ):
            if moment is not None:
                body[name] = _unix(moment)
        if department_id is not None:
            body["department_id"] = department_id
        if status is not None:
            body["status"] = status
        if metadata is not None:
            body["metadata"] = metadata
        route = f"{API}/shifts"
        response = await self._write("POST", route, route, body, ("shifts", "timesheets"))
        return parse_shift(response.json(), route)

    async def update_shift(
        self,
        shift_id: int,
        *,
        day: date | _Unset = UNSET,
        start: datetime | _Unset | None = UNSET,
        finish: datetime | _Unset | None = UNSET,
        break_start: datetime | _Unset | None = UNSET,
        break_finish: datetime | _Unset | None = UNSET,
        department_id: int | _Unset | None = UNSET,
        status: str | _Unset = UNSET,
        metadata: str | _Unset | None = UNSET,
    ) -> Shift:
        """`PUT /shifts/{id}`, a partial update: only the fields given are sent."""
        body: dict[str, Any] = {}
        if not isinstance(day, _Unset):
            body["date"] = day.isoformat()
        for name, moment in (
            ("start", start),
            ("finish", finish),
            ("break_start", break_start),
            ("break_finish", break_finish),
        ):
            if not isinstance(moment, _Unset):
                body[name] = None if moment is None else _unix(moment)
        if not isinstance(department_id, _Unset):
            body["department_id"] = department_id
        if not isinstance(status, _Unset):
            body["status"] = status
        if not isinstance(metadata, _Unset):
            body["metadata"] = metadata
        route = f"{API}/shifts/{{id}}"
        response = await self._write(
            "PUT", route, f"{API}/shifts/{shift_id}", body, ("shifts", "timesheets")
        )
        return parse_shift(response.json(), route)

    async def approve_shift(self, shift_id: int) -> Shift:
        """Approve one shift (`{"status": "APPROVED"}`, §4.6)."""
        return await self.update_shift(shift_id, status="APPROVED")

    async def approve_shifts(self, shift_ids: Iterable[int]) -> tuple[Shift, ...]:
        """Approve shifts; Tanda has no batch approval, so one PUT each, concurrently."""
        return tuple(await asyncio.gather(*(self.approve_shift(i) for i in sorted(set(shift_ids)))))

    async def delete_shift(self, shift_id: int) -> None:
        """`DELETE /shifts/{id}`."""
        route = f"{API}/shifts/{{id}}"
        await self._write(
            "DELETE", route, f"{API}/shifts/{shift_id}", None, ("shifts", "timesheets")
        )

    @staticmethod
    def _breaks(breaks: Sequence[BreakSpan]) -> list[dict[str, Any]]:
        return [
            {
                "start": _unix(b.start),
                "finish": _unix(b.finish),
                "paid": b.paid,
                "length": round((b.finish - b.start).total_seconds() / 60),
            }
            for b in breaks
        ]

    async def create_schedule(
        self,
        *,
        start: datetime,
        finish: datetime | None = None,
        user_id: int | None = None,
        department_id: int | None = None,
        breaks: Sequence[BreakSpan] | None = None,
        automatic_break_length: int | None = None,
    ) -> Schedule:
        """`POST /schedules` (§4.4); no `user_id` makes a vacant shift. Only one of `breaks`
        and `automatic_break_length` may be given."""
        body: dict[str, Any] = {"start": _unix(start)}
        if finish is not None:
            body["finish"] = _unix(finish)
        if user_id is not None:
            body["user_id"] = user_id
        if department_id is not None:
            body["department_id"] = department_id
        if breaks is not None:
            body["breaks"] = self._breaks(breaks)
        if automatic_break_length is not None:
            body["automatic_break_length"] = automatic_break_length
        route = f"{API}/schedules"
        response = await self._write("POST", route, route, body, ("schedules", "rosters"))
        return parse_schedule(response.json(), route)

    async def update_schedule(
        self,
        schedule_id: int,
        *,
        start: datetime | _Unset = UNSET,
        finish: datetime | _Unset | None = UNSET,
        user_id: int | _Unset | None = UNSET,
        department_id: int | _Unset | None = UNSET,
        breaks: Sequence[BreakSpan] | _Unset | None = UNSET,
        automatic_break_length: int | _Unset | None = UNSET,
    ) -> Schedule:
        """`PUT /schedules/{id}`, partial; `user_id=None` makes it vacant. To switch between
        `breaks` and `automatic_break_length`, clear the other in the same call (§4.4)."""
        body: dict[str, Any] = {}
        if not isinstance(start, _Unset):
            body["start"] = _unix(start)
        if not isinstance(finish, _Unset):
            body["finish"] = None if finish is None else _unix(finish)
        if not isinstance(user_id, _Unset):
            body["user_id"] = user_id
        if not isinstance(department_id, _Unset):
            body["department_id"] = department_id
        if not isinstance(breaks, _Unset):
            body["breaks"] = None if breaks is None else self._breaks(breaks)
        if not isinstance(automatic_break_length, _Unset):
            body["automatic_break_length"] = automatic_break_length
        route = f"{API}/schedules/{{id}}"
        response = await self._write(
            "PUT", route, f"{API}/schedules/{schedule_id}", body, ("schedules", "rosters")
        )
        return parse_schedule(response.json(), route)

    async def delete_schedule(self, schedule_id: int) -> None:
        """`DELETE /schedules/{id}`."""
        route = f"{API}/schedules/{{id}}"
        await self._write(
            "DELETE", route, f"{API}/schedules/{schedule_id}", None, ("schedules", "rosters")
        )

    async def publish_schedules(self, schedule_ids: Iterable[int]) -> tuple[Schedule, ...]:
        """`POST /schedules/publish` in chunks of 100 (§4.4); returns what Tanda published
        (it silently leaves out schedules the credentials may not update)."""
        route = f"{API}/schedules/publish"
        published: list[Schedule] = []
        for chunk in _chunks(schedule_ids, MAX_PUBLISH):
            response = await self._write(
                "POST", route, route, {"schedule_ids": list(chunk)}, ("schedules", "rosters")
            )
            published.extend(parse_list(response.json(), route, parse_schedule))
        return tuple(published)

    # -- webhooks ----------------------------------------------------------------------------

    async def create_webhook(self, url: str, token: str, topics: Sequence[str]) -> int:
        """`POST /webhooks` (§4.15, admin only): notify `url` of `topics`, signed with
        `token`; returns the subscription's id."""
        route = f"{API}/webhooks"
        response = await self._write(
            "POST", route, route, {"url": url, "token": token, "topics": list(topics)}, ()
        )
        body = response.json()
        subscription_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(subscription_id, int):
            raise UpstreamBadResponseError(
                f"Tanda answered POST {route} without a subscription id.", upstream=UPSTREAM
            )
        return subscription_id

    def invalidate_topic(self, topic: str) -> int:
        """Evict what a webhook of `topic` says changed (see `webhooks.TOPIC_RESOURCES`)."""
        return self.invalidate(*TOPIC_RESOURCES.get(topic.partition(".")[0], ()))


__all__ = [
    "RESOURCES",
    "UNSET",
    "BreakSpan",
    "TandaClient",
    "TandaConfig",
    "TandaRequestError",
    "TandaTTL",
]
