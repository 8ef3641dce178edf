"""A request the answer cache serves is recorded with its variables redacted as an executed
one's are: a variable feeding a secret argument goes, whatever its name."""

from __future__ import annotations

import json

import aiohttp

from schoolgraph.app import create_app
from schoolgraph.audit.redaction import REDACTED
from schoolgraph.audit.web import AUDIT
from schoolgraph.config import Settings
from tests.conftest import Serve

# The schema's only secret argument is a mutation's, and a mutation is never kept: the query
# is kept, from a document that also holds the mutation its variable would feed.
DOCUMENT = """
query Names { schools { name } }
mutation Share($p: String!) { generateKey(code: "x", passphrase: $p, linkExpiryHours: 6) {
  sentTo } }
"""
PASSPHRASE = "Kept-Answer-Passphrase-1"


async def test_a_kept_answer_s_variable_feeding_a_passphrase_is_redacted(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    app = create_app(Settings(demo_scale="small", rate_limit=0))
    url = await serve(app)
    payload = {"query": DOCUMENT, "operationName": "Names", "variables": {"p": PASSPHRASE}}
    outcomes = []
    for request_id in ("req-computed", "req-kept"):
        async with http.post(
            url / "graphql", json=payload, headers={"X-Request-Id": request_id}
        ) as response:
            assert response.status == 200
            assert "errors" not in await response.json()
            outcomes.append(response.headers["X-Schoolgraph-Answer-Cache"])

    await app[AUDIT].flush()
    computed = await app[AUDIT].reader.record("req-computed")
    kept = await app[AUDIT].reader.record("req-kept")

    assert outcomes == ["miss", "hit"]
    assert computed is not None and kept is not None
    assert computed.variables is not None and json.loads(computed.variables) == {"p": REDACTED}
    assert kept.variables == computed.variables
    assert kept.endpoint == computed.endpoint == "query Query.schools"
