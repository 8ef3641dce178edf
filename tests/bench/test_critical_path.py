"""The critical path of a trace: tokens, pages and declared data dependencies chain calls."""

from __future__ import annotations

from schoolgraph.bench.critical_path import critical_path
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
    assert path.seconds == 4 * L
    assert path.describe() == "tanda /api/oauth/token -> tanda /api/v2/users x3"


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


def test_no_calls_no_path() -> None:
    assert critical_path([], L, {}).calls == 0
