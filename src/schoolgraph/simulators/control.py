"""The `/__sim/` control plane every simulator carries (never part of an upstream contract).

Routes, on each simulator:

* `GET /__sim/stats`: requests counted by method and route template, with 304 and 429 counts,
  the most requests of a route open at once (`peak_in_flight`, from arrival to answer, faults
  included), a total, and the requests open now (`in_flight`, counted once answered);
  `?reset=true` zeroes the counters after reading.
* `POST /__sim/reset`: restores the world generated at start, clears stats and faults, and
  runs each simulator's own reset callbacks (tokens, rate-limit buckets, subscriptions).
* `POST /__sim/faults`: sets faults (JSON object of `Faults` fields; omitted fields keep their
  value, `{"clear": true}` clears all). `GET /__sim/faults` reads them.
* `POST /__sim/mutate`: `{"table", "action": "update"|"add"|"delete", "count"?, "ids"?,
  "school"?}` (see `mutations.mutate`); the response names the changed ids and new revision.
* `POST /__sim/clock`: `{"advance_seconds": N}` moves the simulator's clock forward, or
  `{"reset": true}` returns to real time, so token and link expiry can be exercised.

Faults apply to contract routes only, in this order: a hang (the request never answers until
the client gives up or `hang` is cleared), added latency with jitter, then an injected error
with probability `error_rate`, rendered in the upstream's own error shape by the simulator's
`error_response`. `paths` limits faults to routes whose template starts with one of the given
prefixes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from .access import READ_METHODS, WorldAccess
from .dataset import World, generate_world
from .mutations import MutationError, mutate

ErrorResponse = Callable[[int, str], web.StreamResponse]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WorldHolder:
    """Owns the current world; `reset()` swaps in a freshly generated copy of the original.

    Simulators started together share one holder, so they describe the same world, and
    its `access` gate: reads rendered on threads side by side, changes alone.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.access = WorldAccess()
        self._origin = (world.seed, world.scale, world.today)
        self._reset_callbacks: list[Callable[[World], None]] = []

    def on_reset(self, callback: Callable[[World], None]) -> None:
        self._reset_callbacks.append(callback)

    def reset(self) -> World:
        seed, scale, today = self._origin
        fresh = generate_world(seed, scale, today)
        fresh.clock = self.world.clock
        fresh.listeners = self.world.listeners
        self.world = fresh
        for callback in self._reset_callbacks:
            callback(fresh)
        return fresh


@dataclass(slots=True)
class Faults:
    """What the simulator does wrong on purpose. Defaults: nothing."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    hang: bool = False
    rate_limit_per_minute: int | None = None  # None: the contract's limit
    token_lifetime_seconds: int | None = None  # None: the contract's lifetime
    paths: list[str] = field(default_factory=list)  # route-template prefixes; empty = all

    def validate(self) -> None:
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must not be negative.")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"error_rate must be between 0 and 1, got {self.error_rate}.")
        if not 400 <= self.error_status <= 599:
            raise ValueError(f"error_status must be a 4xx or 5xx code, got {self.error_status}.")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1.")
        if self.token_lifetime_seconds is not None and self.token_lifetime_seconds < 1:
            raise ValueError("token_lifetime_seconds must be at least 1.")

    def applies_to(self, route: str) -> bool:
        return not self.paths or any(route.startswith(prefix) for prefix in self.paths)


@dataclass(slots=True)
class RouteStats:
    count: int = 0
    not_modified: int = 0
    rate_limited: int = 0
    errors: int = 0  # status >= 400 (429 included)
    peak_in_flight: int = 0  # the most requests of the route open at once


def route_template(request: web.Request) -> str:
    """The matched route's template (`/api/v2/users/{id}`), or the raw path if none matched."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


