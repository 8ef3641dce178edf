"""Build the gateway's strawberry schema, and print it as SDL."""

from __future__ import annotations

import functools
from collections.abc import Callable

from graphql import GraphQLError, GraphQLUnionType
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.federation import Schema
from strawberry.federation.schema import FederationAny
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

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
from schoolgraph.graph.mutations import Mutation
from schoolgraph.graph.query import Query
from schoolgraph.graph.scalars import SCALAR_OVERRIDES
from schoolgraph.graph.subscriptions import Subscription
from schoolgraph.observability.operation_span import OperationSpan

__all__ = ["GatewaySchema", "build_schema", "export_sdl"]


class GatewaySchema(Schema):
    """A federation 2 schema whose errors are logged once, by :class:`ErrorCodes`."""

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
        ``{"__typename": <an entity type>, "id": <a string>}`` answers a ``BAD_USER_INPUT``
        error at its index (strawberry's resolver would fail on it as an internal error, and
        pass any other key to ``resolve_reference``). Only ``id`` is passed on."""
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
        # Pinned so that a strawberry upgrade changes the SDL only when we choose to.
        federation_version="2.11",
    )
    install_direct_resolvers(schema)
    return schema


def export_sdl() -> str:
    """The schema as SDL, exactly as ``schema/schema.graphql`` holds it."""
    return print_schema(build_schema()) + "\n"
