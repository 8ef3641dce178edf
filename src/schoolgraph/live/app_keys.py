"""The app key of the live updates, apart so that the graph can import it without a cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from schoolgraph.live.service import LiveUpdates

__all__ = ["LIVE"]

LIVE: web.AppKey[LiveUpdates] = web.AppKey("live", "LiveUpdates")  # type: ignore[arg-type]
"""The app's :class:`~schoolgraph.live.service.LiveUpdates`: its broker, webhook receiver
and pollers."""
