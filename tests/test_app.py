"""The gateway over real HTTP on loopback: GraphQL endpoint, errors, request ids, access log."""

from __future__ import annotations

import gc
import json
import logging
import weakref
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import strawberry
from aiohttp import web
from strawberry.extensions import SchemaExtension
from yarl import URL

from schoolgraph import __version__
from schoolgraph.app import RUNTIME, create_app
from schoolgraph.config import Mode, Settings
from schoolgraph.context import Context
from schoolgraph.errors import InternalError, UpstreamUnavailableError
from schoolgraph.graph.extensions.error_codes import ErrorCodes
from schoolgraph.graph.schema import GatewaySchema, build_schema
from tests.conftest import Serve, start_serving

SERVICE_QUERY = "{ service { name version mode upstreams { name kind baseUrl configured } } }"


def assert_no_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert 'File "' not in text


async def post_json(
    http: aiohttp.ClientSession, url: URL, body: object
) -> tuple[int, dict[str, Any]]:
    async with http.post(url / "graphql", json=body) as response:
        text = await response.text()
        assert_no_traceback(text)
        assert response.content_type == "application/json"
        return response.status, json.loads(text)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


@pytest.mark.parametrize(
    "settings", [Settings(mode=Mode.UPSTREAM, anonymous=True)], ids=["no-upstreams"]
)
async def test_a_query_over_post_returns_the_service(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    status, body = await post_json(http, gateway_url, {"query": SERVICE_QUERY})

    assert status == 200
    assert body == {
        "data": {
            "service": {
                "name": "schoolgraph",
                "version": __version__,
                "mode": "UPSTREAM",
                "upstreams": [
                    {"name": "Tanda", "kind": "TANDA", "baseUrl": None, "configured": False},
                    {
                        "name": "Xporter on Demand",
                        "kind": "XPORTER",
                        "baseUrl": None,
                        "configured": False,
                    },
                    {"name": "TASS", "kind": "TASS", "baseUrl": None, "configured": False},
                ],
            }
        }
    }


async def test_a_query_over_get_returns_data(http: aiohttp.ClientSession, gateway_url: URL) -> None:
    url = (gateway_url / "graphql").with_query(query="{ service { name version } }")
    async with http.get(url, headers={"Accept": "application/json"}) as response:
        body = await response.json()

    assert response.status == 200
    assert body == {"data": {"service": {"name": "schoolgraph", "version": __version__}}}


@pytest.mark.parametrize(
    "settings", [Settings(mode=Mode.UPSTREAM, anonymous=True)], ids=["upstream"]
)
async def test_the_service_reports_the_configured_mode(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    _, body = await post_json(http, gateway_url, {"query": "{ service { mode } }"})

    assert body == {"data": {"service": {"mode": "UPSTREAM"}}}


async def test_a_browser_get_receives_graphiql(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    async with http.get(gateway_url / "graphql", headers={"Accept": "text/html"}) as response:
        html = await response.text()

    assert response.status == 200
    assert response.content_type == "text/html"
    assert "graphiql" in html.lower()


async def test_a_mutation_over_get_is_refused(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    url = (gateway_url / "graphql").with_query(query="mutation { service { name } }")
    async with http.get(url, headers={"Accept": "application/json"}) as response:
        text = await response.text()

    assert response.status == 400
    assert json.loads(text)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert_no_traceback(text)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            b'{"query": ',
            "The request body is not valid JSON: Expecting value: line 1 column 11 (char 10).",
            id="malformed-json",
        ),
        pytest.param(b"{}", "No GraphQL query found in the request.", id="missing-query"),
        pytest.param(
            b'"{ service { name } }"', "Expected a JSON object, got a string.", id="string"
        ),
        pytest.param(
            b'{"query": "{ service { name } }", "variables": [1]}',
            "The GraphQL operation's `variables` must be an object or null, if provided.",
            id="variables-not-an-object",
        ),
    ],
)
async def test_a_bad_request_body_is_a_clear_400(
    http: aiohttp.ClientSession, gateway_url: URL, body: bytes, message: str
) -> None:
    async with http.post(
        gateway_url / "graphql", data=body, headers={"Content-Type": "application/json"}
    ) as response:
        text = await response.text()

    assert response.status == 400
    assert json.loads(text) == {
        "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]
    }
    assert_no_traceback(text)


async def test_an_unknown_field_is_a_validation_error(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    status, body = await post_json(http, gateway_url, {"query": "{ service { colour } }"})

    assert status == 400
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Cannot query field 'colour' on type 'Service'."
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_syntax_error_is_a_parse_error(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    status, body = await post_json(http, gateway_url, {"query": "{ service { name "})

    assert status == 400
    assert body["errors"][0]["message"].startswith("Syntax Error:")
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]


async def test_a_variable_of_the_wrong_type_is_bad_user_input(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    query = "query ($skip: Boolean!) { service { name @skip(if: $skip) } }"
    status, body = await post_json(http, gateway_url, {"query": query, "variables": {"skip": 3}})

    assert status == 400
    assert body["errors"][0]["message"] == (
        "Variable '$skip' has invalid value: Boolean cannot represent a non boolean value: 3"
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "settings",
    [Settings(mode=Mode.UPSTREAM, anonymous=True), Settings(mode=Mode.UPSTREAM, anonymous=False)],
    ids=["anonymous", "tokens-required"],
)
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_a_wrong_method_is_a_clear_405(
    http: aiohttp.ClientSession, gateway_url: URL, method: str
) -> None:
    async with http.request(method, gateway_url / "graphql", json={}) as response:
        text = await response.text()

    assert response.status == 405
    assert response.headers["Allow"] == "GET,POST"
    assert json.loads(text) == {
        "errors": [
            {
                "message": f"{method} is not allowed on /graphql; use GET or POST.",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }
        ]
    }


async def test_an_unknown_path_is_a_json_404(http: aiohttp.ClientSession, gateway_url: URL) -> None:
    async with http.get(gateway_url / "nowhere") as response:
        body = await response.json()

    assert response.status == 404
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("settings", [Settings(max_body_bytes=64)], ids=["64-bytes"])
async def test_a_body_over_the_limit_is_a_413(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    status, body = await post_json(http, gateway_url, {"query": "{ service { name } }" * 10})

    assert status == 413
    assert body == {
        "errors": [
            {
                "message": "The request body is larger than the limit of 64 bytes.",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }


@pytest.mark.parametrize("settings", [Settings(introspection=False)], ids=["no-introspection"])
async def test_without_introspection_graphiql_and_schema_queries_are_refused(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    async with http.get(gateway_url / "graphql", headers={"Accept": "text/html"}) as response:
        assert response.status == 404
        assert (await response.json())["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    status, body = await post_json(http, gateway_url, {"query": "{ __schema { types { name } } }"})
    assert status == 400
    assert set(error_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}

    _, body = await post_json(http, gateway_url, {"query": "{ servic { name } }"})
    assert "Did you mean" not in body["errors"][0]["message"]


# -- request ids --------------------------------------------------------------------------


async def test_a_sane_request_id_round_trips(http: aiohttp.ClientSession, gateway_url: URL) -> None:
    async with http.get(
        gateway_url / "healthz", headers={"X-Request-Id": "abc-123.X_y"}
    ) as response:
        assert response.headers["X-Request-Id"] == "abc-123.X_y"


@pytest.mark.parametrize(
    "header",
    [None, "", "has space", "x" * 129, "semi;colon", "ünïcode"],
    ids=["absent", "empty", "space", "too-long", "semicolon", "non-ascii"],
)
async def test_a_missing_or_insane_request_id_is_replaced(
    http: aiohttp.ClientSession, gateway_url: URL, header: str | None
) -> None:
    headers = {} if header is None else {"X-Request-Id": header}
    async with http.get(gateway_url / "healthz", headers=headers) as response:
        request_id = response.headers["X-Request-Id"]

    assert request_id != header
    assert len(request_id) == 32
    int(request_id, 16)


async def test_error_responses_carry_a_request_id_too(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    async with http.put(gateway_url / "graphql", headers={"X-Request-Id": "req-405"}) as response:
        assert response.status == 405
        assert response.headers["X-Request-Id"] == "req-405"


async def test_each_request_writes_one_access_log_line_without_the_query(
    http: aiohttp.ClientSession, gateway_url: URL, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="schoolgraph.access")
    secret_query = '{ service { name } } # token="s3cret"'
    url = (gateway_url / "graphql").with_query(query=secret_query)
    async with http.get(url, headers={"X-Request-Id": "req-1"}) as response:
        assert response.status == 200

    [record] = [r for r in caplog.records if r.name == "schoolgraph.access"]
    assert record.__dict__["request_id"] == "req-1"
    assert record.__dict__["method"] == "GET"
    assert record.__dict__["path"] == "/graphql"
    assert record.__dict__["status"] == 200
    assert record.__dict__["elapsed_ms"] >= 0
    assert "s3cret" not in caplog.text


# -- resolver errors, through the same extension and view -----------------------------------


@strawberry.type
class FailingQuery:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("database password is hunter2")

    @strawberry.field
    def internal(self) -> str:
        raise InternalError("The cache index for hunter2 is corrupt.")

    @strawberry.field
    def tanda_down(self) -> str:
        raise UpstreamUnavailableError("The tanda upstream could not be reached.", upstream="tanda")

    @strawberry.field
    def request_id(self, info: strawberry.Info[Context, None]) -> str:
        return info.context.request_id


@pytest.fixture
async def failing_url(serve: Serve) -> URL:
    return await serve(create_app(Settings(), schema=build_schema(FailingQuery)))


@pytest.mark.parametrize(
    ("field", "exception"), [("boom", RuntimeError), ("internal", InternalError)]
)
async def test_an_unexpected_error_is_masked_and_logged_with_its_stack(
    http: aiohttp.ClientSession,
    failing_url: URL,
    caplog: pytest.LogCaptureFixture,
    field: str,
    exception: type[Exception],
) -> None:
    async with http.post(
        failing_url / "graphql",
        json={"query": f"{{ {field} }}"},
        headers={"X-Request-Id": "req-boom"},
    ) as response:
        text = await response.text()

    assert response.status == 200
    assert json.loads(text) == {
        "data": None,
        "errors": [
            {
                "message": "Internal server error.",
                "locations": [{"line": 1, "column": 3}],
                "path": [field],
                "extensions": {"code": "INTERNAL"},
            }
        ],
    }
    assert "hunter2" not in text
    assert exception.__name__ not in text
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.__dict__["request_id"] == "req-boom"
    assert record.exc_info is not None
    assert record.exc_info[0] is exception
    assert "hunter2" in caplog.text


async def test_a_schoolgraph_error_keeps_its_message_code_and_upstream(
    http: aiohttp.ClientSession, failing_url: URL, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = await post_json(http, failing_url, {"query": "{ tandaDown requestId }"})

    assert status == 200
    assert body["errors"][0]["message"] == "The tanda upstream could not be reached."
    assert body["errors"][0]["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "upstream": "tanda"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_resolvers_see_the_request_id_in_their_context(
    http: aiohttp.ClientSession, failing_url: URL
) -> None:
    async with http.post(
        failing_url / "graphql", json={"query": "{ requestId }"}, headers={"X-Request-Id": "ctx-7"}
    ) as response:
        body = await response.json()

    assert body == {"data": {"requestId": "ctx-7"}}


class ExplodingExtension(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        yield
        raise RuntimeError("extension secret")


async def test_an_error_raised_around_the_operation_is_masked_too(
    http: aiohttp.ClientSession, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    schema = GatewaySchema(query=FailingQuery, extensions=[ErrorCodes, ExplodingExtension])
    url = await serve(create_app(Settings(), schema=schema))

    status, body = await post_json(http, url, {"query": "{ requestId }"})

    assert status == 200
    assert body == {
        "data": None,
        "errors": [{"message": "Internal server error.", "extensions": {"code": "INTERNAL"}}],
    }
    assert "extension secret" in caplog.text


async def test_an_unexpected_error_in_a_plain_handler_is_a_masked_500(
    http: aiohttp.ClientSession, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("hunter2")

    app = create_app(Settings())
    app.router.add_get("/broken", broken)
    url = await serve(app)

    async with http.get(url / "broken", headers={"X-Request-Id": "req-500"}) as response:
        text = await response.text()

    assert response.status == 500
    assert response.headers["X-Request-Id"] == "req-500"
    assert json.loads(text) == {
        "errors": [{"message": "Internal server error.", "extensions": {"code": "INTERNAL"}}]
    }
    assert "hunter2" not in text
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.__dict__["request_id"] == "req-500"
    assert record.exc_info is not None


async def test_a_stopped_gateway_is_garbage(http: aiohttp.ClientSession) -> None:
    """After a gateway has answered and stopped, nothing in the process keeps its app (and so
    its runtime and cache) alive: aiohttp's module-level cache of built middleware chains,
    which holds every app that served a request, is emptied when an app stops."""
    app = create_app(Settings(mode=Mode.UPSTREAM, anonymous=True, rate_limit=0))
    runtime = weakref.ref(app[RUNTIME])
    url, stop, task = await start_serving(app)
    status, body = await post_json(http, url, {"query": "{ __typename }"})
    assert (status, body) == (200, {"data": {"__typename": "Query"}})
    stop.set()
    await task
    stopped = weakref.ref(app)
    del app
    gc.collect()

    assert stopped() is None
    assert runtime() is None


async def test_a_stopped_gateways_schema_is_garbage(http: aiohttp.ClientSession) -> None:
    """What the schema's extensions work out from it once (the permission rules, the
    introspection averages) goes with it: nothing keeps a stopped gateway's schema alive."""
    schema = build_schema()
    graphql_schema = weakref.ref(schema._schema)
    app = create_app(Settings(mode=Mode.UPSTREAM, anonymous=True, rate_limit=0), schema=schema)
    url, stop, task = await start_serving(app)
    query = "{ __schema { types { name } } }"  # measured against the introspection averages
    status, body = await post_json(http, url, {"query": query})
    assert status == 200 and body["data"]["__schema"]["types"]
    stop.set()
    await task
    del app, schema
    gc.collect()

    assert graphql_schema() is None
