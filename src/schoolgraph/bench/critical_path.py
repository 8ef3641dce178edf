"""The critical path of a request: the longest chain of upstream calls that must wait for
each other, priced at the time the upstream took to serve each call.

A call's price is what the simulator's trace recorded from its arrival to its answer: the
injected latency and the upstream's own serving time (rendering 3,900 students takes the
simulator a few hundred milliseconds, time no gateway can save). Priced at the injected
latency alone, a chain of two slow calls would claim 40 ms of a query whose upstream took
half a second, and the gateway would be blamed for the upstream's work.

A call depends on another only for a reason that holds for any gateway, not for the order
this one happened to issue them in:

* **auth**: a call waits for its upstream's token (the token call that ended last before it);
* **paging**: where the upstream gives no totals (Tanda, TASS), page *n* of a list waits for
  the last earlier page that came back before it was asked for: more pages are asked for only
  once one came back full, one at a time or several at once (Tanda's users are read two
  ahead); where the first page tells the page count (Xporter), every later page waits for the
  first only. A page asked for past a list's end (after the page that came back short, read
  ahead) is left out: nothing waited for it;
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
from itertools import pairwise

from schoolgraph.bench.upstreams import Call

__all__ = ["TOKEN_ROUTES", "ColdTime", "CriticalPath", "Needs", "Route", "critical_path"]

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
class ColdTime:
    """Where a cold request's time went, in seconds, against its critical path; the five
    add up to the request's latency.

    Attributes:
        chain: the upstreams serving the chain's calls (the critical path).
        before: from the request being sent to the chain's first call arriving upstream.
        between: the chain's gaps: an answer in, the call that waited for it not yet asked.
        other: other reads still under way after the chain's last answer.
        after: from the last answer the request waited for to the client having its answer
            (executing the operation, encoding and sending the answer).
    """

    chain: float
    before: float
    between: float
    other: float
    after: float

    def as_ms(self) -> dict[str, float]:
        return {
            name: round(getattr(self, name) * 1000, 1)
            for name in ("chain", "before", "between", "other", "after")
        }


@dataclass(frozen=True, slots=True)
class CriticalPath:
    """The longest dependent chain: how many calls, how long the upstreams took to serve
    them (``seconds``), and which; ``latency`` is the latency injected into each.

    ``spans`` are the chain's calls as ``(arrived, answered)`` on the traces' clock, and
    ``answered`` is when the last call the request waited for was answered (pages past a
    list's end left out)."""

    calls: int
    latency: float
    chain: tuple[str, ...]
    seconds: float = 0.0
    spans: tuple[tuple[float, float], ...] = ()
    answered: float = 0.0

    def cold_time(self, began: float, ended: float) -> ColdTime | None:
        """How the request sent at ``began`` and answered at ``ended`` (the traces' clock)
        spent its time; None without a chain."""
        if not self.spans:
            return None
        first, last = self.spans[0], self.spans[-1]
        # A chained call can be traced as arriving a hair before the answer it waited for
        # was traced as sent (up to _SLACK): no gap, not a negative one.
        between = sum(max(later[0] - earlier[1], 0.0) for earlier, later in pairwise(self.spans))
        # A read still under way when the answer left was not waited for.
        answered = max(min(self.answered, ended), last[1])
        return ColdTime(
            chain=self.seconds,
            before=first[0] - began,
            between=between,
            other=answered - last[1],
            after=ended - answered,
        )

    @property
    def injected(self) -> float:
        """The chain's injected latency alone: its calls at ``latency`` each."""
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


def _past_the_end(calls: Sequence[Call]) -> list[Call]:
    """Pages of lists without totals asked for after the list's last page (the first one
    that came back with fewer rows than asked for)."""
    last: dict[str, int] = {}
    for call in calls:
        if (
            call.page is not None
            and call.rows is not None
            and call.size is not None
            and call.rows < call.size
            and call.upstream not in PAGE_COUNT_UPSTREAMS
        ):
            last[call.list_key] = min(last.get(call.list_key, call.page), call.page)
    return [
        call
        for call in calls
        if call.page is not None and call.list_key in last and call.page > last[call.list_key]
    ]


def critical_path(calls: Sequence[Call], latency: float, needs: Needs) -> CriticalPath:
    """The critical path of the calls one request made (a cold request's trace).

    Args:
        calls: the upstream calls, as the simulators' traces recorded them.
        latency: seconds of latency injected into every call.
        needs: the query's data dependencies.
    """
    beyond = {id(call) for call in _past_the_end(calls)}
    ordered = sorted((call for call in calls if id(call) not in beyond), key=lambda c: c.start)
    depth: list[int] = []
    served: list[float] = []  # the chain's seconds up to and including each call
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
        best = max(candidates, key=lambda j: served[j], default=None)
        parent.append(best)
        depth.append(1 + (depth[best] if best is not None else 0))
        own = max(call.end - call.start, 0.0)
        served.append(own + (served[best] if best is not None else 0.0))
    if not depth:
        return CriticalPath(0, latency, ())
    end = max(range(len(served)), key=lambda i: served[i])
    last: int | None = end
    chain: list[str] = []
    spans: list[tuple[float, float]] = []
    while last is not None:
        chain.append(f"{ordered[last].upstream} {ordered[last].route}")
        spans.append((ordered[last].start, ordered[last].end))
        last = parent[last]
    return CriticalPath(
        depth[end],
        latency,
        tuple(reversed(chain)),
        served[end],
        tuple(reversed(spans)),
        max(call.end for call in ordered),
    )
