"""The ``service`` field: what this gateway is and which upstreams it knows."""

from __future__ import annotations

import strawberry

from schoolgraph._version import __version__
from schoolgraph.config import Mode, UpstreamKind
from schoolgraph.context import Context

__all__ = ["Service", "Upstream", "resolve_service"]

strawberry.enum(Mode, name="ServiceMode", description="Where the gateway gets its data.")
strawberry.enum(UpstreamKind, description="An upstream REST API schoolgraph can read from.")


@strawberry.type(description="An upstream REST API the gateway reads from.")
class Upstream:
    name: str = strawberry.field(description="The API's product name.")
    kind: UpstreamKind
    base_url: str | None = strawberry.field(
        description="Where requests to this API go; null while none is configured."
    )
    configured: bool = strawberry.field(
        description="Whether a base URL is configured for this API."
    )


@strawberry.type(description="The running schoolgraph gateway.")
class Service:
    name: str
    version: str = strawberry.field(description="The installed schoolgraph version.")
    mode: Mode
    upstreams: list[Upstream]


def resolve_service(info: strawberry.Info[Context, None]) -> Service:
    settings = info.context.settings
    return Service(
        name="schoolgraph",
        version=__version__,
        mode=settings.mode,
        upstreams=[
            Upstream(
                name=upstream.name,
                kind=upstream.kind,
                base_url=upstream.base_url,
                configured=upstream.base_url is not None,
            )
            for upstream in settings.upstreams
        ],
    )
