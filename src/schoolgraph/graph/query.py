"""The root ``Query`` type: one field per entry point, resolved in the entity's module."""

from __future__ import annotations

import strawberry

from schoolgraph.graph.service import Service, resolve_service

__all__ = ["Query"]


@strawberry.type(description="Every read starts here.")
class Query:
    service: Service = strawberry.field(
        resolver=resolve_service, description="This gateway: its version, mode and upstreams."
    )
