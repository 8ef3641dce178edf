"""The simulated upstreams of a bench run: a process each, every request timed.

The simulators serve large lists; in the gateway's process their work would be the
gateway's latency, and in one process together Xporter rendering a school's 3,900 students
would hold up Tanda's next page of users. Here each runs in a process of its own, like real
upstreams (each generates the same world from the seed), and each records when each request
arrived and when its answer left (the injected latency included), so the bench can lay a
request's upstream calls out in time (`critical_path`).

Run as ``python -m schoolgraph.bench.upstreams --scale large --only tanda``: the first line
of output is ``SimulatorStack.describe()`` as JSON (the URLs of the upstreams it does not
serve are empty); the process serves until its stdin closes. :class:`Upstreams` is the
bench's handle on the three: start, stats, faults, trace, close.

Each simulator gains one route: ``GET /__sim/trace`` (``?reset=true`` empties it).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, get_args

import aiohttp
import orjson
from aiohttp import web

from schoolgraph.bench.load import end_child
from schoolgraph.collector import DEFAULT_THRESHOLD, tune_collector
from schoolgraph.simulators.control import WorldHolder, route_template
from schoolgraph.simulators.dataset import Scale, generate_world
from schoolgraph.simulators.stack import UPSTREAMS, SimulatorStack
from schoolgraph.simulators.tanda import create_tanda_app
from schoolgraph.simulators.tass import create_tass_app
from schoolgraph.simulators.xporter import create_xporter_app

__all__ = ["PAGE_PARAMS", "Call", "Upstreams", "trace_app"]

PAGE_PARAMS = frozenset({"page", "page_size", "pageSize", "$skip", "$top"})
"""Query parameters that pick a page of a list rather than the list."""

_FACTORIES: Mapping[str, Callable[[WorldHolder], web.Application]] = {
    "tanda": create_tanda_app,
    "xporter": create_xporter_app,
    "tass": create_tass_app,
}
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Call:
    """One request a simulator served, as its trace records it.

    ``list_key`` names the list the request reads (path and parameters, less the page
    parameters), so that the pages of one list can be told from another list's. For a page
    answered with a JSON array, ``rows`` is its length and ``size`` the page size asked for
    (``page_size`` or ``$top``): a page with fewer rows than asked for is a list's last.
    """

    upstream: str
    method: str
    route: str
    list_key: str
    page: int | None
    start: float
    end: float
    status: int
    rows: int | None = None
    size: int | None = None


def _page(query: Mapping[str, str]) -> int | None:
    """Where in its list a request reads: a page number, or an offset (``$skip``)."""
    for name in ("page", "$skip"):
        if name in query and query[name].isdigit():
            return int(query[name])
    return None


def _page_size(query: Mapping[str, str]) -> int | None:
    for name in ("page_size", "pageSize", "$top"):
        if name in query and query[name].isdigit():
            return int(query[name])
    return None


def _rows(body: bytes) -> int | None:
    """The length of a JSON array answer; None for anything else."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return len(value) if isinstance(value, list) else None


_BODIES_KEPT = 64 * 2**20
"""Bytes of pages' answers a trace keeps to count until it is read (a cold run's are a few
megabytes; warm runs without the cache would pile up gigabytes, and go uncounted)."""


