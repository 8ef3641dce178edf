"""``Explain``: what a request cost upstream, and whether any of its answer was stale.

With the header ``X-Schoolgraph-Explain: 1`` the response carries ``extensions.explain``:
every upstream call the request made, cache answers included, and their totals::

    {"explain": {"calls": [{"upstream": "xporter", "method": "GET",
                            "route": "/api/v1/School/{estab}/Students", "status": 200,
                            "ms": 12.3, "cache": "miss", "attempt": 1, "error": null}, ...],
                 "totals": {"requests": 3, "cacheHits": 5, "shared": 0, "revalidated": 1,
                            "stale": 0, "ms": 35.1}}}

Whenever a call was answered from a stale cache entry because its upstream failed
(stale-if-error), ``extensions.stale`` lists those upstreams, header or not: a client must
be able to tell that part of the answer may be out of date.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension

from schoolgraph.context import Context

__all__ = ["EXPLAIN_HEADER", "Explain", "explain_requested"]

EXPLAIN_HEADER = "X-Schoolgraph-Explain"


def explain_requested(header: str | None) -> bool:
    """Whether an ``X-Schoolgraph-Explain`` header value asks for explain output."""
    return header is not None and header.strip().lower() in ("1", "true")


class Explain(SchemaExtension):
    """Add ``extensions.explain`` when the request asked for it, ``extensions.stale`` when due.

    Reads the request's call log from the :class:`~schoolgraph.context.Context`; an
    operation run without one (``schema.execute`` in a test) gets no extensions.
    """

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if not isinstance(context, Context):
            return {}
        calls = context.calls.calls
        results: dict[str, Any] = {}
        if context.explain:
            results["explain"] = {
                "calls": [call.as_json() for call in calls],
                "totals": context.calls.totals(),
            }
        stale = sorted({call.upstream for call in calls if call.cache == "stale"})
        if stale:
            results["stale"] = stale
        return results
