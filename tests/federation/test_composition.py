"""schoolgraph's live ``_service { sdl }`` composed by ``@apollo/composition`` beside other
teams' subgraphs (``subgraphs/*.graphql``): a Relay subgraph with its own ``PageInfo``, a
platform with its own ``Account``, ``accounts`` and ``service``, and a desk service that
extends ``Team`` and ``Location`` by their key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.federation.conftest import COMPOSITION, COMPOSITION_2_9, ApolloComposition
from tests.graph.conftest import Gateway

SUBGRAPHS = Path(__file__).resolve().parent / "subgraphs"


def fixture_sdl(name: str) -> str:
    return (SUBGRAPHS / f"{name}.graphql").read_text(encoding="utf-8")


async def service_sdl(schoolgraph: Gateway) -> str:
    sdl: str = (await schoolgraph.data("{ _service { sdl } }"))["_service"]["sdl"]
    return sdl


def definition(supergraph: str, kind: str, name: str) -> str:
    """The supergraph's definition of ``kind name``, up to its closing brace."""
    found = re.search(rf"^{kind} {name}\b.*?^\}}", supergraph, re.MULTILINE | re.DOTALL)
    assert found is not None, f"{kind} {name} is not in the supergraph:\n{supergraph}"
    return found.group()


async def test_a_relay_subgraph_with_its_own_shareable_page_info_composes_with_schoolgraph(
    composition: ApolloComposition, schoolgraph: Gateway
) -> None:
    supergraph = await composition.compose(
        {"schoolgraph": await service_sdl(schoolgraph), "invoices": fixture_sdl("invoices")}
    )

    page_info = definition(supergraph, "type", "PageInfo")
    assert "@join__type(graph: SCHOOLGRAPH)" in page_info
    assert "@join__type(graph: INVOICES)" in page_info


async def test_a_subgraph_with_its_own_accounts_and_service_composes_with_schoolgraph(
    composition: ApolloComposition, schoolgraph: Gateway
) -> None:
    supergraph = await composition.compose(
        {"schoolgraph": await service_sdl(schoolgraph), "platform": fixture_sdl("platform")}
    )

    # The platform's Account, accounts and service, with nothing of schoolgraph's admin and
    # operations fields: schoolgraph serves those to its own clients only.
    account = definition(supergraph, "type", "Account")
    assert "@join__type(graph: SCHOOLGRAPH" not in account
    assert "userName" not in account
    query = definition(supergraph, "type", "Query")
    assert re.search(r"^  accounts: \[Account!\]! @join__field\(graph: PLATFORM\)", query, re.M)
    assert re.search(r"^  service: Service! @join__field\(graph: PLATFORM\)", query, re.M)
    assert "region: String!" in definition(supergraph, "type", "Service")
    for admin in ("auditLog", "grantableTypes", "setGrant", "generateKey", "AuditEntry"):
        assert admin not in supergraph
    mutation = definition(supergraph, "type", "Mutation")
    assert "createShift" in mutation
    assert re.search(r"^  createAccount\(.*@join__field\(graph: PLATFORM\)", mutation, re.M)


async def test_a_subgraph_extending_team_and_location_by_key_composes_with_schoolgraph(
    composition: ApolloComposition, schoolgraph: Gateway
) -> None:
    supergraph = await composition.compose(
        {"schoolgraph": await service_sdl(schoolgraph), "desks": fixture_sdl("desks")}
    )

    for entity in ("Team", "Location", "Contact"):
        found = definition(supergraph, "type", entity)
        assert '@join__type(graph: SCHOOLGRAPH, key: "id")' in found
        assert '@join__type(graph: DESKS, key: "id"' in found
    assert "desks: [Desk!]! @join__field(graph: DESKS)" in definition(supergraph, "type", "Team")


@pytest.mark.parametrize("package", [COMPOSITION, COMPOSITION_2_9], ids=["2.14", "2.9"])
async def test_every_fixture_subgraph_composes_with_schoolgraph_at_once(
    composition: ApolloComposition, schoolgraph: Gateway, package: str
) -> None:
    # @apollo/composition 2.9 refuses a subgraph that links federation v2.10 or later.
    subgraphs = {"schoolgraph": await service_sdl(schoolgraph)}
    subgraphs |= {name: fixture_sdl(name) for name in ("invoices", "platform", "desks")}

    supergraph = await composition.compose(subgraphs, package=package)

    assert '@join__graph(name: "schoolgraph"' in supergraph
