"""Secrets never reach the audit log, however they are sent: in a variable of any name, nested
in an input, written in the query text, or echoed by an error message; and the query string
is recorded as received otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import strawberry
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.audit.models import AuditRecord
from schoolgraph.audit.redaction import REDACTED, UNREADABLE
from schoolgraph.audit.web import AUDIT
from schoolgraph.config import Mode, Settings
from schoolgraph.graph.schema import build_schema
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import Harness
from tests.audit.conftest import flushed
from tests.conftest import Serve

GENERATE = (
    "mutation($c: String!, $p: String!, $h: Int!) "
    "{ generateKey(code: $c, passphrase: $p, linkExpiryHours: $h) { sentTo } }"
)


async def record_of(harness: Harness, request_id: str) -> AuditRecord:
    record = await (await flushed(harness)).record(request_id)
    assert record is not None, f"no audit record for {request_id}"
    return record


def stored_bytes(db: Path) -> bytes:
    """Everything SQLite holds of the log on disk: the database file and its WAL."""
    return b"".join(path.read_bytes() for path in db.parent.glob(f"{db.name}*"))


async def test_a_variable_feeding_a_passphrase_is_redacted_whatever_its_name(
    harness: Harness, db: Path
) -> None:
    admin = await harness.provision("School Office", admin=True)
    partner = await harness.create("Partner")
    passphrase = "TopSecretPassphrase-QWERT"

    answer = await harness.graphql(
        GENERATE,
        {"c": partner, "p": passphrase, "h": 6},
        headers={**admin.headers, "X-Request-Id": "req-p"},
    )

    assert answer["data"]["generateKey"]["sentTo"]
    record = await record_of(harness, "req-p")
    assert record.variables is not None
    assert json.loads(record.variables)["p"] == REDACTED
    assert json.loads(record.variables)["c"] == partner
    assert passphrase.encode() not in stored_bytes(db)


async def test_a_secret_an_error_message_echoes_is_redacted_in_the_record_only(
    harness: Harness, db: Path
) -> None:
    admin = await harness.provision("School Office", admin=True)
    partner = await harness.create("Partner")
    secret = "ArraySecret-" + "x" * 300  # long: graphql-core's message shortens it

    answer = await harness.graphql(
        GENERATE,
        {"c": partner, "p": [secret], "h": 6},
        headers={**admin.headers, "X-Request-Id": "req-array"},
        status=400,
    )

    client_message = answer["errors"][0]["message"]
    assert "ArraySecret-x" in client_message, "the client's own answer is unchanged"
    record = await record_of(harness, "req-array")
    assert record.error_message is not None
    assert "ArraySecret" not in record.error_message
    assert REDACTED in record.error_message
    assert "String cannot represent a non string value" in record.error_message
    assert b"ArraySecret" not in stored_bytes(db)


@strawberry.input
class Recovery:
    token: str


@strawberry.input
class SignIn:
    user: str
    password: str | None = None
    recovery: list[Recovery] | None = None


@strawberry.type
class Signing:
    @strawberry.field
    def sign_in(self, login: SignIn) -> str:
        return f"signed in {login.user}"


async def test_variables_inside_inputs_and_literals_in_the_query_text_are_redacted(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    app = create_app(
        Settings(mode=Mode.UPSTREAM, anonymous=True), schema=build_schema(Signing, mutation=None)
    )
    url = await serve(app)
    nested = (
        "query($u: String!, $a: String!, $b: String!) "
        "{ signIn(login: {user: $u, password: $a, recovery: [{token: $b}]}) }"
    )
    variables = {"u": "ann", "a": "Nested-Secret-1", "b": "Nested-Secret-2"}
    inline = (
        '{ signIn(login: {user: "ann", password: "Inline-Secret-1", '
        'recovery: [{token: "Inline-Secret-2"}]}) }'
    )
    for request_id, params in [
        ("req-nested", {"query": nested, "variables": json.dumps(variables)}),
        ("req-inline", {"query": inline}),
    ]:
        async with http.get(
            url / "graphql", params=params, headers={"X-Request-Id": request_id}
        ) as response:
            assert (await response.json())["data"] == {"signIn": "signed in ann"}

    await app[AUDIT].flush()
    nested_record = await app[AUDIT].reader.record("req-nested")
    inline_record = await app[AUDIT].reader.record("req-inline")

    assert nested_record is not None and inline_record is not None
    assert nested_record.variables is not None
    assert json.loads(nested_record.variables) == {"u": "ann", "a": REDACTED, "b": REDACTED}
    assert nested_record.query_parameters == (
        f'query={nested}&variables={{"a":"{REDACTED}","b":"{REDACTED}","u":"ann"}}'
    )
    for secret in ('"Inline-Secret-1"', '"Inline-Secret-2"'):
        inline = inline.replace(secret, REDACTED)
    assert inline_record.query_parameters == f"query={inline}"


async def test_query_parameters_are_recorded_as_received(harness: Harness) -> None:
    user = await harness.provision("Partner", grants=SERVICE)
    async with harness.http.get(
        URL(f"{harness.url}/graphql?query=%7Bservice%7Bname%7D%7D", encoded=True),
        headers={**user.headers, "X-Request-Id": "req-plain"},
    ) as response:
        assert response.status == 200
    query = "query($p: String) { service { name } }"
    params = {
        "query": query,
        "operationName": "[not json",
        "variables": json.dumps({"p": "kept", "apiKey": "k-9"}),
        "extensions": "{not json",
        "token": "abc-secret",
    }
    async with harness.http.get(
        harness.url / "graphql", params=params, headers={**user.headers, "X-Request-Id": "req-mix"}
    ) as response:
        await response.read()

    plain = await record_of(harness, "req-plain")
    mixed = await record_of(harness, "req-mix")

    assert plain.query_parameters == "query={service{name}}"
    assert mixed.query_parameters == (
        f"query={query}&operationName=[not json"
        f'&variables={{"apiKey":"{REDACTED}","p":"kept"}}'
        f"&extensions={UNREADABLE}&token={REDACTED}"
    )
