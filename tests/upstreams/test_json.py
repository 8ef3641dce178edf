"""Reading upstream bodies: orjson, the stdlib reader for what orjson refuses, bad responses.

A loopback server answers each body as it is given; the transport reads it as every client
does (`UpstreamResponse.json`).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.http import Transport
from tests.conftest import Serve


@pytest.fixture
async def answer(serve: Serve) -> AsyncIterator[Any]:
    """`await answer(body)`: what the transport reads from an upstream answering `body`."""
    bodies: list[bytes] = []

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=bodies.pop(), content_type="application/json")

    app = web.Application()
    app.router.add_get("/body", handler)
    transport = Transport("fake", str(await serve(app)))
    await transport.start()

    async def read(body: bytes) -> Any:
        bodies.append(body)
        response = await transport.request("GET", "/body", route="/body")
        return response.json()

    yield read
    await transport.close()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", None),
        (b' {"b": [1, 2.5, true, null], "a": "\\u00e9"} \n', {"a": "é", "b": [1, 2.5, True, None]}),
        (b'{"a": 1, "a": 2}', {"a": 2}),
        (b"[18446744073709551615, -9223372036854775808]", [2**64 - 1, -(2**63)]),
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
        ('{"a": "é"}'.encode("utf-16"), {"a": "é"}),
        (b'"\\ud800"', "\ud800"),
    ],
    ids=[
        "empty",
        "ordinary",
        "repeated key",
        "64-bit integers",
        "byte order mark",
        "UTF-16",
        "lone surrogate escape",
    ],
)
async def test_bodies_read_as_the_stdlib_reader_read_them(
    answer: Any, body: bytes, expected: Any
) -> None:
    assert await answer(body) == expected


async def test_nan_and_infinity_are_still_read(answer: Any) -> None:
    nan, inf, minus_inf = await answer(b"[NaN, Infinity, -Infinity]")

    assert math.isnan(nan)
    assert (inf, minus_inf) == (math.inf, -math.inf)


async def test_an_integer_beyond_64_bits_reads_as_the_nearest_float(answer: Any) -> None:
    assert await answer(b"[18446744073709551617]") == [1.8446744073709552e19]


@pytest.mark.parametrize(
    "body",
    [b'{"a":', b"{}x", b'"\xff"', b"[" * 100_000 + b"]" * 100_000],
    ids=["truncated", "trailing data", "not UTF-8", "nested past both readers' depth"],
)
async def test_what_neither_reader_reads_is_a_bad_response(answer: Any, body: bytes) -> None:
    with pytest.raises(UpstreamBadResponseError, match="not valid JSON") as info:
        await answer(body)

    assert info.value.code == "UPSTREAM_BAD_RESPONSE"
    assert info.value.upstream == "fake"
