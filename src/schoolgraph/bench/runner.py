"""Running the bench: the gateway against simulated upstreams with injected latency.

Per configuration (the gateway as built, then the ``no-batching`` and ``no-cache``
baselines, all in this process):

1. **warm**: one gateway with every query's data cached answers each query for ``duration``
   seconds at each concurrency (1, 8, 32 clients; the clients run in a process of their
   own), then ``{ __typename }``; the first configuration's gateway runs before any other,
   so the process's peak RSS then is that of one gateway holding the whole dataset;
2. **cold**: for each query, a fresh gateway (empty cache, no tokens) answers it once; the
   simulators count the upstream requests it made and trace when each ran, which gives the
   critical path; a second request right after counts the **warm** requests.

Then graphql-core answers the big list from memory. Upstream rate limits are lifted (simulators and
clients alike) so that the figures measure the gateway rather than Tanda's quota of 200
requests a minute; each query's request counts say what quota it would use.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from schoolgraph.app import RUNTIME, create_app
from schoolgraph.bench.critical_path import critical_path
from schoolgraph.bench.idle_collections import IdleCollections
from schoolgraph.bench.load import Job, LoadClient, Sample
from schoolgraph.bench.queries import QUERIES, TRIVIAL, BenchQuery, Fixture, discover
from schoolgraph.bench.reference import reference_time
from schoolgraph.bench.steady import steady_traffic
from schoolgraph.bench.upstreams import Upstreams
from schoolgraph.collector import DEFAULT_THRESHOLD, collect_between_requests, tune_collector
from schoolgraph.config import Mode, Settings
from schoolgraph.graph.answers import ANSWERS, AnswerStats
from schoolgraph.runtime import demo_settings
from schoolgraph.server import serve_app
from schoolgraph.simulators.dataset import Scale

__all__ = ["CONFIGS", "Config", "Options", "median_of_runs", "run_bench"]

NO_LIMIT = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Config:
    """One way of building the gateway."""

    name: str
    batching: bool = True
    cache: bool = True
    answers: bool = True


# The baselines measure executing operations: none keeps whole answers.
CONFIGS: tuple[Config, ...] = (
    Config("gateway"),
    Config("no-answers", answers=False),
    Config("no-batching", batching=False, answers=False),
    Config("no-cache", cache=False, answers=False),
)


@dataclass(frozen=True, slots=True)
class Options:
    """What to run.

    Attributes:
        scale: the simulated world's size.
        seed: its seed.
        latency_ms: latency injected into every upstream request.
        duration: seconds of each warm run (one query at one concurrency).
        concurrency: client counts of the warm runs.
        baselines: which baselines run after the gateway (``no-answers``, ``no-batching``,
            ``no-cache``).
        queries: which queries run (all when empty).
        cold_runs: how many times each query runs cold on the gateway (not the baselines,
            whose request counts do not move); the figures are the medians.
        gc_threshold: the collector tuning ``schoolgraph serve`` applies
            (`schoolgraph.collector`), applied to this process, which is the gateway's.
        malloc_arenas: the malloc arena limit this process runs under, as ``schoolgraph
            serve`` sets it (`schoolgraph.allocator`; the command sets it before the bench
            starts any thread); 0: glibc's default. Reported, not applied here.
        steady_steps: requests of each steady run (`schoolgraph.bench.steady`); 0 skips them.
        steady_step: seconds of the gateway's clock between two requests of a steady run.
        steady_queries: the queries run steadily (those of them that run at all).
    """

    scale: Scale = "large"
    seed: int = 7
    latency_ms: float = 20.0
    duration: float = 3.0
    concurrency: tuple[int, ...] = (1, 8, 32)
    baselines: tuple[str, ...] = ("no-answers", "no-batching", "no-cache")
    queries: tuple[str, ...] = ()
    cold_runs: int = 5
    gc_threshold: int = DEFAULT_THRESHOLD
    malloc_arenas: int = 0
    steady_steps: int = 60
    steady_step: float = 10.0
    steady_queries: tuple[str, ...] = ("dashboard", "roster-week")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0 to 100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def warm_figures(sample: Sample) -> dict[str, Any]:
    latencies = sample.latencies
    return {
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "rps": round(len(latencies) / sample.elapsed, 1) if sample.elapsed else 0.0,
        "failures": sample.failures,
        **({"failure": sample.failure} if sample.failure else {}),
    }


def rss_mb() -> float | None:
    """The process's resident set size now, after a garbage collection, in MB (Linux only)."""
    gc.collect()
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return round(pages * resource.getpagesize() / 1_000_000, 1)


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (``ru_maxrss``), in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return round(peak * scale / 1_000_000, 1)


