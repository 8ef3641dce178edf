"""Load and soak: many concurrent clients over a mix of cached and uncached queries.

Starts ``schoolgraph simulate`` and ``schoolgraph serve`` over it as child processes on
loopback (so the gateway's process holds the gateway alone), discovers the world through the
graph, then drives it from this process:

    python benchmarks/load.py load                  # 200 clients for 60 s
    python benchmarks/load.py soak --seconds 900    # 20 clients, 15 min, RSS sampled

Half the requests ask what the cache already holds (schools, a page of students, staff
merged across systems, groups, teams); the other half ask a random Xporter student's
attendance or timetable over a random window of one to fourteen days in a year around the
world's today, which the cache has mostly never seen, so they read upstream. Printed: requests,
throughput, latency percentiles per kind, HTTP statuses, GraphQL error codes, and the
gateway's resident memory (``VmRSS`` of the child) after warm-up and at the end (the soak
samples it throughout).

The gateway runs with ``SCHOOLGRAPH_RATE_LIMIT=0``: every client here shares one loopback
address, which the per-caller limiter would rightly throttle as one caller.
"""

# The figures printed are this command's output.
# ruff: noqa: T201

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["CACHED", "Figures", "Mix", "discover", "drive", "rss_mb"]

CACHED = (
    "{ schools { id name timeZone } }",
    "{ students(first: 50) { totalCount nodes { id displayName year } } }",
    "{ staff(first: 50) { totalCount nodes { id displayName email sources { system } } } }",
    "{ groups(first: 50) { nodes { id name studentCount } } }",
    "{ teams { id name location { name } } }",
)
ATTENDANCE = """
query ($id: ID!, $from: Date!, $to: Date!) {
  node(id: $id) { ... on Student { displayName attendance(from: $from, to: $to) { date code } } }
}
"""
TIMETABLE = """
query ($id: ID!, $from: Date!, $to: Date!) {
  node(id: $id) { ... on Student { displayName timetable(from: $from, to: $to) { start room } } }
}
"""
DISCOVER = "{ students(first: 500) { nodes { id sources { system } } } }"


@dataclass(frozen=True)
class Mix:
    """What the clients ask: the demo world's Xporter students, around its today."""

    students: Sequence[str]
    today: date
    uncached: float = 0.5
    """The share of requests that ask for a random window."""

    def request(self, rng: random.Random) -> tuple[str, dict[str, Any]]:
        """A kind (``cached`` or ``uncached``) and the JSON body of one request."""
        if rng.random() >= self.uncached:
            return "cached", {"query": rng.choice(CACHED)}
        start = self.today + timedelta(days=rng.randint(-300, 60))
        end = start + timedelta(days=rng.randint(0, 13))
        variables = {
            "id": rng.choice(self.students),
            "from": start.isoformat(),
            "to": end.isoformat(),
        }
        return "uncached", {"query": rng.choice((ATTENDANCE, TIMETABLE)), "variables": variables}


@dataclass
class Figures:
    """What a run measured."""

    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    """Requests that did not answer at all (connection errors), with why."""

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def lines(self) -> list[str]:
        every = [value for values in self.latencies.values() for value in values]
        return [
            f"requests {self.requests} in {self.seconds:.1f} s "
            f"({self.requests / max(self.seconds, 1e-9):.0f}/s)",
            _percentiles("all", every),
            *(_percentiles(kind, values) for kind, values in sorted(self.latencies.items())),
            "HTTP statuses " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items())),
            "5xx " + str(self.server_errors),
            "GraphQL errors by code "
            + (", ".join(f"{c}: {n}" for c, n in self.codes.most_common()) or "none"),
            f"requests without an answer {len(self.failures)}",
        ]


