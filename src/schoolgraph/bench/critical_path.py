"""The critical path of a request: the longest chain of upstream calls that must wait for
each other, priced at the injected latency per call.

A call depends on another only for a reason that holds for any gateway, not for the order
this one happened to issue them in:

* **auth**: a call waits for its upstream's token (the token call that ended last before it);
* **paging**: page *n* of a list waits for page *n - 1* where the upstream gives no totals
  (Tanda, TASS: the next page is asked for only when the last one came back full); where the
  first page tells the page count (Xporter), every later page waits for the first only;
* **data**: a call whose parameters come from another call's answer (the staff of a group
  need the group; a person's shifts need their Tanda user id, which needs the identity
  merge), declared per query as :class:`Needs`.

A dependency counts only if the call depended on ended before the dependent began: a
gateway that did not wait shows that it did not need to. Calls the gateway serialised
without such a reason are not chained, so their cost shows as latency above the critical
path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from schoolgraph.bench.upstreams import Call

__all__ = ["TOKEN_ROUTES", "CriticalPath", "Needs", "Route", "critical_path"]

Route = tuple[str, str]
"""``(upstream, route template prefix)``: which calls a dependency names."""

Needs = Mapping[Route, Sequence[Route]]
"""Per query: calls matching the key need the answers of every call matching a value."""

TOKEN_ROUTES: frozenset[Route] = frozenset(
    {
        ("tanda", "/api/oauth/token"),
        ("xporter", "/idaas/sts/STS/GetToken"),
        ("tass", "/api/users"),
    }
)
"""The routes that issue an upstream's access tokens."""

PAGE_COUNT_UPSTREAMS = frozenset({"xporter"})
"""Upstreams whose first page of a list says how many pages follow."""

_SLACK = 0.0005
"""Seconds of clock noise allowed between one call's end and the next one's start."""


@dataclass(frozen=True, slots=True)
class CriticalPath:
    """The longest dependent chain: how many calls, priced at ``latency`` each, and which."""

    calls: int
    latency: float
    chain: tuple[str, ...]

    @property
    def seconds(self) -> float:
        return self.calls * self.latency

    def describe(self) -> str:
        """The chain with runs of one route folded: ``tanda /api/v2/users x11 -> ...``."""
        folded: list[tuple[str, int]] = []
        for step in self.chain:
            if folded and folded[-1][0] == step:
                folded[-1] = (step, folded[-1][1] + 1)
            else:
                folded.append((step, 1))
        return " -> ".join(step if n == 1 else f"{step} x{n}" for step, n in folded)


def _matches(call: Call, route: Route) -> bool:
    return call.upstream == route[0] and call.route.startswith(route[1])


def _is_token(call: Call) -> bool:
    return call.method == "POST" and any(_matches(call, route) for route in TOKEN_ROUTES)


def critical_path(calls: Sequence[Call], latency: float, needs: Needs) -> CriticalPath:
    """The critical path of the calls one request made (a cold request's trace).

    Args:
        calls: the upstream calls, as the simulators' traces recorded them.
        latency: seconds of latency injected into every call.
        needs: the query's data dependencies.
    """
    ordered = sorted(calls, key=lambda call: call.start)
    depth: list[int] = []
    parent: list[int | None] = []
    for index, call in enumerate(ordered):
        candidates: list[int] = []
        before = [j for j in range(index) if ordered[j].end <= call.start + _SLACK]
        if not _is_token(call):
            tokens = [j for j in before if ordered[j].upstream == call.upstream]
            tokens = [j for j in tokens if _is_token(ordered[j])]
            if tokens:
                candidates.append(max(tokens, key=lambda j: ordered[j].end))
        page = call.page
        if page is not None:
            earlier = {
                j: other
                for j in before
                if ordered[j].list_key == call.list_key
                and (other := ordered[j].page) is not None
                and other < page
            }
            if earlier:
                pick = min if call.upstream in PAGE_COUNT_UPSTREAMS else max
                candidates.append(pick(earlier, key=lambda j: earlier[j]))
        for dependent, prerequisites in needs.items():
            if _matches(call, dependent):
                candidates.extend(
                    j for j in before if any(_matches(ordered[j], p) for p in prerequisites)
                )
        best = max(candidates, key=lambda j: depth[j], default=None)
        parent.append(best)
        depth.append(1 + (depth[best] if best is not None else 0))
    if not depth:
        return CriticalPath(0, latency, ())
    last: int | None = max(range(len(depth)), key=lambda i: depth[i])
    chain: list[str] = []
    while last is not None:
        chain.append(f"{ordered[last].upstream} {ordered[last].route}")
        last = parent[last]
    return CriticalPath(max(depth), latency, tuple(reversed(chain)))
