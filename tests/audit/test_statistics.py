"""The figures read off the log, against expectations computed by hand from the traffic each
test sends over HTTP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from schoolgraph.audit.models import AuditFilter, MethodFigures
from schoolgraph.audit.store import ANONYMOUS_USER
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import ApiUser, Harness
from tests.audit.conftest import flushed

NAME = "{ service { name } }"
VERSION = "query V { service { version name } }"
INVALID = "{ service { nope } }"


@dataclass
class Sent:
    """What one request put on the wire, seen from the client."""

    request_bytes: int
    response_bytes: int


async def send(harness: Harness, user: ApiUser, query: str, *, method: str = "POST") -> Sent:
    if method == "GET":
        async with harness.http.get(
            harness.url / "graphql", params={"query": query}, headers=user.headers
        ) as response:
            return Sent(0, len(await response.read()))
    body = json.dumps({"query": query}).encode()
    headers = {**user.headers, "Content-Type": "application/json"}
    async with harness.http.post(harness.url / "graphql", data=body, headers=headers) as response:
        return Sent(len(body), len(await response.read()))


def kb(sizes: list[int]) -> float:
    return round(sum(sizes) / 1024, 3)


def figures_by(
    rows: tuple[MethodFigures, ...],
) -> Mapping[tuple[str, str, str | None], MethodFigures]:
    return {(row.endpoint, row.method, row.user): row for row in rows}


async def test_top_users_and_endpoints_count_what_was_sent(harness: Harness) -> None:
    alice = await harness.provision("Alice Apps", grants=SERVICE)
    bob = await harness.provision("Bob Bureau", grants=SERVICE)
    for _ in range(4):
        await send(harness, alice, NAME)
    await send(harness, alice, INVALID)
    for _ in range(2):
        await send(harness, bob, VERSION)

    reader = await flushed(harness)
    users = await reader.top_users()
    endpoints = await reader.top_endpoints(limit=None)

    # Provisioning made 2 requests per user: the key link, with no account yet, and the
    # sign-in, which counts for the account it signed in. Alice: 1 sign-in and 5 queries.
    assert [(u.key, u.name, u.requests, u.errors) for u in users] == [
        (alice.code, "Alice Apps", 6, 1),
        (bob.code, "Bob Bureau", 3, 0),
        (ANONYMOUS_USER, None, 2, 0),
    ]
    assert [(e.key, e.requests, e.errors) for e in endpoints] == [
        ("query Query.service", 6, 0),
        ("POST /auth/token", 2, 0),
        ("POST /keys", 2, 0),
        ("POST /graphql", 1, 1),
    ]
    assert [u.key for u in await reader.top_users(limit=1)] == [alice.code]
    assert all(u.last_at is not None for u in users)


async def test_user_statistics_per_endpoint_and_method(harness: Harness) -> None:
    alice = await harness.provision("Alice Apps", grants=SERVICE)
    posted = [await send(harness, alice, NAME) for _ in range(3)]
    fetched = [await send(harness, alice, VERSION, method="GET") for _ in range(2)]
    invalid = await send(harness, alice, INVALID)

    reader = await flushed(harness)
    statistics = await reader.user_statistics(alice.code, limit=None)

    assert statistics is not None
    assert (statistics.account_code, statistics.account_name) == (alice.code, "Alice Apps")
    figures = figures_by(statistics.figures)
    assert set(figures) == {
        ("query Query.service", "POST", alice.code),
        ("query Query.service", "GET", alice.code),
        ("POST /graphql", "POST", alice.code),
        ("POST /auth/token", "POST", alice.code),  # provisioning signed her in
    }
    post = figures["query Query.service", "POST", alice.code]
    assert post.count == 3
    assert post.received_kb == kb([sent.request_bytes for sent in posted])
    assert post.sent_kb == kb([sent.response_bytes for sent in posted])
    get = figures["query Query.service", "GET", alice.code]
    assert (get.count, get.received_kb) == (2, 0.0)
    assert get.sent_kb == kb([sent.response_bytes for sent in fetched])
    wrong = figures["POST /graphql", "POST", alice.code]
    assert (wrong.count, wrong.sent_kb) == (1, kb([invalid.response_bytes]))
    # The harness posts the key and secret as aiohttp's ``json=`` encodes them.
    signed_in = figures["POST /auth/token", "POST", alice.code]
    sign_in_body = json.dumps({"key": alice.key, "secret": alice.secret}).encode()
    assert (signed_in.count, signed_in.received_kb) == (1, kb([len(sign_in_body)]))
    # The average is the database's: compare with the records' own elapsed times.
    page = await reader.search(
        AuditFilter(users=(alice.code,), methods=("POST",), endpoints=("query Query.service",))
    )
    assert page.total == 3
    expected = sum(record.elapsed_ms for record in page.records) / 3
    assert abs(post.average_ms - expected) < 0.01
    assert statistics.figures[0] == post  # busiest first
    assert [record.endpoint for record in statistics.recent_errors] == ["POST /graphql"]
    assert statistics.last_at == statistics.recent_errors[0].at
    top = await reader.user_statistics(alice.code, limit=1)
    assert top is not None and top.figures == (post,)
    assert await reader.user_statistics("SG9999") is None


async def test_endpoint_statistics_per_method_and_per_user(harness: Harness) -> None:
    alice = await harness.provision("Alice Apps", grants=SERVICE)
    bob = await harness.provision("Bob Bureau", grants=SERVICE)
    alice_sent = [await send(harness, alice, NAME) for _ in range(2)]
    bob_sent = [await send(harness, bob, NAME)]
    bob_got = [await send(harness, bob, NAME, method="GET") for _ in range(3)]

    reader = await flushed(harness)
    statistics = await reader.endpoint_statistics("query Query.service")

    assert statistics is not None
    by_method = figures_by(statistics.by_method)
    assert by_method["query Query.service", "POST", None].count == 3
    assert by_method["query Query.service", "POST", None].received_kb == kb(
        [sent.request_bytes for sent in alice_sent + bob_sent]
    )
    assert by_method["query Query.service", "GET", None].count == 3
    assert by_method["query Query.service", "GET", None].sent_kb == kb(
        [sent.response_bytes for sent in bob_got]
    )
    by_user = {(row.user, row.method): row.count for row in statistics.by_user}
    assert by_user == {(alice.code, "POST"): 2, (bob.code, "POST"): 1, (bob.code, "GET"): 3}
    assert [row.method for row in statistics.by_method] == ["GET", "POST"]  # 3 and 3, by name
    assert await reader.endpoint_statistics("query Query.nothing") is None


async def test_search_filters_over_real_traffic(harness: Harness) -> None:
    alice = await harness.provision("Alice Apps", schools=["tass:01"], grants=SERVICE)
    bob = await harness.provision("Bob Bureau", schools=["xporter:7109606"], grants=SERVICE)
    await send(harness, alice, NAME)
    await send(harness, alice, INVALID)
    await send(harness, bob, NAME, method="GET")
    await send(harness, bob, "{ accounts { code } }")

    reader = await flushed(harness)

    async def total(**where: object) -> int:
        return (await reader.search(AuditFilter(**where))).total  # type: ignore[arg-type]

    assert await total() == 8  # 4 provisioning requests, 4 queries
    # Each account's own: its sign-in and its 2 queries; the key links had no account yet.
    assert await total(users=(alice.code,)) == 3
    assert await total(users=(alice.code, bob.code)) == 6
    assert await total(users=(ANONYMOUS_USER,)) == 2
    assert await total(companies=("xporter:7109606",)) == 3
    assert await total(methods=("GET",)) == 1
    assert await total(methods=("get", "post")) == 8
    assert await total(statuses=(400,)) == 1
    assert await total(errors_only=True) == 2  # the invalid query, and the refused field
    # "Errors Only" adds the error statuses to those chosen: every 200, and the 400.
    assert await total(errors_only=True, statuses=(200,)) == 8
    assert await total(errors_only=True, statuses=(400,)) == 2
    assert await total(message="cannot query") == 1
    assert await total(message="%") == 0
    assert await total(endpoints=("query Query.accounts", "POST /graphql")) == 2
    assert await total(users=(bob.code,), errors_only=True) == 1
    assert await total(users=("SG9999",)) == 0

    page = await reader.search(AuditFilter(), offset=2, limit=3)
    everything = await reader.search(AuditFilter(), limit=100)
    assert page.records == everything.records[2:5]
    assert [r.at for r in everything.records] == sorted(
        (r.at for r in everything.records), reverse=True
    )
    errors = await reader.recent_errors()
    assert [r.error_codes for r in errors] == [("FORBIDDEN_FIELD",), ("GRAPHQL_VALIDATION_FAILED",)]
