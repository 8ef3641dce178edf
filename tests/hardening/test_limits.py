"""Query limits: over-limit operations are refused before anything runs, naming the limit."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import get_introspection_query, parse

from schoolgraph.graph.extensions.cost import READ_COST, measure
from schoolgraph.graph.schema import build_schema
from tests.graph.conftest import Gateway
from tests.hardening.conftest import SCHOOLS, Harden, codes, post_raw

SCHEMA = build_schema()._schema


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The single limit error of a refused operation."""
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED", error
    assert body["data"] is None
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def nested(depth: int) -> str:
    """A query ``depth`` (odd) fields deep: schools -> groups -> school -> groups ... name."""
    inner = "name"
    for _ in range((depth - 3) // 2):
        inner = f"school {{ groups {{ {inner} }} }}"
    return f"{{ schools {{ groups {{ {inner} }} }} }}"


async def test_too_deep_is_refused_before_any_upstream_request(harden: Harden) -> None:
    gateway = await harden(max_query_depth=7)
    await gateway.sim_requests()

    status, _, body = await post_raw(gateway, {"query": nested(9)})

    assert status == 400
    extensions = refusal(body)
    assert extensions["limit"] == "depth"
    assert extensions["maximum"] == 7 and extensions["actual"] == 9
    assert "depth limit" in body["errors"][0]["message"]
    assert await gateway.sim_requests() == {"tanda": 0, "xporter": 0, "tass": 0}


async def test_a_query_at_the_limits_runs(harden: Harden) -> None:
    gateway = await harden(max_query_depth=7)
    chain = '{ __type(name: "Query") { ' + "ofType { " * 5 + "name" + " }" * 6 + " }"

    body = await gateway.post(chain)

    assert "errors" not in body and body["data"] == {"__type": {"ofType": None}}


async def test_too_many_aliases_are_refused(harden: Harden) -> None:
    gateway = await harden(max_query_aliases=3)
    query = "{ " + " ".join(f"a{n}: service {{ name }}" for n in range(4)) + " }"

    status, _, body = await post_raw(gateway, {"query": query})

    assert status == 400
    assert refusal(body) == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "limit": "aliases",
        "maximum": 3,
        "actual": 4,
    }


async def test_aliases_in_a_fragment_count_once_per_spread(harden: Harden) -> None:
    gateway = await harden(max_query_aliases=5)
    query = """
      { a: service { ...F } b: service { ...F } }
      fragment F on Service { x: name y: version }
    """

    status, _, body = await post_raw(gateway, {"query": query})

    assert status == 400
    assert refusal(body)["actual"] == 6


async def test_too_many_tokens_stop_the_parser(harden: Harden) -> None:
    gateway = await harden(max_query_tokens=50)
    query = "{ " + " ".join(["__typename"] * 60) + " }"

    status, _, body = await post_raw(gateway, {"query": query})

    assert status == 400
    extensions = refusal(body)
    assert extensions["limit"] == "tokens" and extensions["maximum"] == 50
    assert "actual" not in extensions


async def test_too_costly_is_refused_and_says_what_it_would_cost(harden: Harden) -> None:
    gateway = await harden()
    await gateway.sim_requests()
    query = """
      { staff(first: 500) { nodes { groups { students { groups { students { surname } } } } } } }
    """

    status, _, body = await post_raw(gateway, {"query": query})

    assert status == 400
    extensions = refusal(body)
    assert extensions["limit"] == "cost" and extensions["maximum"] == 200_000
    assert extensions["actual"] > 200_000
    assert await gateway.sim_requests() == {"tanda": 0, "xporter": 0, "tass": 0}


async def test_the_cost_follows_page_sizes_given_as_variables(harden: Harden) -> None:
    gateway = await harden(max_query_cost=5_000)
    query = "query ($n: Int) { students(first: $n) { nodes { surname groups { name } } } }"

    small = await gateway.post(query, {"n": 5})
    status, _, large = await post_raw(gateway, {"query": query, "variables": {"n": 500}})

    assert "errors" not in small
    assert status == 400 and refusal(large)["limit"] == "cost"


async def test_a_document_kept_valid_is_still_held_to_the_limits(harden: Harden) -> None:
    # Parsed and validated once (graph/extensions/document_cache.py), measured every time.
    gateway = await harden(max_query_cost=5_000, answer_cache=False)
    query = "query ($n: Int) { students(first: $n) { nodes { surname groups { name } } } }"

    for _ in range(2):
        assert "errors" not in await gateway.post(query, {"n": 5})
    status, _, large = await post_raw(gateway, {"query": query, "variables": {"n": 500}})
    again = await gateway.post(query, {"n": 5})

    assert status == 400 and refusal(large)["limit"] == "cost"
    assert "errors" not in again


async def test_explain_shows_the_measure_of_an_operation_that_ran(harden: Harden) -> None:
    gateway = await harden()

    body = await gateway.post(SCHOOLS, headers={"X-Schoolgraph-Explain": "1"})

    cost = body["extensions"]["cost"]
    assert cost["depth"] == 2 and cost["aliases"] == 0
    assert cost["reads"] == 1 and cost["cost"] == cost["objects"] + READ_COST


