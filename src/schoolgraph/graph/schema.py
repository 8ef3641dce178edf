"""Build the gateway's strawberry schema, and print it as SDL: the whole schema, as
``schema/schema.graphql`` holds it, and the subgraph SDL that federation's ``_service``
publishes to a supergraph (:func:`subgraph_sdl`)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from graphql import (
    DefinitionNode,
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLUnionType,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    TypeNode,
    parse,
    print_ast,
)
from strawberry import LazyType
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.federation import Schema
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info, get_object_definition
from strawberry.types.base import StrawberryContainer
from strawberry.types.union import StrawberryUnion

from schoolgraph.graph.admin import ADMIN_MUTATION_FIELDS, ADMIN_QUERY_FIELDS
from schoolgraph.graph.arguments import BadUserInputError
from schoolgraph.graph.direct_resolvers import install_direct_resolvers
from schoolgraph.graph.event_executor import EventExecutor
from schoolgraph.graph.extensions.audit_facts import AuditFacts
from schoolgraph.graph.extensions.document_cache import document_cache_extension
from schoolgraph.graph.extensions.error_codes import ErrorCodes
from schoolgraph.graph.extensions.explain import Explain
from schoolgraph.graph.extensions.limits import QueryLimits, limits_extension
from schoolgraph.graph.extensions.partial_errors import PartialErrorsExtension
from schoolgraph.graph.extensions.permissions import Permissions
from schoolgraph.graph.extensions.prefetch import PrefetchMerge
from schoolgraph.graph.ids import parse_global_id
from schoolgraph.graph.mutations import Mutation
from schoolgraph.graph.query import Query
from schoolgraph.graph.scalars import SCALAR_OVERRIDES
from schoolgraph.graph.subscriptions import Subscription
from schoolgraph.observability.operation_span import OperationSpan

__all__ = ["UNPUBLISHED_FIELDS", "GatewaySchema", "build_schema", "export_sdl", "subgraph_sdl"]

UNPUBLISHED_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"query": ADMIN_QUERY_FIELDS | {"service"}, "mutation": ADMIN_MUTATION_FIELDS}
)
"""Root fields, by operation, that schoolgraph serves its own clients but leaves out of its
subgraph SDL: the admin and audit fields, and ``service`` (this gateway's version and
upstreams). A supergraph never has them, so another subgraph may have its own ``accounts``,
``Account`` or ``service``: marking them ``@inaccessible`` would hide them from the
supergraph's clients, but composition still merges fields and types by name, and refuses
an ``Account`` or ``Query.accounts`` of another shape."""


class GatewaySchema(Schema):
    """A federation 2 schema whose errors are logged once, by :class:`ErrorCodes`, and whose
    ``_service { sdl }`` is :func:`subgraph_sdl` of it."""

    def __init__(self, query: type, *, types: Iterable[type] = (), **options: Any) -> None:
        # strawberry finds _Entity's members by walking fields from the roots, but not past a
        # strawberry.lazy annotation; Contact is reached only through one (Student.contacts).
        roots = (query, options.get("mutation"), options.get("subscription"))
        super().__init__(query=query, types=[*types, *_keyed_types(roots)], **options)
        service = self._schema.type_map.get("_Service")
        if isinstance(service, GraphQLObjectType):
            service.fields["sdl"].resolve = self._resolve_sdl

    @functools.cached_property
    def subgraph_sdl(self) -> str:
        """What ``_service { sdl }`` answers: :func:`subgraph_sdl` of the whole schema."""
        return subgraph_sdl(print_schema(self))

    def _resolve_sdl(self, _source: object, _info: GraphQLResolveInfo[Any]) -> str:
        return self.subgraph_sdl

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # strawberry's default logs every error, a client's typo included, at ERROR level
        # with a stack. ErrorCodes logs only the unexpected ones, with the request id.
        return

    @functools.cached_property
    def entity_types(self) -> frozenset[str]:
        """The types ``_entities`` resolves: those with a ``@key`` (``_Entity``'s members)."""
        union = self._schema.type_map.get("_Entity")
        if not isinstance(union, GraphQLUnionType):
            return frozenset()
        return frozenset(member.name for member in union.types)

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """Federation's ``_entities``, each representation checked first: one that is not
        ``{"__typename": <an entity type>, "id": <an id of that type this gateway issued>}``
        answers a ``BAD_USER_INPUT`` error at its index, ``extensions.field``
        ``representations[<index>]`` (strawberry's resolver would fail on it as an internal
        error, and pass any other key to ``resolve_reference``). Only ``id`` is passed on."""
        # The annotations are strawberry's: it builds the ``_entities`` field from them.
        results: list[object] = [None] * len(representations)
        valid: list[tuple[int, FederationAny]] = []
        for index, representation in enumerate(representations):
            key = self._entity_key(representation)
            if isinstance(key, str):
                results[index] = BadUserInputError(
                    f"representations[{index}] {key}", field=f"representations[{index}]"
                )
            else:
                valid.append((index, FederationAny(key)))
        resolved = super().entities_resolver(info, [rep for _, rep in valid]) if valid else []
        for (index, _), result in zip(valid, resolved, strict=True):
            results[index] = result
        return [FederationAny(result) for result in results]

    def _entity_key(self, representation: object) -> dict[str, str] | str:
        """The representation's ``__typename`` and ``id``, or what is wrong with it."""
        if not isinstance(representation, dict):
            return "must be an object with __typename and id."
        type_name, key = representation.get("__typename"), representation.get("id")
        if type_name is None:
            return "has no __typename."
        if not isinstance(type_name, str) or type_name not in self.entity_types:
            kinds = ", ".join(sorted(self.entity_types))
            return f"has __typename {type_name!r}, not one of the entity types ({kinds})."
        if not isinstance(key, str):
            return f"needs the {type_name}'s id as a string, got {key!r}."
        # Checked here, not in resolve_reference, so that the refusal names the
        # representation: ``_entities`` has no argument ``id``.
        parsed = parse_global_id(key)
        if parsed is None:
            return f"has id {key!r}, which is not a schoolgraph id."
        if parsed[0] != type_name:
            return f"has the id of a {parsed[0]}, not of a {type_name}."
        return {"__typename": type_name, "id": key}


def build_schema(
    query: type = Query,
    *,
    mutation: type | None = Mutation,
    subscription: type | None = Subscription,
    introspection: bool = True,
    limits: QueryLimits | None = None,
) -> GatewaySchema:
    """The gateway schema over ``query``; tests pass their own root type.

    Args:
        query: The root query type.
        mutation: The root mutation type; None for a read-only schema.
        subscription: The root subscription type; None for a schema without live updates.
        introspection: When False, introspection queries fail validation and error messages
            stop suggesting field names.
        limits: The depth, alias, token and cost limits operations are refused over, before
            validation; the defaults of :class:`QueryLimits` when None.
    """
    # PartialErrorsExtension adds its errors inside execution, so ErrorCodes (which codes
    # errors as the operation ends) sees them already coded.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        OperationSpan,  # first, so that its span holds the others' work
        # Before ErrorCodes: it leaves the operation after it, when the errors have codes.
        AuditFacts,
        ErrorCodes,
        Permissions,
        Explain,
        PartialErrorsExtension,
        PrefetchMerge,
    ]
    # After ErrorCodes, so that it leaves the operation first and codes a parse refused at
    # the token limit as the limit, not as a parse failure.
    extensions.append(limits_extension(limits or QueryLimits()))
    # After the limits: a document kept valid skips validation only once they let it through.
    extensions.append(document_cache_extension())
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = GatewaySchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        extensions=extensions,
        scalar_overrides=dict(SCALAR_OVERRIDES),
        config=StrawberryConfig(disable_field_suggestions=not introspection),
        execution_context_class=EventExecutor,
        # The oldest version with every directive the SDL uses (@key, @shareable: 2.0), so
        # that any federation 2 composition accepts it (2.9 refuses a v2.11 @link); pinned,
        # so that a strawberry upgrade changes the SDL only when we choose to.
        federation_version="2.0",
    )
    install_direct_resolvers(schema)
    return schema


