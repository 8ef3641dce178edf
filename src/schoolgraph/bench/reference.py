"""The floor for the big list: graphql-core executing the same list from memory.

A bare graphql-core schema of the same shape (``students(first, after)`` pages with the
same ten fields, ``Date`` as a scalar), whose rows are plain dicts already in memory and
whose resolvers are graphql-core's defaults. Its time (parse, validate, execute and encode
the JSON answer) is what any GraphQL server on graphql-core pays for the big list; the
gateway's big list is measured against it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    GraphQLScalarType,
    build_schema,
    execute,
    graphql_sync,
    parse,
    validate,
)

__all__ = ["Reference", "reference_time"]

SDL = """
scalar Date

type Student {
  id: ID!
  domainId: String!
  forename: String!
  surname: String!
  preferredForename: String
  gender: String
  dateOfBirth: Date
  year: Int
  upn: String
  email: String
}

type StudentPage {
  nodes: [Student!]!
}

type Query {
  students(first: Int, after: String): StudentPage
}
"""


@dataclass(frozen=True, slots=True)
class Reference:
    """Median seconds of graphql-core for the whole request, and for execution alone."""

    seconds: float
    execute_seconds: float
    runs: int

    def as_json(self) -> dict[str, Any]:
        return {
            "ms": round(self.seconds * 1000, 2),
            "execute_ms": round(self.execute_seconds * 1000, 2),
            "runs": self.runs,
        }


def _serialize_date(value: Any) -> str:
    if not isinstance(value, date):
        raise TypeError(f"Date cannot represent {value!r}.")
    return value.isoformat()


def reference_time(
    document: str,
    variables: Mapping[str, Any],
    answer: Mapping[str, Any],
    *,
    runs: int = 7,
) -> Reference:
    """Time graphql-core answering ``document`` from the rows of the gateway's ``answer``.

    Args:
        document: the big list query.
        variables: its variables (the page cursors).
        answer: the gateway's ``data`` for it: ``{alias: {"nodes": [row, ...]}}``.
        runs: how many times to run it; the median is reported.
    """
    schema = build_schema(SDL)
    date_type = schema.type_map["Date"]
    assert isinstance(date_type, GraphQLScalarType)  # noqa: S101 - declared in SDL
    date_type.coerce_output_value = _serialize_date
    pages: dict[str | None, list[dict[str, Any]]] = {}
    for n, page in enumerate(answer.values()):
        rows = [
            {
                **row,
                "dateOfBirth": (
                    date.fromisoformat(row["dateOfBirth"]) if row.get("dateOfBirth") else None
                ),
            }
            for row in page["nodes"]
        ]
        pages[variables.get(f"after{n}")] = rows

    def students(_root: Any, _info: Any, first: int, after: str | None = None) -> Any:
        return {"nodes": pages.get(after, [])[:first]}

    schema.query_type.fields["students"].resolve = students  # type: ignore[union-attr]
    whole: list[float] = []
    executing: list[float] = []
    parsed = parse(document)
    for _ in range(runs):
        began = time.perf_counter()
        result = graphql_sync(schema, document, variable_values=dict(variables))
        json.dumps({"data": result.data}, separators=(",", ":"))
        whole.append(time.perf_counter() - began)
        if result.errors:
            raise RuntimeError(f"The reference schema failed: {result.errors[0]}")
        began = time.perf_counter()
        execute(schema, parsed, variable_values=dict(variables))
        executing.append(time.perf_counter() - began)
    if validate(schema, parsed):
        raise RuntimeError("The big list does not validate against the reference schema.")
    return Reference(statistics.median(whole), statistics.median(executing), runs)
