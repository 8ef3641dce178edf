"""Simulators started apart from the gateway, and the environment that points a gateway at them.

Used by the runtime, readiness and explain tests: the gateway is configured the way a
deployment configures it (``SCHOOLGRAPH_*`` variables through ``load_settings``), and the
simulators' control planes inject faults behind it.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import strawberry

from schoolgraph.context import Context
from schoolgraph.simulators.stack import SimulatorStack

UPSTREAMS = ("tanda", "xporter", "tass")


def environ_for(stack: SimulatorStack, *upstreams: str) -> dict[str, str]:
    """``SCHOOLGRAPH_*`` variables for ``upstreams`` (all three by default) of ``stack``, with
    anonymous access on (upstream mode otherwise needs a token; tests/accounts cover that)."""
    described = stack.describe()
    tanda, xporter, tass = described["tanda"], described["xporter"], described["tass"]
    environ: dict[str, str] = {"SCHOOLGRAPH_ANONYMOUS": "true"}
    for upstream in upstreams or UPSTREAMS:
        if upstream == "tanda":
            environ |= {
                "SCHOOLGRAPH_TANDA_URL": tanda["url"],
                "SCHOOLGRAPH_TANDA_EMAIL": tanda["admin"]["email"],
                "SCHOOLGRAPH_TANDA_PASSWORD": tanda["admin"]["password"],
            }
        elif upstream == "xporter":
            environ |= {
                "SCHOOLGRAPH_XPORTER_URL": xporter["url"],
                "SCHOOLGRAPH_XPORTER_TOKEN_URL": xporter["token_url"],
                "SCHOOLGRAPH_XPORTER_RELYING_PARTY": xporter["relying_party"],
                "SCHOOLGRAPH_XPORTER_SCHOOLS": ",".join(
                    f"{school['estab']}:{school['secret']}" for school in xporter["schools"]
                ),
            }
        else:
            environ |= {
                "SCHOOLGRAPH_TASS_URL": tass["url"],
                "SCHOOLGRAPH_TASS_COMPANIES": ",".join(c["code"] for c in tass["companies"]),
                "SCHOOLGRAPH_TASS_CLIENT_KEY": tass["client_key"],
                "SCHOOLGRAPH_TASS_CLIENT_SECRET": tass["client_secret"],
            }
    return environ


def secrets_of(stack: SimulatorStack) -> list[str]:
    """Every credential the stack hands out, to look for where none may appear."""
    described = stack.describe()
    tanda, xporter, tass = described["tanda"], described["xporter"], described["tass"]
    return [
        tanda["admin"]["password"],
        tanda["oauth_client"]["client_secret"],
        *(school["secret"] for school in xporter["schools"]),
        tass["client_key"],
        tass["client_secret"],
        tass["legacy"]["token_key"],
    ]


async def sim_post(
    http: aiohttp.ClientSession, stack: SimulatorStack, upstream: str, path: str, body: Any
) -> Any:
    """POST to a simulator's control plane (``/__sim/...``) and return its JSON answer."""
    async with http.post(f"{stack.urls[upstream]}{path}", json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


@strawberry.type
class DirectoryQuery:
    """A root type over the Directory, independent of the graph's own types."""

    @strawberry.field
    async def school_ids(self, info: strawberry.Info[Context, None]) -> list[str]:
        schools = await info.context.directory.schools()
        return sorted(school.id for school in schools.value)

    @strawberry.field
    async def student_count(self, info: strawberry.Info[Context, None], school_id: str) -> int:
        return len(await info.context.directory.students(school_id))