class SimControl:
    """Stats, faults, clock, reset and mutate for one simulator."""

    def __init__(self, name: str, holder: WorldHolder, *, error_response: ErrorResponse) -> None:
        self.name = name
        self.holder = holder
        self.faults = Faults()
        self.stats: dict[tuple[str, str], RouteStats] = {}
        self._in_flight: Counter[tuple[str, str]] = Counter()
        self.status_counts: Counter[int] = Counter()
        self._error_response = error_response
        self._offset = timedelta(0)
        self._rng = random.Random(f"faults:{name}")
        self._reset_callbacks: list[Callable[[], None]] = []
        self._hang = asyncio.Event()
        holder.world.clock = self.clock

    # -- time ---------------------------------------------------------------------------

    def clock(self) -> datetime:
        """Now, in UTC, plus whatever `/__sim/clock` advanced it by."""
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def world(self) -> World:
        return self.holder.world

    def on_reset(self, callback: Callable[[], None]) -> None:
        self._reset_callbacks.append(callback)

    def reset(self) -> None:
        self.holder.reset()
        self.holder.world.clock = self.clock
        self.stats.clear()
        self.status_counts.clear()
        self.faults = Faults()
        self._offset = timedelta(0)
        self._release_hangs()
        for callback in self._reset_callbacks:
            callback()

    def _release_hangs(self) -> None:
        self._hang.set()
        self._hang = asyncio.Event()

    def install(self, app: web.Application) -> None:
        """Add the middleware (first, so it sees every request) and the `/__sim/` routes."""
        app.middlewares.insert(0, self._middleware)
        app.router.add_get("/__sim/stats", self._get_stats)
        app.router.add_post("/__sim/reset", self._post_reset)
        app.router.add_get("/__sim/faults", self._get_faults)
        app.router.add_post("/__sim/faults", self._post_faults)
        app.router.add_post("/__sim/mutate", self._post_mutate)
        app.router.add_post("/__sim/clock", self._post_clock)

    # -- middleware ----------------------------------------------------------------------

    async def _alone_if_writing(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A request that may change the world waits for the reads under way, runs alone."""
        if request.method in READ_METHODS:
            return await handler(request)
        async with self.holder.access.writing_alone():
            return await handler(request)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(("/__sim/", "/sim/")):  # control and simulator admin
            return await self._alone_if_writing(request, handler)
        route = route_template(request)
        key = (request.method, route)
        self._in_flight[key] += 1
        stats = self.stats.setdefault(key, RouteStats())
        stats.peak_in_flight = max(stats.peak_in_flight, self._in_flight[key])
        try:
            return await self._answer(request, handler, route)
        finally:
            self._in_flight[key] -= 1

    async def _answer(
        self, request: web.Request, handler: Handler, route: str
    ) -> web.StreamResponse:
        faults = self.faults
        response: web.StreamResponse
        if faults.applies_to(route):
            if faults.hang:
                await self._hang.wait()
            delay = faults.latency_ms + (
                self._rng.uniform(0, faults.jitter_ms) if faults.jitter_ms else 0.0
            )
            if delay:
                await asyncio.sleep(delay / 1000)
            if faults.error_rate and self._rng.random() < faults.error_rate:
                response = self._error_response(faults.error_status, "Injected fault.")
                self._count(request.method, route, response.status)
                return response
        try:
            response = await self._alone_if_writing(request, handler)
        except web.HTTPException as exc:
            self._count(request.method, route, exc.status)
            raise
        self._count(request.method, route, response.status)
        return response

    def _count(self, method: str, route: str, status: int) -> None:
        stats = self.stats.setdefault((method, route), RouteStats())
        stats.count += 1
        stats.not_modified += status == 304
        stats.rate_limited += status == 429
        stats.errors += status >= 400
        self.status_counts[status] += 1

    def snapshot(self) -> dict[str, Any]:
        routes = [
            {"method": method, "route": route, **dataclasses.asdict(s)}
            for (method, route), s in sorted(
                self.stats.items(), key=lambda kv: (kv[0][1], kv[0][0])
            )
        ]
        return {
            "simulator": self.name,
            "total": sum(s.count for s in self.stats.values()),
            "not_modified": sum(s.not_modified for s in self.stats.values()),
            "rate_limited": sum(s.rate_limited for s in self.stats.values()),
            "errors": sum(s.errors for s in self.stats.values()),
            "in_flight": sum(self._in_flight.values()),
            "by_status": {str(k): v for k, v in sorted(self.status_counts.items())},
            "routes": routes,
            "revision": self.world.revision,
        }

    # -- routes --------------------------------------------------------------------------

    async def _get_stats(self, request: web.Request) -> web.Response:
        body = self.snapshot()
        if request.query.get("reset") == "true":
            self.stats.clear()
            self.status_counts.clear()
        return web.json_response(body)

    async def _post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True, "revision": self.world.revision})

    async def _get_faults(self, request: web.Request) -> web.Response:
        return web.json_response(dataclasses.asdict(self.faults))

    async def _post_faults(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        if body.pop("clear", False):
            self.faults = Faults()
            self._release_hangs()
            body_faults = self.faults
        else:
            known = {f.name for f in dataclasses.fields(Faults)}
            unknown = sorted(set(body) - known)
            if unknown:
                raise _bad_request(f"Unknown fault fields {unknown}; expected {sorted(known)}.")
            try:
                body_faults = dataclasses.replace(self.faults, **body)
                body_faults.validate()
            except (TypeError, ValueError) as exc:
                raise _bad_request(str(exc)) from exc
            if self.faults.hang and not body_faults.hang:
                self._release_hangs()
            self.faults = body_faults
        return web.json_response(dataclasses.asdict(body_faults))

    async def _post_mutate(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        school_id: int | None = None
        if "school" in body:
            school = self.world.school_by_code(str(body["school"]))
            if school is None:
                raise _bad_request(f"No school has the code {body['school']!r}.")
            school_id = school.id
        try:
            result = mutate(
                self.world,
                table=str(body.get("table", "")),
                action=str(body.get("action", "update")),
                count=int(body.get("count", 1)),
                ids=[int(i) for i in body["ids"]] if body.get("ids") else None,
                school_id=school_id,
            )
        except (MutationError, TypeError, ValueError) as exc:
            raise _bad_request(str(exc)) from exc
        return web.json_response(result.as_json())

    async def _post_clock(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        if body.get("reset"):
            self._offset = timedelta(0)
        else:
            try:
                self.advance(float(body["advance_seconds"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise _bad_request('Send {"advance_seconds": N} or {"reset": true}.') from exc
        return web.json_response({"now": self.clock().isoformat()})


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as exc:
        raise _bad_request("The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise _bad_request("The body must be a JSON object.")
    return body
