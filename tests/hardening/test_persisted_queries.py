"""Apollo automatic persisted queries, and allow-list mode, over HTTP."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.errors import ConfigError
from tests.graph.conftest import Gateway
from tests.hardening.conftest import SCHOOLS, Harden, codes, post_raw

SERVICE = "{ service { name } }"


def apq(query: str, *, version: object = 1) -> dict[str, Any]:
    digest = hashlib.sha256(query.encode()).hexdigest()
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


async def get(gateway: Gateway, **params: str) -> tuple[int, dict[str, str], Any]:
    async with gateway.http.get(gateway.url / "graphql", params=params) as response:
        return response.status, dict(response.headers), await response.json()


async def test_the_apollo_round_trip_hash_then_query_then_hash(harden: Harden) -> None:
    gateway = await harden()

    status, headers, missing = await post_raw(gateway, {"extensions": apq(SCHOOLS)})
    _, _, registered = await post_raw(gateway, {"query": SCHOOLS, "extensions": apq(SCHOOLS)})
    _, _, by_hash = await post_raw(gateway, {"extensions": apq(SCHOOLS)})

    assert status == 200
    assert missing["errors"] == [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
    assert headers["Cache-Control"] == "private, no-cache, must-revalidate"
    assert registered["data"]["schools"]
    assert by_hash == registered


async def test_a_registered_query_runs_over_get_by_hash(harden: Harden) -> None:
    gateway = await harden()
    await post_raw(gateway, {"query": SERVICE, "extensions": apq(SERVICE)})

    status, _, body = await get(gateway, extensions=json.dumps(apq(SERVICE)))

    assert status == 200 and body["data"] == {"service": {"name": "schoolgraph"}}


async def test_a_hash_that_is_not_the_query_s_is_refused(harden: Harden) -> None:
    gateway = await harden()

    status, _, body = await post_raw(gateway, {"query": SCHOOLS, "extensions": apq(SERVICE)})

    assert status == 400 and codes(body) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    _, _, later = await post_raw(gateway, {"extensions": apq(SERVICE)})
    assert codes(later) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    "persisted",
    [
        pytest.param({"version": 2, "sha256Hash": "0" * 64}, id="version 2"),
        pytest.param({"version": True, "sha256Hash": "0" * 64}, id="version true"),
        pytest.param({"version": 1, "sha256Hash": "xyz"}, id="not hex"),
        pytest.param({"version": 1}, id="no hash"),
        pytest.param("sha", id="not an object"),
    ],
)
async def test_a_malformed_persisted_query_is_a_bad_request(
    harden: Harden, persisted: object
) -> None:
    gateway = await harden()

    status, _, body = await post_raw(gateway, {"extensions": {"persistedQuery": persisted}})

    assert status == 400 and codes(body) == ["BAD_REQUEST"]


async def test_an_invalid_or_over_limit_query_is_never_registered(harden: Harden) -> None:
    gateway = await harden(max_query_depth=2)
    invalid, deep = "{ nope }", "{ schools { groups { name } } }"

    for query in (invalid, deep):
        status, _, _ = await post_raw(gateway, {"query": query, "extensions": apq(query)})
        assert status == 400
        _, _, later = await post_raw(gateway, {"extensions": apq(query)})
        assert codes(later) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_with_apq_off_clients_are_told_it_is_not_supported(harden: Harden) -> None:
    gateway = await harden(persisted_queries=False)

    status, _, body = await post_raw(gateway, {"query": SCHOOLS, "extensions": apq(SCHOOLS)})
    plain = await gateway.post(SCHOOLS)

    assert status == 200 and body["errors"] == [
        {
            "message": "PersistedQueryNotSupported",
            "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
        }
    ]
    assert plain["data"]["schools"]


async def test_the_registry_keeps_to_its_byte_budget(harden: Harden) -> None:
    gateway = await harden(persisted_queries_max_bytes=len(SCHOOLS) + 5)

    await post_raw(gateway, {"query": SCHOOLS, "extensions": apq(SCHOOLS)})
    await post_raw(gateway, {"query": SERVICE, "extensions": apq(SERVICE)})
    _, _, first = await post_raw(gateway, {"extensions": apq(SCHOOLS)})
    _, _, second = await post_raw(gateway, {"extensions": apq(SERVICE)})

    assert codes(first) == ["PERSISTED_QUERY_NOT_FOUND"], "evicted, least recently used"
    assert second["data"] == {"service": {"name": "schoolgraph"}}


# -- allow-list mode ------------------------------------------------------------------------


def manifest(tmp_path: Path, *queries: str) -> Path:
    path = tmp_path / "manifest.json"
    operations = [
        {"id": hashlib.sha256(q.encode()).hexdigest(), "body": q, "name": f"Op{n}", "type": "query"}
        for n, q in enumerate(queries)
    ]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


async def test_allow_list_mode_runs_listed_operations_by_id_or_text(
    harden: Harden, tmp_path: Path
) -> None:
    gateway = await harden(allow_list_file=manifest(tmp_path, SCHOOLS))

    _, _, by_id = await post_raw(gateway, {"extensions": apq(SCHOOLS)})
    by_text = await gateway.post(SCHOOLS)
    _, _, both = await post_raw(gateway, {"query": SCHOOLS, "extensions": apq(SCHOOLS)})

    assert by_id["data"]["schools"] and by_id == by_text == both


async def test_allow_list_mode_refuses_everything_else(harden: Harden, tmp_path: Path) -> None:
    gateway = await harden(allow_list_file=manifest(tmp_path, SCHOOLS))
    await gateway.sim_requests()

    status, _, text = await post_raw(gateway, {"query": SERVICE})
    apq_status, _, registering = await post_raw(
        gateway, {"query": SERVICE, "extensions": apq(SERVICE)}
    )
    _, _, unknown_id = await post_raw(gateway, {"extensions": apq(SERVICE)})
    get_status, _, over_get = await get(gateway, query=SERVICE)

    assert status == apq_status == get_status == 403
    assert codes(text) == codes(registering) == codes(over_get) == ["OPERATION_NOT_ALLOWED"]
    assert codes(unknown_id) == ["PERSISTED_QUERY_NOT_FOUND"], "an APQ client then sends text"
    assert await gateway.sim_requests() == {"tanda": 0, "xporter": 0, "tass": 0}


async def test_an_allow_list_may_be_an_object_of_ids_to_queries(
    harden: Harden, tmp_path: Path
) -> None:
    path = tmp_path / "queries.json"
    path.write_text(json.dumps({"any-id": SERVICE}), encoding="utf-8")
    gateway = await harden(allow_list_file=path)

    body = await gateway.post(SERVICE)
    status, _, refused = await post_raw(gateway, {"query": SCHOOLS})

    assert body["data"] == {"service": {"name": "schoolgraph"}}
    assert status == 403 and codes(refused) == ["OPERATION_NOT_ALLOWED"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "cannot be read", id="missing"),
        pytest.param("[1, 2]", "not an id and a query text", id="a list"),
        pytest.param('{"id": 5}', "not an id and a query text", id="a number"),
        pytest.param("{}", "lists no operations", id="empty"),
        pytest.param(
            '{"format": "apollo-persisted-query-manifest", "version": 2}', "version 1", id="v2"
        ),
        pytest.param("{not json", "not UTF-8 JSON", id="not json"),
    ],
)
def test_an_unusable_allow_list_fails_at_start_naming_the_variable(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "list.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError, match=message) as raised:
        create_app(Settings(allow_list_file=path))

    assert "SCHOOLGRAPH_ALLOW_LIST_FILE" in str(raised.value)
