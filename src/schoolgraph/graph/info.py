"""``Info``, as every resolver of the graph receives it, and the request's loaders from it."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from schoolgraph.context import Context
from schoolgraph.loaders import Loaders

__all__ = ["Info", "loaders"]

Info: TypeAlias = strawberry.Info[Context, None]


def loaders(info: Info) -> Loaders:
    """This request's loaders (made per request by the context)."""
    return info.context.loaders
