"""A short load: many concurrent clients over cached and uncached queries, all answered.

The suite's version of ``python benchmarks/load.py load`` (200 clients for 60 s, the
gateway and the simulators in processes of their own): the same mix and driver, smaller
and in-process. Every request the driver made left exactly one audit record.
"""

from __future__ import annotations

import aiohttp
from benchmarks.load import discover, drive

from schoolgraph.audit.models import AuditFilter
from schoolgraph.audit.web import AUDIT
from tests.hardening.conftest import Harden

CLIENTS = 100
SECONDS = 8.0


async def test_a_hundred_clients_for_eight_seconds_all_get_answers(harden: Harden) -> None:
    gateway = await harden()
    url = str(gateway.url / "graphql")
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as http:
        mix = await discover(http, url, gateway.world.today)
        audit = gateway.app[AUDIT]
        await audit.flush()
        before = await audit.reader.count(AuditFilter())
        figures = await drive(http, url, mix, clients=CLIENTS, seconds=SECONDS)
        await audit.flush()
        recorded = await audit.reader.count(AuditFilter()) - before

    assert figures.failures == []
    assert figures.server_errors == 0
    assert dict(figures.statuses) == {200: figures.requests}
    assert figures.codes == {}, "no GraphQL errors of any kind"
    assert figures.requests > CLIENTS
    assert set(figures.latencies) == {"cached", "uncached"}
    assert recorded == figures.requests, "one audit record per request, none lost"
    assert audit.recorder.dropped == 0
