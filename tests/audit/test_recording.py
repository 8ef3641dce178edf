"""Recording: one audit record per request, with what a school administrator needs to see."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import strawberry
from aiohttp import web

from schoolgraph.accounts import Grant
from schoolgraph.app import create_app
from schoolgraph.audit.models import AuditFilter, AuditRecord
from schoolgraph.audit.redaction import REDACTED
from schoolgraph.audit.redaction import TOO_DEEP as REDACTED_DEPTH
from schoolgraph.audit.store import ANONYMOUS_USER, AuditStore
from schoolgraph.audit.web import AUDIT
from schoolgraph.config import Mode, Settings
from schoolgraph.graph.schema import build_schema
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import Harness
from tests.audit.conftest import flushed
from tests.conftest import Serve, start_serving


async def post_graphql(
    harness: Harness,
    query: str,
    *,
    variables: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, bytes]:
    """POST ``query``; the status, the body sent and the body received."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    async with harness.http.post(harness.url / "graphql", data=body, headers=sent) as response:
        return response.status, body, await response.read()


async def record_of(harness: Harness, request_id: str) -> AuditRecord:
    record = await (await flushed(harness)).record(request_id)
    assert record is not None, f"no audit record for {request_id}"
    return record


async def test_a_query_is_recorded_with_its_operation_caller_and_sizes(harness: Harness) -> None:
    user = await harness.provision("Bayside Integrations", schools=["tass:01"], grants=SERVICE)
    headers = {**user.headers, "X-Request-Id": "req-one", "User-Agent": "timetable-sync/2.1"}

    status, sent, received = await post_graphql(
        harness, "query Names { service { name } }", headers=headers
    )

    assert status == 200
    record = await record_of(harness, "req-one")
    assert record.endpoint == "query Query.service"
    assert (record.method, record.path, record.status) == ("POST", "/graphql", 200)
    assert (record.account_code, record.account_name) == (user.code, "Bayside Integrations")
    assert record.company == "tass:01"
    assert record.ip == "127.0.0.1"
    assert record.user_agent == "timetable-sync/2.1"
    assert record.request_bytes == len(sent)
    assert record.response_bytes == len(received)
    assert record.elapsed_ms > 0
    assert record.error_codes == () and record.error_message is None and not record.is_error
    assert record.stack is None


async def test_the_endpoint_names_every_root_field_through_fragments(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True, grants=SERVICE)
    query = """
    query Both { ...Roots service { name } __typename }
    fragment Roots on Query { accounts { code } ... on Query { service { version } } }
    """

    status, _, _ = await post_graphql(
        harness, query, headers={**admin.headers, "X-Request-Id": "req-both"}
    )

    assert status == 200
    assert (await record_of(harness, "req-both")).endpoint == "query Query.accounts,Query.service"


async def test_a_mutation_is_recorded_as_one(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)
    mutation = "mutation($code: String!) { disableAccount(code: $code) { enabled } }"

    await post_graphql(
        harness,
        mutation,
        variables={"code": admin.code},
        headers={**admin.headers, "X-Request-Id": "req-mutation"},
    )

    record = await record_of(harness, "req-mutation")
    assert record.endpoint == "mutation Mutation.disableAccount"
    assert record.variables == json.dumps({"code": admin.code}, separators=(",", ":"))


async def test_variables_are_recorded_as_sent_though_execution_rewrites_them(
    harness: Harness,
) -> None:
    # Federation's `_entities` resolver pops `__typename` from each representation and puts
    # the resolver's `info` in its place, in the very dicts the variables hold: the record
    # keeps what the client sent, and nothing of the execution's objects.
    admin = await harness.provision(
        "School Office", admin=True, grants=[Grant("Staff", read=True, role="staff-records")]
    )
    representations = [{"__typename": "Staff", "id": f"U3RhZmY6bm8tc3VjaC0{n}"} for n in range(3)]

    _, _, answer = await post_graphql(
        harness,
        "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        variables={"r": representations},
        headers={**admin.headers, "X-Request-Id": "req-entities"},
    )

    assert json.loads(answer)["data"] == {"_entities": [None, None, None]}, answer
    record = await record_of(harness, "req-entities")
    assert record.variables is not None
    assert json.loads(record.variables) == {"r": representations}
    assert "Info" not in record.variables


