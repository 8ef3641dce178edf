"""``per_schema`` (graph/extensions/schema_memo.py): once per schema, for as long as it lives."""

from __future__ import annotations

import gc
import weakref

from graphql import GraphQLSchema, build_schema

from schoolgraph.graph.extensions.schema_memo import per_schema


def _schema() -> GraphQLSchema:
    return build_schema("type Query { a: Int b: String }")


def test_a_schema_is_worked_out_once_and_each_schema_for_itself() -> None:
    calls: list[GraphQLSchema] = []

    @per_schema
    def fields(schema: GraphQLSchema) -> int:
        calls.append(schema)
        assert schema.query_type is not None
        return len(schema.query_type.fields)

    one, other = _schema(), _schema()

    assert [fields(one), fields(one), fields(other), fields(one)] == [2, 2, 2, 2]
    assert calls == [one, other]


def test_what_was_worked_out_does_not_keep_the_schema() -> None:
    @per_schema
    def names(schema: GraphQLSchema) -> tuple[str, ...]:
        return tuple(schema.type_map)

    schema = _schema()
    assert "Query" in names(schema)
    gone = weakref.ref(schema)
    del schema
    gc.collect()

    assert gone() is None
