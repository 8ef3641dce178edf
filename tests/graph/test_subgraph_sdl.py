"""The subgraph SDL that ``_service { sdl }`` publishes: the whole schema but for the admin and
operations fields schoolgraph serves only its own clients, at the oldest federation version
its directives need."""

from __future__ import annotations

from graphql import DocumentNode, ObjectTypeDefinitionNode, TypeDefinitionNode, parse, print_ast

from schoolgraph.graph.admin import ADMIN_MUTATION_FIELDS, ADMIN_QUERY_FIELDS, ADMIN_TYPES
from schoolgraph.graph.schema import export_sdl, subgraph_sdl
from tests.graph.conftest import Gateway

UNPUBLISHED_TYPES = ADMIN_TYPES | {
    "AccountSchoolInput",
    "AuditFilterInput",
    "CreateAccountInput",
    "GrantInput",
    "Service",
    "ServiceMode",
    "UpdateAccountInput",
    "Upstream",
    "UpstreamKind",
}


def by_name(document: DocumentNode) -> dict[str, TypeDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, TypeDefinitionNode)}


def field_names(definition: TypeDefinitionNode) -> set[str]:
    assert isinstance(definition, ObjectTypeDefinitionNode)
    return {field.name.value for field in definition.fields or ()}


async def test_the_subgraph_sdl_is_the_schema_without_the_admin_and_operations_fields(
    gateway: Gateway,
) -> None:
    published = by_name(parse((await gateway.data("{ _service { sdl } }"))["_service"]["sdl"]))
    whole = by_name(parse(export_sdl()))

    assert set(whole) - set(published) == UNPUBLISHED_TYPES
    assert set(published) <= set(whole)
    assert field_names(whole["Query"]) - field_names(published["Query"]) == (
        ADMIN_QUERY_FIELDS | {"service"}
    )
    assert field_names(whole["Mutation"]) - field_names(published["Mutation"]) == (
        ADMIN_MUTATION_FIELDS
    )
    for name in set(published) - {"Query", "Mutation"}:
        assert print_ast(published[name]) == print_ast(whole[name]), name


async def test_schoolgraph_still_serves_its_own_clients_what_it_does_not_publish(
    gateway: Gateway,
) -> None:
    data = await gateway.data("{ service { name upstreams { kind } } }")

    assert data["service"]["name"] == "schoolgraph"
    assert len(data["service"]["upstreams"]) == 3


async def test_the_subgraph_sdl_links_federation_2_0_and_shares_page_info(
    gateway: Gateway,
) -> None:
    sdl = (await gateway.data("{ _service { sdl } }"))["_service"]["sdl"]

    assert sdl.startswith(
        'schema @link(url: "https://specs.apollo.dev/federation/v2.0", '
        'import: ["@key", "@shareable"])'
    )
    assert "type PageInfo @shareable {" in sdl
    assert sdl.count("@shareable") == 2  # the import and PageInfo: nothing else is shared


def test_a_root_type_left_without_fields_goes_with_its_operation() -> None:
    sdl = """
    schema { query: Query mutation: Mutation }
    type Query { items: [Item!]! status: Status! }
    type Mutation { restart(reason: Reason!): Status }
    type Item { id: ID! }
    type Status { up: Boolean! }
    input Reason { text: String! }
    """
    unpublished = {"query": frozenset({"status"}), "mutation": frozenset({"restart"})}

    published = subgraph_sdl(sdl, unpublished)

    assert published == print_ast(
        parse("schema { query: Query } type Query { items: [Item!]! } type Item { id: ID! }")
    )
