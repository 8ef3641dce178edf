"""The per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from schoolgraph.config import Settings
from schoolgraph.upstreams.http import CallLog

__all__ = ["Context"]


@dataclass(frozen=True, slots=True)
class Context:
    """What one GraphQL request carries through its resolvers.

    Resolvers declare ``info: strawberry.Info[Context, None]``.
    """

    request: web.Request
    request_id: str
    settings: Settings
    calls: CallLog
    """Every upstream call this request has made so far (explain output, audit)."""