def export_sdl() -> str:
    """The schema as SDL, exactly as ``schema/schema.graphql`` holds it."""
    return print_schema(build_schema()) + "\n"


def subgraph_sdl(sdl: str, unpublished: Mapping[str, frozenset[str]] = UNPUBLISHED_FIELDS) -> str:
    """``sdl`` as a subgraph publishes it: without the ``unpublished`` root fields (by
    operation: ``"query"``, ``"mutation"``), and without the types only they reached; a root
    type left with no fields goes too. Everything else, federation directives included, is
    as ``sdl`` has it."""
    document = parse(sdl)
    roots = {
        operation.operation.value: operation.type.name.value
        for definition in document.definitions
        if isinstance(definition, SchemaDefinitionNode)
        for operation in definition.operation_types
    } or {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
    hidden = {roots[op]: names for op, names in unpublished.items() if op in roots}
    emptied: set[str] = set()
    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value in hidden:
            names = hidden[definition.name.value]
            definition = dataclasses.replace(
                definition,
                fields=tuple(
                    field for field in definition.fields or () if field.name.value not in names
                ),
            )
            if not definition.fields:
                emptied.add(definition.name.value)
                continue
        definitions.append(definition)
    for index, definition in enumerate(definitions):
        if isinstance(definition, SchemaDefinitionNode) and emptied:
            definitions[index] = dataclasses.replace(
                definition,
                operation_types=tuple(
                    operation
                    for operation in definition.operation_types
                    if operation.type.name.value not in emptied
                ),
            )
    reached = _reached(definitions, [name for name in roots.values() if name not in emptied])
    kept = [
        definition
        for definition in definitions
        if not isinstance(definition, TypeDefinitionNode) or definition.name.value in reached
    ]
    return print_ast(DocumentNode(definitions=tuple(kept)))


def _keyed_types(roots: Iterable[object]) -> list[type]:
    """The object types with a ``@key`` reachable from ``roots`` through fields, lazy
    annotations followed."""
    keyed: list[type] = []
    seen: set[object] = set()
    pending = [root for root in roots if root is not None]
    while pending:
        found = pending.pop()
        while isinstance(found, StrawberryContainer | LazyType):
            found = (
                found.of_type if isinstance(found, StrawberryContainer) else found.resolve_type()
            )
        if isinstance(found, StrawberryUnion):
            pending.extend(found.types)
            continue
        definition = get_object_definition(found, strict=False)
        if definition is None or found in seen:
            continue
        seen.add(found)
        directives = definition.directives or ()
        if definition.is_object_type and any(isinstance(d, Key) for d in directives):
            keyed.append(definition.origin)
        pending.extend(field.type for field in definition.fields)
    return keyed


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, ListTypeNode | NonNullTypeNode):
        type_node = type_node.type
    if not isinstance(type_node, NamedTypeNode):
        raise TypeError(f"{type_node!r} is not a reference to a GraphQL type.")
    return type_node.name.value


def _reached(definitions: Iterable[DefinitionNode], roots: Iterable[str]) -> set[str]:
    """The names of the types reachable from ``roots``: through fields, their arguments,
    input fields, union members, and from an interface to every type implementing it."""
    types = {d.name.value: d for d in definitions if isinstance(d, TypeDefinitionNode)}
    implementers: dict[str, list[str]] = {}
    for definition in types.values():
        for interface in getattr(definition, "interfaces", None) or ():
            implementers.setdefault(interface.name.value, []).append(definition.name.value)
    reached: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in reached or name not in types:
            continue
        reached.add(name)
        definition = types[name]
        for field in getattr(definition, "fields", None) or ():
            pending.append(_named(field.type))
            arguments = getattr(field, "arguments", None) or ()  # input fields have none
            pending.extend(_named(argument.type) for argument in arguments)
        pending.extend(member.name.value for member in getattr(definition, "types", None) or ())
        pending.extend(i.name.value for i in getattr(definition, "interfaces", None) or ())
        pending.extend(implementers.get(name, ()))
    return reached
