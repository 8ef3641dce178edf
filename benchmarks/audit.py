"""The audit log's cost: on the request path, and of reading a large log.

    python benchmarks/audit.py                       # 4000 requests, 300 000 records
    python benchmarks/audit.py --requests 2000 --records 100000

1. Recording: a gateway (no upstreams, anonymous, no rate limit, accounts on disk) is served
   on loopback in this process and sent ``--requests`` ``{ service { name } }`` queries from
   ``--clients`` concurrent clients, with the audit log on and then off. Printed: throughput
   and latency percentiles of each, and the records counted after shutdown (must equal the
   requests).
2. Reading: ``--records`` synthetic records (40 accounts, 25 endpoints, 5% errors, spread over
   90 days) are written through the store's batch insert, then each reader question is timed
   (the median of 5 runs).

Client and server share this process and the machine's CPUs: compare the two runs with each
other, not with other benchmarks.
"""

# The figures printed are this command's output.
# ruff: noqa: T201

from __future__ import annotations

import argparse
import asyncio
import datetime
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from schoolgraph.app import create_app
from schoolgraph.audit.models import AuditFilter, AuditRecord
from schoolgraph.audit.store import AuditStore
from schoolgraph.config import Mode, Settings
from schoolgraph.server import serve_app


async def _serve(settings: Settings) -> tuple[str, asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    listening: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_app(
            create_app(settings),
            host="127.0.0.1",
            port=0,
            shutdown_timeout=30.0,
            stop=stop,
            on_listening=listening.set_result,
        )
    )
    return str(await listening), stop, task


async def record_run(folder: Path, *, audit: bool, requests: int, clients: int) -> None:
    db = folder / f"audit-{audit}.sqlite3"
    settings = Settings(mode=Mode.UPSTREAM, anonymous=True, rate_limit=0, db_path=db, audit=audit)
    url, stop, serving = await _serve(settings)
    latencies: list[float] = []
    queue = iter(range(requests))
    body = {"query": "{ service { name } }"}

    async def client(http: aiohttp.ClientSession) -> None:
        for _ in queue:
            started = time.perf_counter()
            async with http.post(f"{url}/graphql", json=body) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"The gateway answered {response.status}.")
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    seconds = time.perf_counter() - started
    stop.set()
    await serving
    latencies.sort()
    counted = "-"
    if audit:
        store = AuditStore(db)
        await store.open()
        counted = str(await store.count())
        await store.close()
    print(
        f"audit {'on ' if audit else 'off'}  {requests} requests, {clients} clients: "
        f"{requests / seconds:7.0f} req/s  p50 {latencies[len(latencies) // 2]:6.2f} ms  "
        f"p99 {latencies[int(len(latencies) * 0.99)]:6.2f} ms  records {counted}"
    )


def synthetic(count: int, now: datetime.datetime) -> list[AuditRecord]:
    rng = random.Random(7)  # noqa: S311 - a seeded, repeatable workload
    accounts = [(f"SG{n:04d}", f"Partner {n}") for n in range(1, 41)]
    endpoints = [f"query Query.field{n}" for n in range(22)] + [
        "POST /auth/token",
        "POST /graphql",
        "GET (no route)",
    ]
    records = []
    for n in range(count):
        code, name = rng.choice(accounts)
        error = rng.random() < 0.05
        records.append(
            AuditRecord(
                request_id=f"r{n}",
                at=now - datetime.timedelta(seconds=rng.uniform(0, 90 * 86400)),
                account_code=code,
                account_name=name,
                company=f"tass:{rng.randint(1, 5):02d}",
                method=rng.choice(("POST", "POST", "POST", "GET")),
                endpoint=rng.choice(endpoints),
                path="/graphql",
                status=400 if error else 200,
                error_codes=("GRAPHQL_VALIDATION_FAILED",) if error else (),
                error_message="Cannot query field 'x'." if error else None,
                ip="127.0.0.1",
                elapsed_ms=rng.uniform(1, 200),
                request_bytes=rng.randint(50, 2000),
                response_bytes=rng.randint(100, 200_000),
                user_agent="bench",
                query_parameters=None,
                variables=None,
                stack=None,
            )
        )
    return records


async def read_run(folder: Path, records: int) -> None:
    store = AuditStore(folder / "read.sqlite3")
    await store.open()
    now = datetime.datetime.now(datetime.UTC)
    rows = synthetic(records, now)
    started = time.perf_counter()
    for start in range(0, len(rows), 5000):
        await store.insert(rows[start : start + 5000])
    seconds = time.perf_counter() - started
    print(f"wrote {records} records in batches of 5000: {records / seconds:,.0f} records/s")
    today = now.date()
    month = today - datetime.timedelta(days=29)
    questions: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("search, 30 days, first page", lambda: store.search(AuditFilter(date_from=month))),
        (
            "search, 30 days, errors only",
            lambda: store.search(AuditFilter(date_from=month, errors_only=True)),
        ),
        (
            "search, one user, 30 days",
            lambda: store.search(AuditFilter(date_from=month, users=("SG0007",))),
        ),
        ("search, message text", lambda: store.search(AuditFilter(message="field 'x'"))),
        ("error details", lambda: store.record("r12345")),
        ("recent errors", lambda: store.recent_errors()),
        ("top users (all)", lambda: store.top_users(None)),
        ("top endpoints (all)", lambda: store.top_endpoints(None)),
        ("user statistics (all)", lambda: store.user_statistics("SG0007", limit=None)),
        ("endpoint statistics", lambda: store.endpoint_statistics("query Query.field3")),
        (
            "timeline, 90 days in 90",
            lambda: store.timeline(now - datetime.timedelta(days=90), now, 90),
        ),
    ]
    for name, question in questions:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            await question()
            times.append((time.perf_counter() - started) * 1000)
        print(f"  {name:<32} {statistics.median(times):8.1f} ms")
    await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--records", type=int, default=300_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for audit in (True, False, True, False):  # alternate: neither run gets a warm machine
            await record_run(folder, audit=audit, requests=args.requests, clients=args.clients)
            for path in await asyncio.to_thread(lambda: list(folder.glob("audit-*"))):
                path.unlink()
        await read_run(folder, args.records)


if __name__ == "__main__":
    asyncio.run(main())
