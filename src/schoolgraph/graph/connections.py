"""Relay cursor connections: ``first``/``after`` pages over a list sorted by a stable key.

A cursor holds the sort key of the row it points at, not an offset, so a page boundary stays
put when rows are added or removed before it: ``after`` resumes at the first row whose key is
greater than the cursor's. The key is sealed (:mod:`schoolgraph.graph.cursors`): a client
cannot read it, forge it, or use it on another kind of list.

Sorting a school's thousands of rows for every page (and a query may ask for ten pages) costs
more than answering the page, so :class:`SortedRows` keeps the sorted order of a list while
the list is the same object (the directory hands out the same mapping until its upstream
list changes), and :func:`paginate_sorted` pages through it without sorting again.

Cursors cost a JSON encoding, a seal and a base64 encoding each, so an edge's cursor, and
a page's edges, are made only when a query asks for them: a page read through ``nodes``
makes none but the two of its ``pageInfo``.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Generic, TypeVar

import strawberry

from schoolgraph.graph.arguments import BadUserInputError, page_size
from schoolgraph.graph.cursors import SortKey, open_cursor, seal_cursor

__all__ = [
    "Connection",
    "Edge",
    "Keyed",
    "PageInfo",
    "SortKey",
    "SortedRows",
    "check_page",
    "paginate",
    "paginate_sorted",
]

T = TypeVar("T")
R = TypeVar("R")

Keyed = Sequence[tuple[SortKey, R]]
"""Rows with their sort keys, in key order."""

_first = itemgetter(0)


# Shareable: every Relay subgraph has this PageInfo, field for field, and a value type is
# answered by the subgraph that returned it, so sharing it never moves a page elsewhere.
@strawberry.federation.type(shareable=True, description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether rows follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether rows precede this page.")
    start_cursor: str | None = strawberry.field(description="The first edge's cursor.")
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor; pass it as `after` for the next page."
    )


def _cursor(root: Edge[Any]) -> str:
    return seal_cursor(root.kind, root.key)


def _edges(root: Connection[T]) -> list[Edge[T]]:
    return [
        Edge(kind=root.kind, key=key, node=node)
        for key, node in zip(root.keys, root.nodes, strict=True)
    ]


@strawberry.type(description="A row of a connection and the cursor that points at it.")
class Edge(Generic[T]):
    kind: strawberry.Private[str]
    key: strawberry.Private[SortKey]
    cursor: str = strawberry.field(
        resolver=_cursor, description="Pass as `after` to read the rows after this."
    )
    node: T


@strawberry.type(description="A page of a list, with how to get the next one.")
class Connection(Generic[T]):
    total_count: int = strawberry.field(description="Rows matching the filters, on all pages.")
    page_info: PageInfo
    kind: strawberry.Private[str]
    """What the list holds (``Student``): cursors of one kind of list open only there."""
    keys: strawberry.Private[Sequence[SortKey]]
    """The sort keys of the page's rows, one per node: what its edges' cursors hold."""
    edges: list[Edge[T]] = strawberry.field(resolver=_edges)
    nodes: list[T] = strawberry.field(
        description="The edges' nodes, for when cursors are not needed."
    )


def decode_cursor(kind: str, cursor: str, *, field: str = "after") -> SortKey:
    """The sort key a cursor of a ``kind`` list holds.

    Raises:
        BadUserInputError: the cursor was not issued by this gateway for such a list (made
            up, altered, or of another kind of list); names ``field``.
    """
    key = open_cursor(kind, cursor)
    if key is None:
        raise BadUserInputError(
            f"Argument '{field}' ({cursor!r}) is not a cursor from this list.", field=field
        )
    return key


def check_page(kind: str, first: int | None, after: str | None) -> None:
    """Check a connection's page arguments before anything is read.

    Raises:
        BadUserInputError: ``first`` is out of bounds or ``after`` is not a cursor of a
            ``kind`` list.
    """
    page_size(first)
    if after is not None:
        decode_cursor(kind, after)


def paginate(
    rows: Sequence[R],
    *,
    kind: str,
    key: Callable[[R], SortKey],
    node: Callable[[R], T],
    first: int | None,
    after: str | None,
) -> Connection[T]:
    """One page of ``rows``, ordered by ``key``.

    Args:
        rows: Every row that matches the field's filters, in any order.
        kind: What the list holds (``Student``), sealed into its cursors.
        key: The row's sort key; unique per row (end it with the row's id).
        node: Builds the GraphQL object for a row of the page.
        first: The page size asked for; the default when None.
        after: The cursor of the row the page starts after; the start of the list when None.

    Raises:
        BadUserInputError: ``first`` is out of bounds or ``after`` is not a cursor.
    """
    page_size(first)
    return paginate_sorted(
        sorted(((key(row), row) for row in rows), key=_first),
        kind=kind,
        node=node,
        first=first,
        after=after,
    )


def paginate_sorted(
    keyed: Keyed[R], *, kind: str, node: Callable[[R], T], first: int | None, after: str | None
) -> Connection[T]:
    """One page of rows already in key order (see :class:`SortedRows`), as :func:`paginate`.

    Raises:
        BadUserInputError: ``first`` is out of bounds or ``after`` is not a cursor.
    """
    size = page_size(first)
    start = 0
    if after is not None:
        start = bisect.bisect_right(keyed, decode_cursor(kind, after), key=_first)
    page = keyed[start : start + size]
    return Connection(
        total_count=len(keyed),
        page_info=PageInfo(
            has_next_page=start + size < len(keyed),
            has_previous_page=start > 0,
            start_cursor=seal_cursor(kind, page[0][0]) if page else None,
            end_cursor=seal_cursor(kind, page[-1][0]) if page else None,
        ),
        kind=kind,
        keys=[k for k, _ in page],
        nodes=[node(row) for _, row in page],
    )


class SortedRows(Generic[R]):
    """The rows of some mappings in key order, kept while the mappings are the same objects.

    Shared by every request of the process: the order of an unchanged list is computed once.
    Each order is kept under a slot naming what it is the order of (the schools asked
    about), so a newer list replaces the order of the older one instead of keeping it alive;
    at most ``limit`` slots are kept.

    Args:
        key: The sort key of a row.
        limit: How many slots to keep.
    """

    def __init__(self, key: Callable[[R], SortKey], *, limit: int = 64) -> None:
        self._key = key
        self._limit = limit
        self._memo: OrderedDict[Hashable, tuple[tuple[Any, ...], list[tuple[SortKey, R]]]]
        self._memo = OrderedDict()

    def of(self, slot: Sequence[Hashable], parts: Sequence[Mapping[Any, R]]) -> Keyed[R]:
        """Every row of ``parts`` with its key, in key order.

        Args:
            slot: What the parts are, one name each (their schools' ids).
            parts: The mappings of rows, one per name of ``slot``.
        """
        name = tuple(slot)
        hit = self._memo.get(name)
        if hit is not None and all(a is b for a, b in zip(hit[0], parts, strict=True)):
            self._memo.move_to_end(name)
            return hit[1]
        if len(parts) == 1:
            key = self._key
            keyed = sorted(((key(row), row) for row in parts[0].values()), key=_first)
        else:
            # Each part's order is kept on its own; sorting sorted runs together is cheap.
            keyed = sorted(
                (
                    pair
                    for one, part in zip(name, parts, strict=True)
                    for pair in self.of([one], [part])
                ),
                key=_first,
            )
        self._memo[name] = (tuple(parts), keyed)
        while len(self._memo) > self._limit:
            self._memo.popitem(last=False)
        return keyed
