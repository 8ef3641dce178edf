"""What ``/readyz`` says of each upstream beside its live check: circuit, recent calls, tokens."""

from __future__ import annotations

from schoolgraph.config import UpstreamKind
from schoolgraph.observability.metrics import circuit_of, token_fetches
from schoolgraph.observability.recent_calls import RecentCalls
from schoolgraph.runtime import Runtime

__all__ = ["upstream_state"]


def upstream_state(runtime: Runtime, recent: RecentCalls, kind: UpstreamKind) -> dict[str, object]:
    """``{"circuit", "recent", "tokenFetches"}`` of one upstream, or ``{}`` before it runs.

    ``circuit`` is its breaker's state (``closed``, ``open``, ``half-open``); ``recent``
    summarises the gateway's latest HTTP attempts to it (:class:`RecentCalls`);
    ``tokenFetches`` counts its token endpoint calls so far.
    """
    breaker = circuit_of(runtime, kind)
    if breaker is None:
        return {}
    return {
        "circuit": breaker.state,
        "recent": recent.summary(kind.value),
        "tokenFetches": token_fetches(runtime, kind),
    }
