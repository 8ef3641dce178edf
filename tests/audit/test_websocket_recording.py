"""Recording over a WebSocket: one record per operation, as its account, with its sizes."""

from __future__ import annotations

import asyncio
import json

from schoolgraph.audit.models import AuditFilter, AuditRecord
from schoolgraph.audit.store import ANONYMOUS_USER
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import Harness
from tests.audit.conftest import flushed
from tests.live.conftest import PROTOCOL, WAIT

TOKEN_ENDPOINT = "POST /auth/token"


async def graphql_records(harness: Harness, code: str, count: int) -> list[AuditRecord]:
    """The ``count`` records of account ``code`` on ``/graphql`` (not its sign-in), in
    the order they arrived, once the gateway has made them all."""
    where = AuditFilter(users=(code,), endpoints=(TOKEN_ENDPOINT,))
    for _ in range(int(WAIT / 0.05)):
        reader = await flushed(harness)
        if await reader.count(AuditFilter(users=(code,))) - await reader.count(where) >= count:
            break
        await asyncio.sleep(0.05)  # the connection's record is made as the server closes it
    page = await reader.search(AuditFilter(users=(code,)), limit=count + 10)
    records = [record for record in page.records if record.path == "/graphql"]
    assert len(records) == count, records
    return sorted(records, key=lambda record: (record.at, record.request_id))


async def test_each_operation_over_a_socket_is_recorded_as_its_account_with_its_sizes(
    harness: Harness,
) -> None:
    user = await harness.provision("Bayside Integrations", schools=["tass:01"], grants=SERVICE)
    ws = await harness.http.ws_connect(harness.url / "graphql", protocols=[PROTOCOL])
    await ws.send_json(
        {"type": "connection_init", "payload": {"Authorization": user.headers["Authorization"]}}
    )
    assert json.loads(await ws.receive_str(timeout=WAIT))["type"] == "connection_ack"
    sent: list[int] = []
    received: list[int] = []
    for number, query in enumerate(["{ service { name } }", "{ schools { name } }"], start=1):
        frame = json.dumps({"id": str(number), "type": "subscribe", "payload": {"query": query}})
        await ws.send_str(frame)
        sent.append(len(frame.encode()))
        answers = [await ws.receive_str(timeout=WAIT) for _ in range(2)]  # next, complete
        assert json.loads(answers[-1]) == {"id": str(number), "type": "complete"}
        received.append(sum(len(answer.encode()) for answer in answers))
    await ws.close()

    connection, *operations = await graphql_records(harness, user.code, 3)

    assert [record.endpoint for record in operations] == [
        "query Query.service",
        "query Query.schools",
    ]
    for record, request_bytes, response_bytes in zip(operations, sent, received, strict=True):
        assert (record.account_code, record.account_name) == (user.code, "Bayside Integrations")
        assert record.company == "tass:01"
        assert (record.request_bytes, record.response_bytes) == (request_bytes, response_bytes)
        assert record.status == 200
    allowed, forbidden = operations
    assert not allowed.is_error and allowed.error_codes == ()
    assert forbidden.is_error and forbidden.error_codes == ("FORBIDDEN_FIELD",)
    assert len({record.request_id for record in [*operations, connection]}) == 3
    assert (connection.endpoint, connection.status) == ("GET /graphql", 101)
    assert connection.account_code == user.code
    reader = await flushed(harness)
    [usage] = [usage for usage in await reader.top_users(None) if usage.key == user.code]
    assert (usage.requests, usage.errors) == (4, 1), "three on the socket, and its sign-in"
    anonymous = await reader.search(AuditFilter(users=(ANONYMOUS_USER,)))
    assert [record for record in anonymous.records if record.path == "/graphql"] == []
