"""The Relay ``Node`` interface: every object ``node(id:)`` can fetch again by its id."""

from __future__ import annotations

from typing import Self

import strawberry

from schoolgraph.graph.ids import decode_id_of
from schoolgraph.graph.info import Info

__all__ = ["Node"]


@strawberry.interface(
    description=(
        "An object with an opaque, stable global id that `node(id:)` and `nodes(ids:)` fetch again."
    )
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque global id; stable for as long as the record exists upstream."
    )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Self | None:
        """The object whose domain id is ``domain_id``, through the request's loaders."""
        raise NotImplementedError

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        """Federation's ``_entities``: the object a ``{__typename, id}`` representation names,
        through the same loaders as every other read (the type name is the class name). Any
        type with ``@key(fields: "id")`` and a ``load_node`` answers through this; ``_entities``
        has already refused an id of another type or not issued here, at its index
        (:meth:`~schoolgraph.graph.schema.GatewaySchema.entities_resolver`)."""
        return await cls.load_node(info, decode_id_of(cls.__name__, id))
