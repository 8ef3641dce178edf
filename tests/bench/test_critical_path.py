"""The critical path of a trace: tokens, pages and declared data dependencies chain calls."""

from __future__ import annotations

from typing import Any

import pytest

from schoolgraph.bench.critical_path import critical_path
from schoolgraph.bench.runner import median_of_runs
from schoolgraph.bench.upstreams import Call

L = 0.02


def call(
    upstream: str,
    route: str,
    start: float,
    *,
    method: str = "GET",
    page: int | None = None,
    key: str = "",
) -> Call:
    return Call(upstream, method, route, key or route, page, start, start + L, 200)


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