async def test_secrets_in_variables_and_query_parameters_are_redacted(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)
    generate = (
        "mutation($code: String!, $passphrase: String!) { generateKey(code: $code, "
        "passphrase: $passphrase, linkExpiryHours: 24) { sentTo } }"
    )
    partner = await harness.create("Partner")
    await post_graphql(
        harness,
        generate,
        variables={"code": partner, "passphrase": "my very secret passphrase"},
        headers={**admin.headers, "X-Request-Id": "req-generate"},
    )
    variables = json.dumps({"accessToken": "tok-123", "first": 3, "apiKey": "k-9"})
    params = {
        "query": "{ service { name } }",
        "variables": variables,
        "token": "abc-secret",
        "extensions": json.dumps({"persistedQuery": {"sha256Hash": "f00d", "version": 1}}),
    }
    async with harness.http.get(
        harness.url / "graphql",
        params=params,
        headers={**admin.headers, "X-Request-Id": "req-get"},
    ) as response:
        await response.read()

    generated = await record_of(harness, "req-generate")
    assert generated.variables is not None
    assert json.loads(generated.variables) == {"code": partner, "passphrase": REDACTED}
    fetched = await record_of(harness, "req-get")
    assert fetched.query_parameters is not None
    for secret in ("tok-123", "k-9", "abc-secret"):
        assert secret not in fetched.query_parameters
    assert f"token={REDACTED}" in fetched.query_parameters
    assert '"sha256Hash":"f00d"' in fetched.query_parameters  # APQ hashes are no secret
    assert '"first":3' in fetched.query_parameters


async def test_sign_ins_are_recorded_without_their_secret(harness: Harness) -> None:
    user = await harness.provision("Partner", grants=SERVICE)
    async with harness.http.post(
        harness.url / "auth" / "token",
        json={"key": user.key, "secret": "wrong-secret-value"},
        headers={"X-Request-Id": "req-token"},
    ) as response:
        assert response.status == 401

    record = await record_of(harness, "req-token")
    assert record.endpoint == "POST /auth/token"
    assert record.status == 401
    assert record.error_codes == ("UNAUTHENTICATED",)
    assert record.error_message == "The key and secret are not valid."
    assert record.account_code is None
    assert "wrong-secret-value" not in repr(record) and user.secret not in repr(record)

    async with harness.http.post(
        harness.url / "auth" / "token",
        json={"key": user.key, "secret": user.secret},
        headers={"X-Request-Id": "req-token-ok"},
    ) as response:
        assert response.status == 200
        token = (await response.json())["access_token"]

    signed_in = await record_of(harness, "req-token-ok")
    assert (signed_in.status, signed_in.endpoint) == (200, "POST /auth/token")
    assert (signed_in.account_code, signed_in.account_name) == (user.code, "Partner")
    assert user.secret not in repr(signed_in) and token not in repr(signed_in)


async def test_graphql_errors_are_recorded_with_their_codes(harness: Harness) -> None:
    user = await harness.provision("Partner", grants=SERVICE)

    await post_graphql(
        harness, "{ service { nope } }", headers={**user.headers, "X-Request-Id": "req-invalid"}
    )
    await post_graphql(
        harness, "{ accounts { code } }", headers={**user.headers, "X-Request-Id": "req-denied"}
    )
    await post_graphql(
        harness,
        "{ service { name } }",
        headers={"Authorization": "Bearer nope", "X-Request-Id": "req-401"},
    )

    invalid = await record_of(harness, "req-invalid")
    assert (invalid.status, invalid.error_codes) == (400, ("GRAPHQL_VALIDATION_FAILED",))
    assert invalid.endpoint == "POST /graphql"  # an invalid operation names no root field
    assert invalid.error_message is not None and "nope" in invalid.error_message
    denied = await record_of(harness, "req-denied")
    assert denied.endpoint == "query Query.accounts"
    assert denied.error_codes == ("FORBIDDEN_FIELD",) and denied.is_error
    unauthenticated = await record_of(harness, "req-401")
    assert (unauthenticated.status, unauthenticated.error_codes) == (401, ("UNAUTHENTICATED",))