def _percentiles(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no requests"
    ordered = sorted(values)

    def at(q: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"  {label:9s} n={len(ordered):6d}  p50 {at(0.50):7.1f} ms  p95 {at(0.95):7.1f} ms  "
        f"p99 {at(0.99):7.1f} ms  max {1000 * ordered[-1]:7.1f} ms  "
        f"mean {1000 * statistics.fmean(ordered):6.1f} ms"
    )


async def discover(http: aiohttp.ClientSession, url: str, today: date) -> Mix:
    """The Xporter students of the world the gateway at ``url`` serves."""
    async with http.post(url, json={"query": DISCOVER}) as response:
        body = await response.json()
    students = [
        node["id"]
        for node in body["data"]["students"]["nodes"]
        if any(source["system"] == "XPORTER" for source in node["sources"])
    ]
    if not students:
        raise RuntimeError(f"The gateway at {url} lists no Xporter students: {body}")
    return Mix(students, today)


async def drive(
    http: aiohttp.ClientSession,
    url: str,
    mix: Mix,
    *,
    clients: int,
    seconds: float,
    seed: int = 1,
    pause: float = 0.0,
) -> Figures:
    """``clients`` clients asking ``mix`` at ``url`` for ``seconds``, each waiting ``pause``
    seconds between an answer and its next request (0: back to back)."""
    figures = Figures()
    stop_at = time.perf_counter() + seconds

    async def client(number: int) -> None:
        rng = random.Random(seed * 100_003 + number)  # noqa: S311 (a workload, not a secret)
        while time.perf_counter() < stop_at:
            kind, body = mix.request(rng)
            started = time.perf_counter()
            try:
                async with http.post(url, json=body) as response:
                    answer = await response.json(content_type=None)
                    status = response.status
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                figures.failures.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            figures.latencies.setdefault(kind, []).append(time.perf_counter() - started)
            figures.statuses[status] += 1
            for error in (answer or {}).get("errors") or ():
                figures.codes[str((error.get("extensions") or {}).get("code"))] += 1
            if pause:
                await asyncio.sleep(pause)

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    figures.seconds = time.perf_counter() - started
    return figures


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line.")


# -- the command ------------------------------------------------------------------------------


class Child:
    """``python -m schoolgraph <arguments>`` in a child process, its stderr in ``log``."""

    def __init__(self, arguments: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, our own package)
            [sys.executable, "-m", "schoolgraph", *arguments],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )

    def line(self) -> str:
        """The next line of its output."""
        return self.process.stdout.readline() if self.process.stdout is not None else ""

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def logged_errors(self) -> int:
        """Lines it logged at ERROR or above (JSON log lines)."""
        text = self.log.read_text(encoding="utf-8")
        return len(re.findall(r'"level":\s*"(?:error|critical)"', text))

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log_file.close()


def upstream_environ(described: dict[str, Any]) -> dict[str, str]:
    """``SCHOOLGRAPH_*`` variables pointing a gateway at ``schoolgraph simulate``'s upstreams."""
    tanda, xporter, tass = described["tanda"], described["xporter"], described["tass"]
    return {
        "SCHOOLGRAPH_TANDA_URL": tanda["url"],
        "SCHOOLGRAPH_TANDA_EMAIL": tanda["admin"]["email"],
        "SCHOOLGRAPH_TANDA_PASSWORD": tanda["admin"]["password"],
        "SCHOOLGRAPH_XPORTER_URL": xporter["url"],
        "SCHOOLGRAPH_XPORTER_TOKEN_URL": xporter["token_url"],
        "SCHOOLGRAPH_XPORTER_RELYING_PARTY": xporter["relying_party"],
        "SCHOOLGRAPH_XPORTER_SCHOOLS": ",".join(
            f"{school['estab']}:{school['secret']}" for school in xporter["schools"]
        ),
        "SCHOOLGRAPH_TASS_URL": tass["url"],
        "SCHOOLGRAPH_TASS_COMPANIES": ",".join(c["code"] for c in tass["companies"]),
        "SCHOOLGRAPH_TASS_CLIENT_KEY": tass["client_key"],
        "SCHOOLGRAPH_TASS_CLIENT_SECRET": tass["client_secret"],
    }


def start(args: argparse.Namespace, folder: Path) -> tuple[Child, Child, str, date]:
    """The simulators, then the gateway over them: both children, the URL, the world's today."""
    simulators = Child(
        ["simulate", "--json", "--scale", args.scale]
        + [f"--{name}-port=0" for name in ("tanda", "xporter", "tass")],
        {"SCHOOLGRAPH_LOG_FORMAT": "json"},
        folder / "simulators.log",
    )
    described = json.loads(simulators.line())
    gateway = Child(
        ["serve"],
        {
            **upstream_environ(described),
            "SCHOOLGRAPH_PORT": "0",
            "SCHOOLGRAPH_DATA_DIR": str(folder),
            "SCHOOLGRAPH_ANONYMOUS": "true",
            "SCHOOLGRAPH_RATE_LIMIT": "0",
            "SCHOOLGRAPH_LOG_FORMAT": "json",
            **dict(setting.split("=", 1) for setting in args.env),
        },
        folder / "gateway.log",
    )
    first = gateway.line()
    found = re.search(r"at (http://\S+/graphql)", first)
    if found is None:
        gateway.close()
        simulators.close()
        raise RuntimeError(f"schoolgraph serve did not start: {first!r}; see {gateway.log}")
    return simulators, gateway, found.group(1), date.fromisoformat(described["today"])


