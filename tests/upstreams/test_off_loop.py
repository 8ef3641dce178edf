"""Large upstream answers are parsed on a worker thread; small ones in place."""

from __future__ import annotations

import threading

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.upstreams.http import UpstreamResponse
from schoolgraph.upstreams.off_loop import DECODE_OFF_LOOP_BYTES, OFF_LOOP_BYTES, off_loop


async def test_small_work_runs_on_the_loop_and_large_work_on_a_worker_thread() -> None:
    loop_thread = threading.get_ident()

    assert await off_loop(OFF_LOOP_BYTES - 1, threading.get_ident) == loop_thread
    assert await off_loop(OFF_LOOP_BYTES, threading.get_ident) != loop_thread


async def test_decoding_alone_stays_on_the_loop_up_to_its_own_threshold() -> None:
    loop_thread = threading.get_ident()
    below = DECODE_OFF_LOOP_BYTES - 1

    assert await off_loop(below, threading.get_ident, threshold=DECODE_OFF_LOOP_BYTES) == (
        loop_thread
    )
    assert await off_loop(
        DECODE_OFF_LOOP_BYTES, threading.get_ident, threshold=DECODE_OFF_LOOP_BYTES
    ) != (loop_thread)


def response(body: bytes) -> UpstreamResponse:
    return UpstreamResponse("tanda", "/api/v2/users", 200, CIMultiDictProxy(CIMultiDict()), body)


async def test_a_large_body_parses_to_the_same_json_off_the_loop() -> None:
    rows = [{"id": n, "name": f"person {n}"} for n in range(DECODE_OFF_LOOP_BYTES // 10)]
    body = repr(rows).replace("'", '"').encode()
    assert len(body) >= DECODE_OFF_LOOP_BYTES

    assert await response(body).parsed() == rows


@pytest.mark.parametrize(
    "body",
    [b"{" * DECODE_OFF_LOOP_BYTES, b"[" * DECODE_OFF_LOOP_BYTES + b"]" * DECODE_OFF_LOOP_BYTES],
    ids=["truncated", "nested past the decoder's depth"],
)
async def test_a_large_unreadable_body_is_still_a_bad_response(body: bytes) -> None:
    with pytest.raises(UpstreamBadResponseError, match="not valid JSON"):
        await response(body).parsed()