def _requests(stats: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {name: int(snapshot["total"]) for name, snapshot in stats.items()}


def _not_modified(stats: dict[str, dict[str, Any]]) -> int:
    return sum(int(snapshot["not_modified"]) for snapshot in stats.values())


class Gateway:
    """A gateway served on loopback for the bench, over the simulators."""

    def __init__(
        self, app: web.Application, config: Config, url: URL, stop: asyncio.Event, task: Any
    ) -> None:
        self.app = app
        self.config = config
        self.url = str(url / "graphql")
        self._stop = stop
        self._task = task

    @classmethod
    async def start(
        cls, settings: Settings, config: Config, *, clock: Callable[[], float] = time.monotonic
    ) -> Gateway:
        app = create_app(settings, batching=config.batching, clock=clock)
        stop = asyncio.Event()
        listening: asyncio.Future[URL] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(
            serve_app(
                app,
                host="127.0.0.1",
                port=0,
                shutdown_timeout=5.0,
                stop=stop,
                on_listening=listening.set_result,
            )
        )
        first: list[asyncio.Future[Any]] = [listening, task]
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        if not listening.done():
            await task  # raises why it could not be served
        gateway = cls(app, config, listening.result(), stop, task)
        gateway.lift_rate_limits()
        return gateway

    def lift_rate_limits(self) -> None:
        runtime = self.app[RUNTIME]
        for client in (runtime.tanda, runtime.xporter, runtime.tass):
            limiter = client.transport.limiter if client is not None else None
            if limiter is not None:
                limiter.limit = NO_LIMIT

    @property
    def cache_stats(self) -> dict[str, int]:
        return self.app[RUNTIME].cache.stats.as_json()

    @property
    def answer_stats(self) -> dict[str, int]:
        answers = self.app.get(ANSWERS)
        return answers.stats.as_json() if answers is not None else AnswerStats().as_json()

    async def close(self) -> None:
        self._stop.set()
        await self._task


def median_of_runs(figures: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The cold figures of several runs of one query: each figure's median, every run's
    latency and ratio, and the most requests any run made.

    The critical path is one run's, whole: the chain, its calls, its injected latency and
    where that run's time went (``cold_time_ms``, of ``cold_time_run_ms``) come from the run
    whose critical path is the median one. Runs can take different chains
    (a big list's is TASS's pages in one run and Xporter's students in another, whichever
    the upstreams served more slowly), and a median of the injected latencies beside the
    median run's calls described no chain (100 ms over 2 calls of 20).
    """
    cold = dict(figures[0])
    for name in ("ms", "critical_path_ms", "gateway_cpu_ms"):
        cold[name] = round(statistics.median(f[name] for f in figures), 1)
    ratios = [f["ratio"] for f in figures if f["ratio"] is not None]
    cold["ratio"] = round(statistics.median(ratios), 2) if ratios else None
    cold["requests"] = max(f["requests"] for f in figures)
    cold["runs"] = [
        {
            "ms": f["ms"],
            "ratio": f["ratio"],
            "critical_path_ms": f["critical_path_ms"],
            "cold_time_ms": f.get("cold_time_ms"),
        }
        for f in figures
    ]
    path_run = min(figures, key=lambda f: abs(f["critical_path_ms"] - cold["critical_path_ms"]))
    for name in ("critical_path", "critical_path_calls", "critical_path_injected_ms"):
        cold[name] = path_run[name]
    cold["cold_time_ms"] = path_run.get("cold_time_ms")
    cold["cold_time_run_ms"] = path_run["ms"]
    return cold


@dataclass(slots=True)
class Bench:
    """One run's moving parts and what it found."""

    options: Options
    upstreams: Upstreams
    load: LoadClient
    fixture: Fixture | None = None
    results: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _: None

    @property
    def latency(self) -> float:
        return self.options.latency_ms / 1000

    async def start_gateway(
        self, settings: Settings, *, clock: Callable[[], float] = time.monotonic
    ) -> Gateway:
        """A gateway as the first configuration builds it, with ``settings`` and ``clock``."""
        return await Gateway.start(settings, CONFIGS[0], clock=clock)

    def settings(self, config: Config = CONFIGS[0]) -> Settings:
        settings = demo_settings(Settings(), self.upstreams.described)
        # Anonymous callers with every grant, as in demo mode; no per-caller rate limit (the
        # load comes from one client address); and time enough for 32 clients queueing for
        # the big queries, whose latency is what is measured.
        return dataclasses.replace(
            settings,
            mode=Mode.UPSTREAM,
            anonymous=True,
            rate_limit=0,
            request_timeout=600.0,
            cache_max_entries=settings.cache_max_entries if config.cache else 0,
            answer_cache=config.answers,
        )

    def body(self, query: BenchQuery) -> dict[str, Any]:
        """The request body of ``query``, with the ids the first gateway discovered."""
        if self.fixture is None:
            raise RuntimeError("The bench asked a query before discovering the ids to ask about.")
        return query.body(self.fixture)

    def queries(self) -> list[BenchQuery]:
        wanted = set(self.options.queries)
        return [q for q in QUERIES if not wanted or q.name in wanted]

    async def request(self, url: str, body: dict[str, Any], **job: Any) -> Sample:
        sample = await self.load.run(Job(url, body, **job))
        if sample.failures:
            raise RuntimeError(f"A bench request failed: {sample.failure}")
        return sample

    async def cold(self, config: Config, query: BenchQuery) -> dict[str, Any]:
        """The query on fresh gateways: once for a baseline, ``cold_runs`` times for the
        gateway, reporting each figure's median (and every run's latency and ratio)."""
        runs = self.options.cold_runs if config == CONFIGS[0] else 1
        found = [await self.cold_once(config, query) for _ in range(max(1, runs))]
        if len(found) == 1:
            return found[0]
        return {**found[0], "cold": median_of_runs([run["cold"] for run in found])}

    async def cold_once(self, config: Config, query: BenchQuery) -> dict[str, Any]:
        body = self.body(query)
        gateway = await Gateway.start(self.settings(config), config)
        try:
            await self.upstreams.stats()
            await self.upstreams.trace()
            with IdleCollections() as idle:
                cpu = time.process_time()
                first = await self.request(gateway.url, body, requests=1, keep_body=True)
                # This process is the gateway's; a collection after the answer is not.
                cpu = self.load.answered_cpu - cpu - idle.seconds
            await self.upstreams.settled()  # what the cold request asked for, answered too
            cold_stats = await self.upstreams.stats()
            trace = await self.upstreams.trace()
            answer = first.body or {}
            if answer.get("errors") or not answer.get("data"):
                raise RuntimeError(f"{query.name} answered errors: {answer.get('errors')}")
            await self.request(gateway.url, body, requests=1)
            warm_stats = await self.upstreams.stats()
        finally:
            await gateway.close()
        path = critical_path(trace, self.latency, query.needs)
        cold_ms = first.latencies[0] * 1000
        began = first.first_began
        spent = path.cold_time(began, began + first.latencies[0]) if began is not None else None
        return {
            "rows": query.rows(answer["data"]),
            "cold": {
                "requests": sum(_requests(cold_stats).values()),
                "by_upstream": _requests(cold_stats),
                "ms": round(cold_ms, 1),
                "critical_path_ms": round(path.seconds * 1000, 1),
                "critical_path_injected_ms": round(path.injected * 1000, 1),
                "gateway_cpu_ms": round(cpu * 1000, 1),
                "critical_path_calls": path.calls,
                "critical_path": path.describe(),
                "ratio": round(cold_ms / (path.seconds * 1000), 2) if path.calls else None,
                "cold_time_ms": spent.as_ms() if spent is not None else None,
            },
            "warm_requests": sum(_requests(warm_stats).values()),
            "answer": answer["data"],
        }

    async def warm(self, gateway: Gateway, query: BenchQuery) -> dict[str, Any]:
        body = self.body(query)
        self.progress(f"{gateway.config.name}: warm {query.name}")
        await self.upstreams.stats()
        before, answers_before = gateway.cache_stats, gateway.answer_stats
        runs: dict[str, Any] = {}
        for clients in self.options.concurrency:
            sample = await self.request(
                gateway.url, body, concurrency=clients, duration=self.options.duration
            )
            runs[str(clients)] = warm_figures(sample)
        after, answers_after = gateway.cache_stats, gateway.answer_stats
        stats = await self.upstreams.stats()
        return {
            "runs": runs,
            "answers": {k: answers_after[k] - answers_before[k] for k in answers_after},
            "cache": {
                "hits": after["hits"] - before["hits"],
                "revalidated": after["revalidated"] - before["revalidated"],
                "not_modified": _not_modified(stats),
                "misses": after["misses"] - before["misses"],
                "stale": after["stale"] - before["stale"],
                "upstream_requests": sum(_requests(stats).values()),
            },
        }

    async def run_config(self, config: Config) -> dict[str, Any]:
        """Warm runs first, on one gateway, so that the process's peak RSS is that of one
        gateway holding every query's data (the first configuration's, measured before any
        other gateway ran); then each query cold, on a gateway of its own."""
        queries = self.queries()
        found: dict[str, Any] = {"queries": {query.name: {} for query in queries}}
        gateway = await Gateway.start(self.settings(config), config)
        try:
            if self.fixture is None:
                self.progress("discovering the ids to ask about")
                async with aiohttp.ClientSession() as http:
                    today = date.fromisoformat(self.upstreams.described["today"])
                    self.fixture = await discover(http, gateway.url, today)
            for query in queries:  # every query's data in one gateway's cache
                await self.request(gateway.url, query.body(self.fixture), requests=1)
            for query in queries:
                if not query.check:
                    found["queries"][query.name]["warm"] = await self.warm(gateway, query)
            trivial: dict[str, Any] = {}
            for clients in self.options.concurrency:
                sample = await self.request(
                    gateway.url,
                    {"query": TRIVIAL},
                    concurrency=clients,
                    duration=self.options.duration,
                )
                trivial[str(clients)] = warm_figures(sample)
            found["trivial"] = trivial
            found["peak_rss_mb"] = peak_rss_mb()
            found["rss_mb"] = rss_mb()
            found["cache_entries"] = len(gateway.app[RUNTIME].cache)
            found["cache_mb"] = round(gateway.app[RUNTIME].cache.bytes / 1_000_000, 1)
            answers = gateway.app.get(ANSWERS)
            found["answer_entries"] = len(answers) if answers is not None else 0
            found["answer_mb"] = (
                round(answers.held_bytes / 1_000_000, 1) if answers is not None else 0.0
            )
        finally:
            await gateway.close()
        for query in queries:
            self.progress(f"{config.name}: cold {query.name}")
            found["queries"][query.name].update(await self.cold(config, query))
        return found


async def run_bench(
    options: Options, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    """Run the bench and return its figures (see :mod:`schoolgraph.bench.report`)."""
    started = time.perf_counter()
    upstreams = Upstreams(options.scale, options.seed)
    load = LoadClient()
    bench = Bench(options, upstreams, load, progress=progress)
    progress(f"starting the simulators ({options.scale})")
    await upstreams.start()
    collecting: asyncio.Task[None] | None = None
    try:
        await load.start()
        if tune_collector(options.gc_threshold):  # as `schoolgraph serve` does
            collecting = asyncio.create_task(collect_between_requests(options.gc_threshold))
        await upstreams.faults(
            latency_ms=options.latency_ms, jitter_ms=0.0, rate_limit_per_minute=NO_LIMIT
        )
        configs = [CONFIGS[0], *(c for c in CONFIGS[1:] if c.name in options.baselines)]
        results: dict[str, Any] = {}
        for config in configs:
            results[config.name] = await bench.run_config(config)
        steady: dict[str, list[dict[str, Any]]] = {}
        for query in bench.queries():  # with refresh ahead as configured, then without
            if options.steady_steps and query.name in options.steady_queries:
                steady[query.name] = []
                for ahead in (Settings().cache_refresh_ahead, 0.0):
                    progress(f"steady: {query.name}, refresh ahead {ahead:g}")
                    found = await steady_traffic(
                        bench,
                        query,
                        refresh_ahead=ahead,
                        steps=options.steady_steps,
                        step=options.steady_step,
                    )
                    ms = found["latencies_ms"]
                    found.update(
                        p50_ms=percentile(ms, 50), p95_ms=percentile(ms, 95), max_ms=max(ms)
                    )
                    steady[query.name].append(found)
        reference = None
        big = results[CONFIGS[0].name]["queries"].get("big-list")
        if big is not None:
            progress("graphql-core: the big list from memory")
            query = next(q for q in QUERIES if q.name == "big-list")
            assert bench.fixture is not None  # noqa: S101 - discovered by the first config
            reference = reference_time(
                query.document, query.variables(bench.fixture), big["answer"]
            ).as_json()
        for found in results.values():
            for figures in found["queries"].values():
                figures.pop("answer", None)
    finally:
        if collecting is not None:
            collecting.cancel()
        await load.close()
        await upstreams.close()
    return {
        "machine": {
            "cpus": _cpus(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
        "options": {
            **dataclasses.asdict(options),
            "concurrency": list(options.concurrency),
            "max_operations": bench.settings(CONFIGS[0]).max_concurrent_operations,
        },
        "fixture": {
            "today": bench.fixture.today.isoformat() if bench.fixture else None,
            "staff_representations": len(bench.fixture.staff_ids) if bench.fixture else 0,
        },
        "titles": {query.name: query.title for query in bench.queries()},
        "simulator_collectors": upstreams.described.get("collector", {}),
        "configs": results,
        "steady": steady,
        "reference": reference,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