async def _run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="schoolgraph-load-") as folder:
        simulators, gateway, url, today = start(args, Path(folder))
        try:
            connector = aiohttp.TCPConnector(limit=args.clients)
            timeout = aiohttp.ClientTimeout(total=120)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
                mix = dataclasses.replace(await discover(http, url, today), uncached=args.uncached)
                # Warm-up: the cached half of the mix, and the first upstream tokens.
                await drive(http, url, mix, clients=10, seconds=5, seed=0)
                rss = [(0.0, gateway.rss_mb())]
                print(
                    f"{args.command}: {args.clients} clients for {args.seconds:g} s "
                    f"(pause {args.pause:g} s) at {url} ({args.scale} world, "
                    f"{len(mix.students)} Xporter students; {mix.uncached:.0%} uncached; "
                    "simulators in their own process; "
                    f"{' '.join(args.env) or 'default settings'}); "
                    f"gateway RSS after warm-up {rss[0][1]:.1f} MiB",
                    flush=True,
                )
                total = Figures()
                window_opened = time.time()
                started = time.perf_counter()
                while (elapsed := time.perf_counter() - started) < args.seconds:
                    chunk = min(args.sample, args.seconds - elapsed)
                    figures = await drive(
                        http,
                        url,
                        mix,
                        clients=args.clients,
                        seconds=chunk,
                        seed=len(rss),
                        pause=args.pause,
                    )
                    _merge(total, figures)
                    rss.append((time.perf_counter() - started, gateway.rss_mb()))
                    if args.command == "soak":
                        print(
                            f"  {rss[-1][0]:6.0f} s  RSS {rss[-1][1]:7.1f} MiB  "
                            f"{figures.requests / figures.seconds:5.0f} req/s",
                            flush=True,
                        )
                total.seconds = time.perf_counter() - started
                window_closed = time.time()
        finally:
            gateway.close()  # a graceful stop: the audit buffer is written before it exits
            simulators.close()
        for line in total.lines():
            print(line)
        records = audit_records(Path(folder) / "accounts.sqlite3", window_opened, window_closed)
        print(
            f"audit records of the driven requests: {records} for {total.requests} requests"
            + (" (equal)" if records == total.requests else " (NOT EQUAL)")
        )
        print(
            f"gateway RSS: start {rss[0][1]:.1f} MiB, end {rss[-1][1]:.1f} MiB "
            f"(peak {max(m for _, m in rss):.1f} MiB over {len(rss)} samples)"
        )
        errors = gateway.logged_errors()
        print(f"gateway log lines at ERROR: {errors}")
        healthy = (
            total.server_errors == 0
            and not total.failures
            and errors == 0
            and records == total.requests
        )
        return 0 if healthy else 1


def audit_records(database: Path, opened: float, closed: float) -> int:
    """The gateway's audit records of GraphQL requests that arrived between two wall times
    (unix seconds): the driver waits for every client between chunks, so none straddles."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        row = db.execute(
            "SELECT COUNT(*) FROM audit_records WHERE path = '/graphql' AND at >= ? AND at <= ?",
            (int(opened * 1_000_000), int(closed * 1_000_000)),
        ).fetchone()
    return int(row[0])


def _merge(total: Figures, part: Figures) -> None:
    for kind, values in part.latencies.items():
        total.latencies.setdefault(kind, []).extend(values)
    total.statuses.update(part.statuses)
    total.codes.update(part.codes)
    total.failures.extend(part.failures)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("load", "soak"))
    parser.add_argument("--clients", type=int, help="concurrent clients (200; soak 20)")
    parser.add_argument("--seconds", type=float, help="how long to drive (60; soak 600)")
    parser.add_argument("--sample", type=float, help="seconds between RSS samples (soak 60)")
    parser.add_argument(
        "--pause", type=float, help="seconds each client waits between requests (0; soak 0.5)"
    )
    parser.add_argument("--scale", default="demo", choices=("small", "demo", "large"))
    parser.add_argument(
        "--uncached", type=float, default=0.5, help="share of uncached requests (0.5)"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="SCHOOLGRAPH_X=value",
        help="a setting for the gateway, e.g. SCHOOLGRAPH_CACHE_MAX_ENTRIES=1000 (repeatable)",
    )
    args = parser.parse_args(argv)
    soak = args.command == "soak"
    args.clients = args.clients or (20 if soak else 200)
    args.pause = args.pause if args.pause is not None else (0.5 if soak else 0.0)
    args.seconds = args.seconds or (600.0 if soak else 60.0)
    args.sample = args.sample or (60.0 if soak else args.seconds)
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
