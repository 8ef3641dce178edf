"""`graph.loading.selected`: what a field selects on its items, worked out once per field of
the query and request, and per field: aliases of one field keep their own selections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import strawberry

from schoolgraph.graph.info import Info
from schoolgraph.graph.loading import selected


@dataclass
class _Context:
    """What `selected` reads of the request's context."""

    selections: dict[tuple[int, ...], frozenset[str]] = field(default_factory=dict)
    seen: list[tuple[str, frozenset[str]]] = field(default_factory=list)


@strawberry.type
class Item:
    id: int
    name: str
    note: str


@strawberry.type
class Parent:
    id: int

    @strawberry.field
    def items(self, info: strawberry.Info[_Context, None]) -> list[Item]:
        alias = info.path.key if isinstance(info.path.key, str) else ""
        info.context.seen.append((alias, selected(cast(Info, info))))
        return [Item(id=1, name="a", note="b")]


@strawberry.type
class Query:
    @strawberry.field
    def parents(self) -> list[Parent]:
        return [Parent(id=n) for n in range(3)]


SCHEMA = strawberry.Schema(query=Query)


def test_each_field_of_the_query_keeps_its_own_selection_for_every_object() -> None:
    context = _Context()
    result = SCHEMA.execute_sync(
        """
        query {
          parents {
            short: items { id }
            long: items { id name ...More }
          }
        }
        fragment More on Item { note }
        """,
        context_value=context,
    )
    assert result.errors is None
    assert sorted(set(context.seen)) == [
        ("long", frozenset({"id", "name", "note"})),
        ("short", frozenset({"id"})),
    ]
    assert len(context.seen) == 6  # three parents, two fields each
    assert len(context.selections) == 2  # worked out once per field


def test_a_new_request_works_its_selections_out_again() -> None:
    query = "query { parents { items { id name } } }"
    first, second = _Context(), _Context()
    SCHEMA.execute_sync(query, context_value=first)
    SCHEMA.execute_sync("query { parents { items { note } } }", context_value=second)
    assert {names for _, names in first.seen} == {frozenset({"id", "name"})}
    assert {names for _, names in second.seen} == {frozenset({"note"})}
