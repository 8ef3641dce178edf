"""How long the ``/admin`` pages take over a large audit log.

Run: ``python benchmarks/dashboard_pages.py [--records 200000]``. Builds a gateway (no
upstreams) whose accounts and audit log live in a temporary SQLite file, writes that many
audit records through the store's own batched insert (30 days, 20 users, 30 endpoints, about
5% errors), signs an admin in over HTTP, and prints the median and worst of 5 loads of each
page, with the page's size.
"""

# The figures printed are this command's output.
# ruff: noqa: T201, S311

from __future__ import annotations

import argparse
import asyncio
import datetime
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from schoolgraph.accounts import AccountInput, AccountService
from schoolgraph.accounts.outbox import MemoryOutbox
from schoolgraph.accounts.sqlite import SqliteStore
from schoolgraph.app import create_app
from schoolgraph.audit.models import AuditRecord, UpstreamCallRecord
from schoolgraph.audit.web import AUDIT
from schoolgraph.config import Mode, Settings

PASSPHRASE = "correct horse battery staple"  # noqa: S105 - a throwaway benchmark account
ENDPOINTS = [f"query Query.field{n}" for n in range(28)] + ["POST /auth/token", "POST /graphql"]
MESSAGES = ["Upstream timed out.", "The account may not read Student.", "Rate limited."]
BATCH = 5_000
RUNS = 5


def _records(count: int, codes: list[str], now: datetime.datetime) -> list[AuditRecord]:
    rng = random.Random(7)
    span = datetime.timedelta(days=30).total_seconds()
    records = []
    for n in range(count):
        error = rng.random() < 0.05
        code = rng.choice(codes)
        records.append(
            AuditRecord(
                request_id=f"bench-{n}",
                at=now - datetime.timedelta(seconds=rng.random() * span),
                account_code=code,
                account_name=f"Partner {code}",
                company=rng.choice(["tass:01", "xporter:7109606", None]),
                method="POST",
                endpoint=rng.choice(ENDPOINTS),
                path="/graphql",
                status=rng.choice([400, 401, 502]) if error else 200,
                error_codes=("UPSTREAM_TIMEOUT",) if error else (),
                error_message=rng.choice(MESSAGES) if error else None,
                ip="127.0.0.1",
                elapsed_ms=rng.uniform(2, 400),
                request_bytes=rng.randint(60, 900),
                response_bytes=rng.randint(200, 40_000),
                user_agent="bench/1.0",
                query_parameters=None,
                variables='{"first":20}',
                stack=None,
                calls=(UpstreamCallRecord("tass", "GET", "/students", 200, 12.5, "miss"),),
            )
        )
    return records


async def _admin_credentials(service: AccountService, base: str) -> tuple[str, str, list[str]]:
    admin = await service.create_account(
        "bench",
        AccountInput("School Office", "Sam Lee", "office@school.example", admin=True),
    )
    codes = []
    for n in range(20):
        account = await service.create_account(
            "bench", AccountInput(f"Partner {n}", "Contact", f"p{n}@partner.example")
        )
        codes.append(account.code)
    generated = await service.generate_key(
        "bench", admin.code, passphrase=PASSPHRASE, link_expiry_hours=1, link_base=base
    )
    link_id = parse_qs(urlsplit(generated.link).query)["link"][0]
    credentials = await service.reveal(link_id, PASSPHRASE)
    return credentials.key, credentials.secret, codes


async def _time(browser: aiohttp.ClientSession, url: str) -> tuple[list[float], int]:
    timings = []
    size = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        async with browser.get(url, allow_redirects=False) as response:
            body = await response.read()
            if response.status != 200:
                raise SystemExit(f"{url} answered {response.status}")
        timings.append((time.perf_counter() - started) * 1000)
        size = len(body)
    return timings, size


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        service = AccountService(
            SqliteStore(Path(folder) / "accounts.sqlite3"), outbox=MemoryOutbox()
        )
        app = create_app(Settings(mode=Mode.UPSTREAM, rate_limit=0), accounts=service)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        try:
            key, secret, codes = await _admin_credentials(service, base)
            store = app[AUDIT].reader
            started = time.perf_counter()
            records = _records(count, codes, datetime.datetime.now(datetime.UTC))
            for first in range(0, count, BATCH):
                await store.insert(records[first : first + BATCH])
            print(f"{count:,} audit records written in {time.perf_counter() - started:.1f} s")
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as browser:
                async with browser.get(f"{base}/admin/sign-in") as response:
                    form = await response.text()
                csrf = re.search(r'name="csrf" value="([^"]+)"', form)
                if csrf is None:
                    raise SystemExit("The sign-in page has no CSRF token.")
                async with browser.post(
                    f"{base}/admin/sign-in",
                    data={"csrf": csrf.group(1), "key": key, "secret": secret, "next": "/admin"},
                    allow_redirects=False,
                ) as response:
                    if response.status != 303:
                        raise SystemExit(f"Sign-in failed: {await response.text()}")
                pages = [
                    "/admin",
                    "/admin/logs",
                    "/admin/logs?errors_only=on",
                    "/admin/logs?message=timed+out",
                    f"/admin/logs?user={codes[3]}&endpoint=query+Query.field3",
                    f"/admin/logs?user={codes[3]}&page=20",
                    "/admin/errors/bench-1000",
                    "/admin/users",
                    f"/admin/users/{codes[3]}",
                    f"/admin/users/{codes[3]}?show=all",
                    "/admin/endpoints",
                    "/admin/endpoint?name=query+Query.field3",
                ]
                print(f"{'page':58} {'median ms':>10} {'worst ms':>10} {'KB':>8}")
                for page in pages:
                    timings, size = await _time(browser, base + page)
                    print(
                        f"{page:58} {statistics.median(timings):10.1f} {max(timings):10.1f} "
                        f"{size / 1024:8.1f}"
                    )
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.records))
    sys.exit(0)
