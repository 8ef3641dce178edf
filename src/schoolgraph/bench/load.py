"""The load generator: GraphQL requests at a fixed concurrency, from a process of its own.

The gateway under test runs in the bench's process; the clients that time it run here, in a
child process, so that building requests and reading answers does not steal the gateway's
event loop (the figures would then be the client's). The two talk JSON lines over the
child's stdin and stdout: one :class:`Job` in, one :class:`Sample` out.

Run as ``python -m schoolgraph.bench.load`` (the bench starts it through :class:`LoadClient`).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

__all__ = ["Job", "LoadClient", "Sample", "end_child"]


@dataclass(frozen=True, slots=True)
class Job:
    """``concurrency`` clients POST ``body`` to ``url`` back to back.

    They stop after ``requests`` answers in all, or once ``duration`` seconds have passed
    (whichever comes first; at least one of them is set). ``keep_body``: the first answer's
    body comes back in the sample, to check what the query returned.
    """

    url: str
    body: dict[str, Any]
    concurrency: int = 1
    requests: int | None = None
    duration: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    keep_body: bool = False


@dataclass(slots=True)
class Sample:
    """Seconds each request took (in completion order), the wall time, and what failed.

    ``first_began`` is when the first request to be answered was sent, on the clock of
    ``time.perf_counter`` (the monotonic clock every process of the machine shares on Linux,
    and the simulators' traces are read on), so that the bench can place a cold request's
    upstream calls inside it.
    """

    latencies: list[float]
    elapsed: float
    failures: int = 0
    failure: str | None = None
    body: Any = None
    first_began: float | None = None


async def run_job(http: aiohttp.ClientSession, job: Job) -> Sample:
    payload = json.dumps(job.body, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", **job.headers}
    latencies: list[float] = []
    sample = Sample(latencies, 0.0)
    started = time.perf_counter()
    stop_at = started + job.duration if job.duration is not None else float("inf")
    budget = job.requests if job.requests is not None else sys.maxsize

    async def client() -> None:
        nonlocal budget
        while budget > 0 and time.perf_counter() < stop_at:
            budget -= 1
            began = time.perf_counter()
            async with http.post(job.url, data=payload, headers=headers) as response:
                raw = await response.read()
            latencies.append(time.perf_counter() - began)
            if sample.first_began is None:
                sample.first_began = began
            if response.status != 200:
                sample.failures += 1
                sample.failure = f"HTTP {response.status}: {raw[:300]!r}"
            elif job.keep_body and sample.body is None:
                sample.body = json.loads(raw)

    await asyncio.gather(*(client() for _ in range(job.concurrency)))
    sample.elapsed = time.perf_counter() - started
    return sample


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        while line := await reader.readline():
            sample = await run_job(http, Job(**json.loads(line)))
            sys.stdout.write(json.dumps(asdict(sample), separators=(",", ":")) + "\n")
            sys.stdout.flush()


class LoadClient:
    """The bench's handle on the load process: ``await client.run(job)``."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self.answered_cpu = 0.0
        """This process's CPU time (``time.process_time``) when the last job's sample had
        arrived, before it was decoded: a kept body can be megabytes of JSON, whose decoding
        here is not the gateway's work."""

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "schoolgraph.bench.load",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 30,
        )

    async def run(self, job: Job) -> Sample:
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise RuntimeError("The load process has not been started.")
        process.stdin.write(json.dumps(asdict(job), separators=(",", ":")).encode() + b"\n")
        await process.stdin.drain()
        line = await process.stdout.readline()
        self.answered_cpu = time.process_time()
        if not line:
            raise RuntimeError(f"The load process ended (exit code {await process.wait()}).")
        return Sample(**json.loads(line))

    async def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            await end_child(process)


async def end_child(process: asyncio.subprocess.Process, grace: float = 20.0) -> None:
    """End a child the bench started: close its stdin (its signal to stop), give it ``grace``
    seconds to exit, then kill it."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()


if __name__ == "__main__":
    asyncio.run(_serve())