class _Trace:
    """A simulator's calls; the pages' answers are counted when the trace is read, so that
    counting costs the simulator nothing while it serves."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.bodies: dict[int, bytes] = {}  # index in `calls` -> a page's answer
        self.kept = 0

    def keep(self, index: int, body: bytes) -> None:
        if self.kept + len(body) <= _BODIES_KEPT:
            self.bodies[index] = body
            self.kept += len(body)

    def read(self, *, reset: bool) -> list[dict[str, Any]]:
        for index, body in self.bodies.items():
            call = self.calls[index]
            self.calls[index] = replace(call, rows=_rows(body))
        self.bodies.clear()
        self.kept = 0
        rows = [asdict(call) for call in self.calls]
        if reset:
            self.calls.clear()
        return rows


def _tracer(upstream: str, trace: _Trace) -> Any:
    @web.middleware
    async def traced(request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.path.startswith(("/__sim/", "/sim/")):
            return await handler(request)
        start = time.perf_counter()
        status = 500
        body: bytes | None = None
        try:
            response = await handler(request)
            status = response.status
            if isinstance(response, web.Response) and isinstance(response.body, bytes):
                body = response.body
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            end = time.perf_counter()
            page = _page(request.query)
            rest = sorted((k, v) for k, v in request.query.items() if k not in PAGE_PARAMS)
            if page is not None and status == 200 and body is not None:
                trace.keep(len(trace.calls), body)
            trace.calls.append(
                Call(
                    upstream=upstream,
                    method=request.method,
                    route=route_template(request),
                    list_key=f"{request.method} {request.path}?{rest}",
                    page=page,
                    start=start,
                    end=end,
                    status=status,
                    size=_page_size(request.query) if page is not None else None,
                )
            )

    return traced


def _trace_route(trace: _Trace) -> _Handler:
    async def read(request: web.Request) -> web.StreamResponse:
        return web.json_response(trace.read(reset=request.query.get("reset") == "true"))

    return read


def trace_app(app: web.Application, upstream: str) -> None:
    """Record every request `app` serves as a `Call` of `upstream`, read (and emptied, with
    ``?reset=true``) at ``GET /__sim/trace``."""
    trace = _Trace()
    app.middlewares.insert(0, _tracer(upstream, trace))
    app.router.add_get("/__sim/trace", _trace_route(trace))


async def _start(scale: Scale, seed: int, only: tuple[str, ...]) -> SimulatorStack:
    """The simulators named in ``only`` on loopback, each with a trace (as
    `start_simulators`, traced)."""
    holder = WorldHolder(generate_world(seed, scale))
    stack = SimulatorStack(holder, dict.fromkeys(UPSTREAMS, ""))
    try:
        for name in only:
            app = _FACTORIES[name](holder)
            trace_app(app, name)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            stack.runners.append(runner)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            stack.urls[name] = f"http://127.0.0.1:{runner.addresses[0][1]}"
    except BaseException:
        await stack.close()
        raise
    return stack


async def _serve(scale: Scale, seed: int, only: tuple[str, ...]) -> None:
    stack = await _start(scale, seed, only)
    # Tuned as the gateway's is: a simulator holds its whole world, and Python's collector
    # walked it every few hundred requests (traced in a cold dashboard: 50 to 90 ms oldest
    # and 4 to 6 ms young collections in each simulator process). A pause before a request's
    # handler starts is not in its served time, so the gateway was charged for it.
    tune_collector(DEFAULT_THRESHOLD)
    described = {
        **stack.describe(),
        "collector": {"threshold": gc.get_threshold()[0], "frozen": gc.get_freeze_count()},
    }
    try:
        sys.stdout.write(json.dumps(described, separators=(",", ":")) + "\n")
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await reader.read()  # until the bench closes our stdin
    finally:
        await stack.close()


class Upstreams:
    """The bench's handle on the simulators' process.

    Args:
        scale: the world's size.
        seed: the world's seed.
    """

    def __init__(self, scale: Scale, seed: int = 7) -> None:
        self.scale = scale
        self.seed = seed
        self.described: dict[str, Any] = {}
        self._processes: list[asyncio.subprocess.Process] = []
        self._http: aiohttp.ClientSession | None = None

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.described[name]["url"] for name in UPSTREAMS}

    async def start(self) -> None:
        """One process per upstream, started together; ``described`` merges what each says
        of its own upstream."""
        try:
            described = await asyncio.gather(*(self._start_one(name) for name in UPSTREAMS))
        except BaseException:
            await self.close()
            raise
        merged = dict(described[0])
        for name, found in zip(UPSTREAMS, described, strict=True):
            merged[name] = found[name]
        merged["collector"] = {
            name: found["collector"] for name, found in zip(UPSTREAMS, described, strict=True)
        }
        self.described = merged
        self._http = aiohttp.ClientSession()

    async def _start_one(self, name: str) -> dict[str, Any]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "schoolgraph.bench.upstreams",
            "--scale",
            self.scale,
            "--seed",
            str(self.seed),
            "--only",
            name,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 24,
        )
        self._processes.append(process)
        assert process.stdout is not None  # noqa: S101 - asked for with PIPE
        line = await process.stdout.readline()
        if not line:
            code = await process.wait()
            raise RuntimeError(f"The {name} simulator did not start (exit code {code}).")
        found: dict[str, Any] = json.loads(line)
        return found

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("The simulators have not been started.")
        return self._http

    async def _get(self, upstream: str, path: str, **params: str) -> Any:
        async with self.http.get(self.urls[upstream] + path, params=params) as response:
            response.raise_for_status()
            return await response.json()

    async def stats(self, *, reset: bool = True) -> dict[str, dict[str, Any]]:
        """Each simulator's ``/__sim/stats`` (requests by route, 304s, totals)."""
        query = {"reset": "true"} if reset else {}
        return {name: await self._get(name, "/__sim/stats", **query) for name in UPSTREAMS}

    async def settled(self, *, within: float = 5.0) -> bool:
        """Wait until no simulator has a request open (a cold request's page asked for past
        a list's end can still be on its way when the answer has left): its count belongs
        to the request that asked for it. False if requests were still open after ``within``
        seconds."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + within
        while True:
            stats = await self.stats(reset=False)
            if not any(found.get("in_flight") for found in stats.values()):
                return True
            if loop.time() >= give_up:
                return False
            await asyncio.sleep(0.005)

    async def trace(self, *, reset: bool = True) -> list[Call]:
        """Every request served since the last reset, by start time."""
        query = {"reset": "true"} if reset else {}
        calls = [
            Call(**row)
            for name in UPSTREAMS
            for row in await self._get(name, "/__sim/trace", **query)
        ]
        return sorted(calls, key=lambda call: call.start)

    async def faults(self, **faults: Any) -> None:
        """Set the same faults on every simulator (``latency_ms``, ``rate_limit_per_minute``)."""
        for name in UPSTREAMS:
            async with self.http.post(self.urls[name] + "/__sim/faults", json=faults) as response:
                response.raise_for_status()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        processes, self._processes = self._processes, []
        await asyncio.gather(*(end_child(process) for process in processes))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m schoolgraph.bench.upstreams")
    parser.add_argument("--scale", choices=get_args(Scale), default="large")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only", action="append", choices=UPSTREAMS, help="serve this upstream (repeatable)"
    )
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.scale, args.seed, tuple(args.only or UPSTREAMS)))


if __name__ == "__main__":
    main()
