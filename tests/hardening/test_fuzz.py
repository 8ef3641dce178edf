"""Hostile input: 10,000 malformed requests, each answered with a 4xx or a GraphQL response."""

from __future__ import annotations

import asyncio
import collections
import io
import json
import logging
import re

import pytest
from yarl import URL

from tests.graph.conftest import Gateway
from tests.hardening.conftest import Harden
from tests.hardening.corpus import Hostile, hostile_requests

COUNT = 10_000
SEED = 20260309
CONCURRENCY = 32
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
_PROTOCOL_ERRORS = (400, 413, 414, 431)
_LEAKS = ("Traceback", 'File "', "site-packages", "Exception", "Error:")


async def send(gateway: Gateway, hostile: Hostile) -> tuple[int, str, bytes]:
    """Send one request; its status, content type and body."""
    url = gateway.url / "graphql"
    if hostile.raw_query is not None:
        url = URL(f"{url}?{hostile.raw_query}", encoded=True)
    elif hostile.params:
        url = url.with_query(hostile.params)
    headers = dict(hostile.headers)
    if hostile.content_type is not None:
        headers["Content-Type"] = hostile.content_type
    # aiohttp's client warns about large bytes bodies; a file-like one is streamed.
    body = io.BytesIO(hostile.body) if hostile.body and len(hostile.body) > 65_536 else hostile.body
    async with gateway.http.request(
        hostile.method, url, data=body, headers=headers, skip_auto_headers=["Content-Type"]
    ) as response:
        return response.status, response.content_type, await response.read()


def problems(hostile: Hostile, status: int, content_type: str, body: bytes) -> list[str]:
    """What is wrong with the gateway's answer to ``hostile``; empty when it is fine."""
    found: list[str] = []
    if status >= 500:
        found.append(f"HTTP {status}")
    if not body:
        return (
            found if hostile.method in ("HEAD", "OPTIONS") or status == 405 else [*found, "no body"]
        )
    if content_type == "text/plain" and status in _PROTOCOL_ERRORS:
        # aiohttp's HTTP parser refused the message itself (a request line over 8190 bytes,
        # Content-Length with Transfer-Encoding): it answers before any handler runs.
        return [*found, "a stack trace"] if b"Traceback" in body else found
    if content_type != "application/json":
        return [*found, f"content type {content_type!r}"]
    try:
        answer = json.loads(body)
    except ValueError:
        return [*found, "a body that is not JSON"]
    if not isinstance(answer, dict) or not ("data" in answer or "errors" in answer):
        return [*found, "not a GraphQL response"]
    if status == 200 and "data" not in answer:
        found.append("a 200 without data")
    for error in answer.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            found.append(f"an error without a code: {error.get('message')!r}")
        elif code == "INTERNAL":
            found.append(f"an unexpected error: {error.get('message')!r}")
        message = str(error.get("message"))
        if any(leak in message for leak in _LEAKS if leak != "Error:") or "\n  File" in message:
            found.append(f"a stack in a message: {message[:200]!r}")
    return found


@pytest.mark.parametrize("seed", [SEED])
async def test_ten_thousand_hostile_requests_get_4xx_or_graphql_answers(
    harden: Harden, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    gateway = await harden(request_timeout=10.0)
    corpus = list(hostile_requests(seed, COUNT))
    queue: asyncio.Queue[tuple[int, Hostile]] = asyncio.Queue()
    for item in enumerate(corpus):
        queue.put_nowait(item)
    failures: list[str] = []
    statuses: collections.Counter[int] = collections.Counter()

    async def worker() -> None:
        while not queue.empty():
            index, hostile = queue.get_nowait()
            status, content_type, body = await send(gateway, hostile)
            statuses[status] += 1
            for problem in problems(hostile, status, content_type, body):
                failures.append(f"#{index} ({hostile.family}): {problem}")

    with caplog.at_level(logging.ERROR, logger="schoolgraph"):
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        # Still serving, and serving right.
        after = await gateway.post("{ schools { name } students(first: 2) { totalCount } }")
        async with gateway.http.get(gateway.url / "healthz") as health:
            healthy = health.status

    assert sum(statuses.values()) == COUNT
    assert failures == [], f"{len(failures)} bad answers, e.g. {failures[:10]}"
    assert "errors" not in after and after["data"]["schools"]
    assert healthy == 200
    unexpected = [r.getMessage() for r in caplog.records if r.name.startswith("schoolgraph")]
    assert unexpected == [], "the gateway logged unexpected errors"
    assert statuses[200] > 0 and sum(n for s, n in statuses.items() if 400 <= s < 500) > COUNT / 2
