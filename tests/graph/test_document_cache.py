"""Documents parsed and validated once (graph/extensions/document_cache.py).

graphql-core's ``parse`` and ``validate``, as strawberry calls them, are counted: nothing
else can observe that a step did not run. Everything else is asked over HTTP of a gateway.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import graphql
import pytest
import strawberry
import strawberry.schema.schema as strawberry_schema

from schoolgraph.config import Settings
from schoolgraph.graph.extensions.document_cache import document_cache_extension
from tests.graph.conftest import Gateway

SCHOOLS = "query ($n: Int) { students(first: $n) { nodes { surname } } }"


@pytest.fixture
def gateway_settings() -> Settings:
    # No whole answers kept: a repeated query must reach the schema each time.
    return Settings(demo_scale="small", answer_cache=False)


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times strawberry had graphql-core parse and validate a document (it calls
    the functions it imported from graphql)."""
    counted: Counter[str] = Counter()

    def counted_parse(*args: Any, **kwargs: Any) -> Any:
        counted["parse"] += 1
        return graphql.parse(*args, **kwargs)

    def counted_validate(*args: Any, **kwargs: Any) -> Any:
        counted["validate"] += 1
        return graphql.validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "parse", counted_parse)
    monkeypatch.setattr(strawberry_schema, "validate", counted_validate)
    return counted


async def test_a_repeated_document_is_parsed_and_validated_once(
    gateway: Gateway, steps: Counter[str]
) -> None:
    first = await gateway.post(SCHOOLS, {"n": 2})
    again = await gateway.post(SCHOOLS, {"n": 2})
    other_variables = await gateway.post(SCHOOLS, {"n": 3})

    assert "errors" not in first and again == first
    assert len(other_variables["data"]["students"]["nodes"]) == 3
    assert steps == {"parse": 1, "validate": 1}

    await gateway.post("{ schools { name } }")
    assert steps == {"parse": 2, "validate": 2}


async def test_an_invalid_document_is_refused_each_time_with_its_own_errors(
    gateway: Gateway, steps: Counter[str]
) -> None:
    query = "{ schools { nickname } }"

    first = await gateway.post(query, status=400)
    again = await gateway.post(query, status=400)

    assert first == again and "nickname" in first["errors"][0]["message"]
    assert first["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert steps == {"parse": 2, "validate": 2}
    # The valid document of the same shape is kept as usual.
    await gateway.post("{ schools { name } }")
    await gateway.post("{ schools { name } }")
    assert steps == {"parse": 3, "validate": 3}


async def test_a_document_that_does_not_parse_is_parsed_each_time(
    gateway: Gateway, steps: Counter[str]
) -> None:
    first = await gateway.post("{ schools { name }", status=400)
    again = await gateway.post("{ schools { name }", status=400)

    assert first == again and first["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert steps == {"parse": 2}


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"hello {name}"


async def test_the_cache_holds_at_most_its_bytes_of_query_text(steps: Counter[str]) -> None:
    schema = strawberry.Schema(query=Query, extensions=[document_cache_extension(max_bytes=60)])
    a = '{ hello(name: "a") }' + " " * 20  # 40 characters
    b = '{ hello(name: "b") }' + " " * 20
    too_long = "{ hello }" + " " * 60

    for query in (a, a, b, a, too_long, too_long):
        result = await schema.execute(query)
        assert result.errors is None and result.data is not None

    # a kept; b pushes it out (80 > 60); a again pushes b out; the long one is never kept.
    assert steps == {"parse": 5, "validate": 5}


async def test_each_schema_has_its_own_cache(steps: Counter[str]) -> None:
    one = strawberry.Schema(query=Query, extensions=[document_cache_extension()])
    other = strawberry.Schema(query=Query, extensions=[document_cache_extension()])

    for schema in (one, one, other, other):
        assert (await schema.execute("{ hello }")).data == {"hello": "hello world"}

    assert steps == {"parse": 2, "validate": 2}
