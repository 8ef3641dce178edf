"""How long the gateway takes to refuse documents far over the token limit, and whether the
event loop stays free meanwhile.

Run: ``python benchmarks/huge_documents.py``. Serves a demo gateway (small world) on
loopback and posts ``{ a a a ... }`` documents of 20,000 to 500,000 tokens (up to 1 MB, the
default body limit), three of each; for each size it prints the median time to the
``QUERY_LIMIT_EXCEEDED`` answer and the slowest ``/healthz`` sent while it was being refused.
"""

# The figures printed are this command's output.
# ruff: noqa: T201

from __future__ import annotations

import asyncio
import json
import statistics
import time

import aiohttp
from aiohttp import web

from schoolgraph.app import create_app
from schoolgraph.config import Settings

SIZES = (20_000, 200_000, 500_000)
RUNS = 3


async def _timed(http: aiohttp.ClientSession, url: str, body: bytes | None = None) -> float:
    """Milliseconds to GET ``url`` (POST ``body`` as JSON, encoded beforehand: the client
    shares this process's event loop, so its own work would count)."""
    started = time.perf_counter()
    if body is None:
        request = http.get(url)
    else:
        request = http.post(url, data=body, headers={"Content-Type": "application/json"})
    async with request as response:
        await response.read()
    return (time.perf_counter() - started) * 1000


async def main() -> None:
    app = create_app(Settings(demo_scale="small"))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await _timed(http, f"{base}/healthz")
            print(
                f"{'tokens':>8}  {'bytes':>9}  {'refused in (ms)':>15}"
                f"  {'slowest /healthz meanwhile (ms)':>31}"
            )
            for size in SIZES:
                body = json.dumps({"query": "{ " + "a " * size + "}"}).encode()
                refusals, probes = [], []
                for _ in range(RUNS):
                    refusal = asyncio.ensure_future(_timed(http, f"{base}/graphql", body))
                    while not refusal.done():
                        probes.append(await _timed(http, f"{base}/healthz"))
                    refusals.append(await refusal)
                print(
                    f"{size:>8,}  {len(body):>9,}  {statistics.median(refusals):>15.1f}"
                    f"  {max(probes):>31.1f}"
                )
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