@strawberry.type
class Exploding:
    @strawberry.field
    def fine(self) -> str:
        return "fine"

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("the internal detail no client may see")


async def test_an_unexpected_error_keeps_its_stack_server_side(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    app = create_app(
        Settings(mode=Mode.UPSTREAM, anonymous=True), schema=build_schema(Exploding, mutation=None)
    )

    async def explode(request: web.Request) -> web.Response:
        raise ValueError("a handler's private state")

    app.router.add_get("/explode", explode)
    url = await serve(app)
    async with http.post(
        url / "graphql", json={"query": "{ fine boom }"}, headers={"X-Request-Id": "req-boom"}
    ) as response:
        graphql_body = await response.text()
    async with http.get(url / "explode", headers={"X-Request-Id": "req-explode"}) as response:
        assert response.status == 500
        route_body = await response.text()

    reader = app[AUDIT].reader
    await app[AUDIT].flush()
    boom = await reader.record("req-boom")
    exploded = await reader.record("req-explode")

    assert "internal detail" not in graphql_body and "private state" not in route_body
    assert boom is not None and exploded is not None
    assert boom.endpoint == "query Query.fine,Query.boom"
    assert boom.error_codes == ("INTERNAL",) and boom.error_message == "Internal server error."
    assert boom.stack is not None
    assert "RuntimeError: the internal detail no client may see" in boom.stack
    assert exploded.endpoint == "GET /explode"
    assert exploded.error_codes == ("INTERNAL",)
    assert exploded.stack is not None and "ValueError: a handler's private state" in exploded.stack


async def test_probes_are_not_recorded_and_unknown_paths_are(harness: Harness) -> None:
    for path in ("healthz", "readyz"):
        async with harness.http.get(harness.url / path) as response:
            await response.read()
    async with harness.http.get(
        harness.url / "wp-login.php", headers={"X-Request-Id": "req-404"}
    ) as response:
        assert response.status == 404

    reader = await flushed(harness)
    assert await reader.count(AuditFilter(endpoints=("GET /healthz", "GET /readyz"))) == 0
    missing = await reader.record("req-404")
    assert missing is not None
    assert (missing.endpoint, missing.path, missing.error_codes) == (
        "GET (no route)",
        "/wp-login.php",
        ("NOT_FOUND",),
    )
    assert missing.account_code is None


async def test_anonymous_demo_requests_are_recorded_with_their_upstream_calls(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    app = create_app(Settings(demo_scale="small", rate_limit=0))
    url = await serve(app)
    async with http.post(
        url / "graphql",
        json={"query": "{ schools { name } }"},
        headers={"X-Request-Id": "req-schools"},
    ) as response:
        assert response.status == 200

    await app[AUDIT].flush()
    record = await app[AUDIT].reader.record("req-schools")

    assert record is not None
    assert record.endpoint == "query Query.schools"
    assert (record.account_code, record.account_name) == (None, "anonymous")
    assert record.calls, "the schools came from the simulators"
    assert {call.upstream for call in record.calls} <= {"tanda", "xporter", "tass"}
    for call in record.calls:
        assert call.route.startswith("/") and "?" not in call.route
        assert call.elapsed_ms >= 0 and call.cache
    assert [user.key for user in await app[AUDIT].reader.top_users()] == [ANONYMOUS_USER]


async def test_no_record_is_lost_under_concurrent_load_and_shutdown_writes_the_rest(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    # A small buffer and a writer that only runs when a batch fills or at shutdown: the
    # requests meet back-pressure, and the last records are written by the shutdown alone.
    db = tmp_path / "accounts.sqlite3"
    settings = Settings(
        mode=Mode.UPSTREAM,
        anonymous=True,
        rate_limit=0,
        db_path=db,
        audit_buffer_size=64,
        audit_flush_interval=3600.0,
    )
    app = create_app(settings)
    url, stop, serving = await start_serving(app)
    requests = 500

    async def one(n: int) -> int:
        async with http.post(
            url / "graphql",
            json={"query": "{ service { name } }"},
            headers={"X-Request-Id": f"load-{n}"},
        ) as response:
            await response.read()
            return response.status

    statuses = await asyncio.gather(*(one(n) for n in range(requests)))
    stop.set()
    await serving

    assert statuses == [200] * requests
    assert app[AUDIT].recorder.dropped == 0
    reader = AuditStore(db)
    await reader.open()
    try:
        assert await reader.count() == requests
        page = await reader.search(AuditFilter(endpoints=("query Query.service",)), limit=1)
        assert page.total == requests
        assert await reader.record("load-0") is not None
        assert await reader.record(f"load-{requests - 1}") is not None
    finally:
        await reader.close()


async def test_the_audit_log_can_be_turned_off(serve: Serve, http: aiohttp.ClientSession) -> None:
    app = create_app(Settings(mode=Mode.UPSTREAM, anonymous=True, audit=False))
    url = await serve(app)
    async with http.post(url / "graphql", json={"query": "{ service { name } }"}) as response:
        assert response.status == 200

    assert AUDIT not in app


async def test_a_grant_change_over_graphql_is_attributed_to_the_admin(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)
    partner = await harness.create("Partner")
    grant = (
        'mutation($code: String!) { setGrant(code: $code, input: {typeName: "Service", '
        "read: true}) { code } }"
    )

    await post_graphql(
        harness,
        grant,
        variables={"code": partner},
        headers={**admin.headers, "X-Request-Id": "req-grant"},
    )

    record = await record_of(harness, "req-grant")
    assert record.account_code == admin.code
    assert record.endpoint == "mutation Mutation.setGrant"
    assert Grant("Service", read=True) in await harness.service.grants(partner)


async def test_hostile_nesting_is_recorded_without_its_depth(harness: Harness) -> None:
    user = await harness.provision("Partner", grants=SERVICE)
    nested = "[" * 200 + "]" * 200
    body = '{"query": "{ service { name } }", "variables": {"v": ' + nested + "}}"
    async with harness.http.post(
        harness.url / "graphql",
        data=body,
        headers={**user.headers, "Content-Type": "application/json", "X-Request-Id": "deep"},
    ) as response:
        assert response.status == 200
    async with harness.http.get(
        harness.url / "graphql",
        params={"query": "{ service { name } }", "variables": '{"a": ' + "[" * 1500},
        headers={**user.headers, "X-Request-Id": "deep-get"},
    ) as response:
        assert response.status == 400

    deep = await record_of(harness, "deep")
    deep_get = await record_of(harness, "deep-get")
    assert deep.variables is not None and REDACTED_DEPTH in deep.variables
    assert deep.variables.count("[") == 32  # MAX_DEPTH lists, then the marker
    assert deep_get.query_parameters is not None
    assert "variables=[UNREADABLE JSON]" in deep_get.query_parameters


async def test_a_kept_answer_is_recorded_under_the_operation_it_answers(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    app = create_app(Settings(demo_scale="small", rate_limit=0))
    url = await serve(app)
    query = """
    query Schools($n: Int) {
      schools { name } service { name } s: students(first: $n) { totalCount }
    }
    """
    outcomes = []
    for request_id in ("req-computed", "req-kept"):
        async with http.post(
            url / "graphql",
            json={"query": query, "variables": {"n": 2}},
            headers={"X-Request-Id": request_id},
        ) as response:
            assert response.status == 200
            outcomes.append(response.headers["X-Schoolgraph-Answer-Cache"])
            assert "errors" not in await response.json()

    await app[AUDIT].flush()
    computed = await app[AUDIT].reader.record("req-computed")
    kept = await app[AUDIT].reader.record("req-kept")

    assert outcomes == ["miss", "hit"]
    assert computed is not None and kept is not None
    assert computed.endpoint == "query Query.schools,Query.service,Query.students"
    assert kept.endpoint == computed.endpoint
    assert kept.variables == computed.variables == '{"n":2}'
    assert kept.calls == (), "a kept answer asks no upstream"
