"""The audit-log filters' lists (statuses, companies, users, endpoints), read at most every
:data:`FACETS_TTL` seconds per app: each list is an index skip-scan (one seek per value),
and paging through the log does not repeat the four."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from schoolgraph.audit.models import AuditFacets
from schoolgraph.audit.store import AuditStore

__all__ = ["FACETS", "FACETS_TTL", "FacetsCache"]

FACETS_TTL = 30.0


class FacetsCache:
    """The newest :class:`AuditFacets`, kept ``ttl`` seconds."""

    def __init__(self, ttl: float = FACETS_TTL, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._kept: tuple[float, AuditFacets] | None = None

    async def get(self, reader: AuditStore) -> AuditFacets:
        now = self.clock()
        if self._kept is None or now - self._kept[0] >= self.ttl:
            self._kept = (now, await reader.facets())
        return self._kept[1]


FACETS = web.AppKey("dashboard_facets", FacetsCache)
