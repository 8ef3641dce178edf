"""The critical path of a trace: tokens, pages and declared data dependencies chain calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from schoolgraph.bench.critical_path import critical_path
from schoolgraph.bench.runner import median_of_runs
from schoolgraph.bench.upstreams import Call, trace_app

L = 0.02


def call(
    upstream: str,
    route: str,
    start: float,
    *,
    method: str = "GET",
    page: int | None = None,
    key: str = "",
    rows: int | None = None,
    size: int | None = None,
) -> Call:
    return Call(upstream, method, route, key or route, page, start, start + L, 200, rows, size)


def test_a_token_then_pages_of_a_list_chain_one_after_another() -> None:
    calls = [
        call("tanda", "/api/oauth/token", 0.0, method="POST"),
        *(call("tanda", "/api/v2/users", 0.021 * n, page=n) for n in range(1, 4)),
    ]

    path = critical_path(calls, L, {})

    assert path.calls == 4
    assert path.seconds == pytest.approx(4 * L)
    assert path.injected == pytest.approx(4 * L)
    assert path.describe() == "tanda /api/oauth/token -> tanda /api/v2/users x3"


def test_pages_asked_for_together_wait_for_the_page_before_them_not_each_other() -> None:
    """Read ahead two: pages 2 and 3 after page 1, 4 and 5 after page 3 (2 came back too)."""
    calls = [
        call("tanda", "/api/v2/users", 0.0, page=1),
        call("tanda", "/api/v2/users", 0.021, page=2),
        call("tanda", "/api/v2/users", 0.021, page=3),
        call("tanda", "/api/v2/users", 0.042, page=4),
        call("tanda", "/api/v2/users", 0.042, page=5),
    ]

    path = critical_path(calls, L, {})

    assert path.calls == 3
    assert path.seconds == pytest.approx(3 * L)


def test_pages_asked_for_past_the_end_of_a_list_are_left_out() -> None:
    """Read ahead two: page 3 came back short, so page 4, asked for after page 2, was past
    the end; slow as it was, nothing waited for it."""
    users = "/api/v2/users"
    calls = [
        call("tanda", users, 0.0, page=1, rows=10, size=10),
        call("tanda", users, 0.021, page=2, rows=10, size=10),
        call("tanda", users, 0.021, page=3, rows=4, size=10),
        Call("tanda", "GET", users, users, 4, 0.042, 0.5, 200, rows=0, size=10),
    ]

    path = critical_path(calls, L, {})

    assert path.calls == 2
    assert path.seconds == pytest.approx(2 * L)
    unknown = Call(**{**asdict(calls[2]), "rows": None})  # page 3 not known to be short
    assert critical_path([*calls[:2], unknown, calls[3]], L, {}).calls == 3


def test_an_empty_page_after_full_ones_ends_the_list_and_counts() -> None:
    """A list of exactly two pages: the empty third is how the reader learns the end."""
    users = "/api/v2/users"
    calls = [
        call("tanda", users, 0.0, page=1, rows=10, size=10),
        call("tanda", users, 0.021, page=2, rows=10, size=10),
        call("tanda", users, 0.042, page=3, rows=0, size=10),
    ]

    assert critical_path(calls, L, {}).calls == 3


@pytest.fixture
async def paged_upstream() -> AsyncIterator[str]:
    """A loopback upstream of 25 rows in pages (`page`, `page_size`), traced as the bench's
    simulators are."""

    async def users(request: web.Request) -> web.Response:
        page, size = int(request.query["page"]), int(request.query["page_size"])
        return web.json_response([{"id": n} for n in range(25)][(page - 1) * size : page * size])

    app = web.Application()
    app.router.add_get("/users", users)
    trace_app(app, "tanda")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_the_trace_counts_each_pages_rows_against_its_size(paged_upstream: str) -> None:
    async with aiohttp.ClientSession() as http:
        for page in (1, 2, 3, 4):
            async with http.get(f"{paged_upstream}/users?page={page}&page_size=10") as r:
                assert r.status == 200
        async with http.get(f"{paged_upstream}/__sim/trace?reset=true") as r:
            calls = [Call(**row) for row in await r.json()]
        async with http.get(f"{paged_upstream}/__sim/trace") as r:
            assert await r.json() == []

    assert [(c.page, c.rows, c.size) for c in calls] == [
        (1, 10, 10),
        (2, 10, 10),
        (3, 5, 10),
        (4, 0, 10),
    ]
    assert critical_path(calls, L, {}).calls == 3  # page 4 lies past page 3, the short one


def test_pages_after_the_first_need_only_the_first_where_it_tells_the_page_count() -> None:
    route = "/api/v1/School/{estab}/Students"
    calls = [
        call("xporter", route, 0.0, page=1),
        call("xporter", route, 0.021, page=2),
        call("xporter", route, 0.042, page=3),  # issued late, but needed page 1 only
    ]

    assert critical_path(calls, L, {}).calls == 2


def test_calls_serialised_without_a_reason_do_not_lengthen_the_path() -> None:
    calls = [call("xporter", "/a", 0.0), call("xporter", "/b", 0.03), call("tass", "/c", 0.06)]

    assert critical_path(calls, L, {}).calls == 1


def test_a_declared_data_dependency_chains_calls_that_waited_for_it() -> None:
    groups, shifts = ("xporter", "/groups"), ("tanda", "/shifts")
    calls = [call("xporter", "/groups", 0.0), call("tanda", "/shifts", 0.025)]
    overlapping = [call("xporter", "/groups", 0.0), call("tanda", "/shifts", 0.01)]

    assert critical_path(calls, L, {shifts: (groups,)}).calls == 2
    # A call that did not wait for its prerequisite did not need it.
    assert critical_path(overlapping, L, {shifts: (groups,)}).calls == 1


def test_a_call_costs_the_time_its_upstream_took_to_serve_it() -> None:
    token = call("xporter", "/idaas/sts/STS/GetToken", 0.0, method="POST")
    slow = Call("xporter", "GET", "/students", "/students", None, 0.021, 0.471, 200)
    quick = call("tass", "/students", 0.021)

    path = critical_path([token, slow, quick], L, {})

    assert path.calls == 2
    assert path.seconds == pytest.approx(L + 0.45)
    assert path.injected == pytest.approx(2 * L)
    assert path.describe() == "xporter /idaas/sts/STS/GetToken -> xporter /students"


def test_the_longest_chain_is_the_slowest_not_the_one_with_most_calls() -> None:
    pages = [call("tanda", "/users", 0.021 * n, page=n) for n in range(1, 4)]
    slow = Call("xporter", "GET", "/students", "/students", None, 0.0, 0.2, 200)

    path = critical_path([*pages, slow], L, {})

    assert (path.calls, path.describe()) == (1, "xporter /students")
    assert path.seconds == pytest.approx(0.2)


def test_no_calls_no_path() -> None:
    assert critical_path([], L, {}).calls == 0
    assert critical_path([], L, {}).cold_time(0.0, 1.0) is None


def test_a_cold_requests_time_is_the_chain_and_the_gaps_around_and_between_its_calls() -> None:
    """Sent at 0, answered at 0.2: the token at 0.01, page 1 asked 4 ms after it came back,
    page 2 8 ms after page 1, a school list answered 30 ms after the chain's end, and a page
    asked for past the list's end (nothing waited for it) answered after the answer left."""
    calls = [
        call("tanda", "/api/oauth/token", 0.010, method="POST"),
        call("tanda", "/api/v2/users", 0.034, page=1, rows=100, size=100),
        call("tanda", "/api/v2/users", 0.062, page=2, rows=5, size=100),
        call("tanda", "/api/v2/users", 0.062, page=3, rows=0, size=100),
        Call("xporter", "GET", "/Staff", "/Staff", None, 0.080, 0.112, 200),
        Call("tanda", "GET", "/api/v2/users", "/api/v2/users", 4, 0.190, 0.230, 200, 0, 100),
    ]

    path = critical_path(calls, L, {})
    spent = path.cold_time(0.0, 0.2)

    assert path.describe() == "tanda /api/oauth/token -> tanda /api/v2/users x2"
    assert spent is not None
    assert spent.as_ms() == {
        "chain": 60.0,
        "before": 10.0,
        "between": 12.0,
        "other": 30.0,
        "after": 88.0,
    }
    assert sum(spent.as_ms().values()) == pytest.approx(200.0)


