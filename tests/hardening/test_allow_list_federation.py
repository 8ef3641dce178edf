"""Allow-list mode and federation, over HTTP: the subgraph's SDL is served unlisted, as routers
and rover ask for it, so the gateway can be composed; nothing else is, ``_entities`` included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.graph.conftest import Gateway
from tests.hardening.conftest import SCHOOLS, Harden, codes, post_raw
from tests.hardening.test_persisted_queries import apq, manifest

SDL_QUERIES = [
    # @apollo/gateway's SERVICE_DEFINITION_QUERY, which IntrospectAndCompose sends.
    pytest.param("query __ApolloGetServiceDefinition__ { _service { sdl } }", id="apollo-gateway"),
    # rover subgraph introspect: crates/rover-client/.../introspect_query.graphql, verbatim.
    pytest.param(
        "query SubgraphIntrospectQuery {\n    # eslint-disable-next-line\n    _service {\n"
        "        sdl\n    }\n}",
        id="rover",
    ),
    # @apollo/gateway's LocalGraphQLDataSource.
    pytest.param("{ _service { sdl }}", id="anonymous"),
]


async def allow_list_gateway(harden: Harden, tmp_path: Path) -> Gateway:
    gateway = await harden(allow_list_file=manifest(tmp_path, SCHOOLS))
    await gateway.sim_requests()
    return gateway


@pytest.mark.parametrize("query", SDL_QUERIES)
async def test_allow_list_mode_serves_the_sdl_as_routers_and_rover_ask(
    harden: Harden, tmp_path: Path, query: str
) -> None:
    gateway = await allow_list_gateway(harden, tmp_path)

    posted = await post_raw(gateway, {"query": query})
    with_hash = await post_raw(gateway, {"query": query, "extensions": apq(query)})
    async with gateway.http.get(gateway.url / "graphql", params={"query": query}) as response:
        over_get = (response.status, await response.json())

    status, _, body = posted
    assert status == 200 and "errors" not in body, body
    sdl = body["data"]["_service"]["sdl"]
    assert 'type Staff implements Node @key(fields: "id")' in sdl
    assert (with_hash[0], with_hash[2]) == over_get == (200, body)
    assert await gateway.sim_requests() == {"tanda": 0, "xporter": 0, "tass": 0}


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ _service { sdl } schools { name } }", id="and another field"),
        pytest.param("{ sdl: _service { sdl } }", id="aliased"),
        pytest.param("{ _service { sdl __typename } }", id="and __typename"),
        pytest.param("{ _service { ...F } } fragment F on _Service { sdl }", id="a fragment"),
        pytest.param("{ _service @include(if: true) { sdl } }", id="a directive"),
        pytest.param("query ($a: Int) { _service { sdl } }", id="variables"),
        pytest.param("query A { _service { sdl } } query B { schools { name } }", id="two"),
        pytest.param("mutation { _service { sdl } }", id="a mutation"),
    ],
)
async def test_allow_list_mode_runs_no_other_shape_of_it(
    harden: Harden, tmp_path: Path, query: str
) -> None:
    gateway = await allow_list_gateway(harden, tmp_path)
    sdl = await post_raw(gateway, {"query": "{ _service { sdl } }"})

    status, _, body = await post_raw(gateway, {"query": query, "operationName": "A"})

    assert sdl[0] == 200, "the plain one runs"
    assert status == 403 and codes(body) == ["OPERATION_NOT_ALLOWED"]


async def test_allow_list_mode_refuses_a_routers_entities_fetch_and_says_why(
    harden: Harden, tmp_path: Path
) -> None:
    """A router's fetch, as @apollo/gateway builds it for a client query: not listed, so
    refused, naming the choice; the same text listed runs."""
    fetch = (
        "query Library__schoolgraph__1($representations:[_Any!]!)"
        "{_entities(representations:$representations){...on Staff{displayName}}}"
    )
    representations = [{"__typename": "Staff", "id": "U3RhZmY6dGFuZGE6MToxMDAwMzQ"}]
    payload = {"query": fetch, "variables": {"representations": representations}}
    gateway = await allow_list_gateway(harden, tmp_path)
    listed_path = tmp_path / "listed"
    listed_path.mkdir()
    listed = await harden(allow_list_file=manifest(listed_path, fetch))

    status, _, body = await post_raw(gateway, payload)
    listed_status, _, answered = await post_raw(listed, payload)

    assert status == 403 and codes(body) == ["OPERATION_NOT_ALLOWED"]
    message = body["errors"][0]["message"]
    assert "_entities fetches are not exempt" in message, message
    assert "safelist at the router" in message
    assert await gateway.sim_requests() == {"tanda": 0, "xporter": 0, "tass": 0}
    assert listed_status == 200 and "errors" not in answered, json.dumps(answered)
    assert answered["data"]["_entities"][0]["displayName"]