async def test_a_fragment_bomb_is_refused_in_milliseconds(harden: Harden) -> None:
    gateway = await harden()
    # 40 fragments, each spreading the one before twice: 2**40 copies of a field.
    fragments = ["fragment F0 on Service { name }"] + [
        f"fragment F{n} on Service {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 40)
    ]
    query = "{ service { ...F39 } }\n" + "\n".join(fragments)
    aliased = "{ service { ...A39 } }\n" + "\n".join(
        ["fragment A0 on Service { a: name }"]
        + [f"fragment A{n} on Service {{ ...A{n - 1} ...A{n - 1} }}" for n in range(1, 40)]
    )

    started = time.perf_counter()
    _, _, body = await post_raw(gateway, {"query": query})
    _, _, alias_body = await post_raw(gateway, {"query": aliased})
    elapsed = time.perf_counter() - started

    assert refusal(body)["limit"] == "repeats"
    assert refusal(alias_body)["limit"] == "aliases"
    assert elapsed < 1.0


async def test_a_field_repeated_hundreds_of_times_is_refused_before_validation(
    harden: Harden,
) -> None:
    # graphql-core's overlapping-fields rule compares repeats pairwise: a second of CPU.
    gateway = await harden()
    query = "{ " + "schools { groups { name } } " * 280 + "}"

    started = time.perf_counter()
    status, _, body = await post_raw(gateway, {"query": query})
    elapsed = time.perf_counter() - started

    assert status == 400
    assert refusal(body) == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "limit": "repeats",
        "maximum": 10,
        "actual": 280,
    }
    assert elapsed < 1.0, "graphql-core's validation of it alone takes a second"


async def test_a_long_chain_of_fragments_runs(harden: Harden) -> None:
    gateway = await harden()
    fragments = ["fragment L0 on Query { schools { groups { students { surname } } } }"] + [
        f"fragment L{n} on Query {{ ...L{n - 1} }}" for n in range(1, 30)
    ]
    query = "{ ...L29 a: schools { id } b: schools { id } }\n" + "\n".join(fragments)

    status, _, body = await post_raw(gateway, {"query": query})

    assert status == 200, "a deep chain of fragments is no bomb: it runs"
    assert "errors" not in body


async def test_a_fragment_cycle_is_a_validation_error(harden: Harden) -> None:
    gateway = await harden()
    query = """
      { service { ...A } }
      fragment A on Service { name ...B }
      fragment B on Service { version ...A }
    """

    status, _, body = await post_raw(gateway, {"query": query})

    assert status == 400
    assert codes(body) and set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_nesting_too_deep_to_parse_is_the_depth_limit(harden: Harden) -> None:
    gateway = await harden(max_query_tokens=100_000)
    query = "{" + "a {" * 3000 + "b" + "}" * 3001

    status, _, body = await post_raw(gateway, {"query": query})

    assert status == 400
    assert refusal(body)["limit"] == "depth"


async def test_the_standard_introspection_query_runs(harden: Harden) -> None:
    gateway = await harden()

    body = await gateway.post(get_introspection_query())

    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_can_be_switched_off(harden: Harden) -> None:
    gateway = await harden(introspection=False)

    status, _, body = await post_raw(gateway, {"query": get_introspection_query()})
    typename = await gateway.post("{ __typename }")
    async with gateway.http.get(gateway.url / "graphql", headers={"Accept": "text/html"}) as r:
        ide_status = r.status

    assert status == 400 and set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert typename["data"] == {"__typename": "Query"}
    assert ide_status == 404


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        pytest.param("{ schools { name } }", {}, (2, 10, 1), id="a list of schools"),
        pytest.param(
            "{ students(first: 7) { edges { node { surname } } } }",
            {},
            (4, 1 + 7 + 7, 1),
            id="a connection counts first rows",
        ),
        pytest.param(
            "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            {"ids": ["a", "b", "c"]},
            (2, 3, 1),
            id="nodes counts its ids",
        ),
        pytest.param(
            "{ schools { students(first: 2) { nodes { groups { name } } } } }",
            {},
            (5, 10 + 10 * (1 + 2 * (1 + 10)), 3),
            id="reads do not multiply down a list",
        ),
        pytest.param(
            '{ rosters(from: "2026-03-02", to: "2026-03-15") { start } }',
            {},
            (2, 14, 2),
            id="a dated list: rows per day, a read per week",
        ),
        pytest.param(
            "query ($f: Date!, $t: Date!) { rosters(from: $f, to: $t) { start } }",
            {"f": "not a date", "t": None},
            (2, 93, 14),
            id="an unusable window counts as the longest",
        ),
    ],
)
def test_measure(query: str, variables: dict[str, Any], expected: tuple[int, int, int]) -> None:
    found = measure(SCHEMA, parse(query), variables=variables)

    assert (found.depth, found.objects, found.reads) == expected


def test_measure_takes_the_operation_named() -> None:
    document = parse("query A { service { name } } query B { schools { name } }")

    assert measure(SCHEMA, document, operation_name="A").reads == 0
    assert measure(SCHEMA, document, operation_name="B").reads == 1
    assert measure(SCHEMA, document).objects == 10  # ambiguous: the largest of both


async def test_every_limit_error_is_a_client_error_not_a_server_error(
    harden: Harden,
) -> None:
    gateway: Gateway = await harden(max_query_depth=2, max_query_aliases=0, max_query_cost=1)

    for query in ("{ schools { groups { name } } }", "{ a: __typename }", SCHOOLS):
        status, _, body = await post_raw(gateway, {"query": query})
        assert status == 400 and refusal(body)["limit"] in ("depth", "aliases", "cost")