def test_the_cold_figures_of_several_runs_describe_one_critical_path() -> None:
    """Runs can take different chains; the chain, its calls and its injected latency are the
    run's whose critical path is the median one, the other figures medians."""

    def run(ms: float, path_ms: float, calls: int, chain: str) -> dict[str, Any]:
        return {
            "ms": ms,
            "critical_path_ms": path_ms,
            "critical_path_injected_ms": calls * 20.0,
            "critical_path_calls": calls,
            "critical_path": chain,
            "gateway_cpu_ms": ms / 2,
            "ratio": round(ms / path_ms, 2),
            "requests": 16,
            "cold_time_ms": {"chain": path_ms, "before": 1.0, "between": 2.0, "other": 3.0},
        }

    pages = "tass /api/users -> tass /api/{cmpy_code}/students x4"
    students = "xporter /idaas/sts/STS/GetToken -> xporter /api/v1/School/{estab}/Students"
    cold = median_of_runs(
        [run(426, 173, 5, pages), run(393, 197, 2, students), run(387, 152, 5, pages)]
    )

    assert cold["ms"] == 393 and cold["critical_path_ms"] == 173 and cold["gateway_cpu_ms"] == 196.5
    assert cold["critical_path"] == pages
    assert cold["critical_path_calls"] == 5 and cold["critical_path_injected_ms"] == 100
    assert cold["ratio"] == 2.46
    assert [r["ms"] for r in cold["runs"]] == [426, 393, 387]
    # Where the time went is that same run's, with that run's latency beside it.
    assert cold["cold_time_ms"]["chain"] == 173 and cold["cold_time_run_ms"] == 426
