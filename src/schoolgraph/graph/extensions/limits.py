"""``QueryLimitsExtension``: operations over a limit are refused before anything runs.

Five limits, the first four configurable (``SCHOOLGRAPH_MAX_QUERY_*``):

- ``tokens``: the parser stops at the limit (graphql-core's ``max_tokens``), so a huge
  document costs no more than the limit to refuse; a document nested too deeply for the
  parser is refused under ``depth``;
- ``depth``, ``aliases`` and ``cost``: measured by
  :func:`~schoolgraph.graph.extensions.cost.measure` after parsing and *before*
  graphql-core's validation, whose overlapping-fields rule is quadratic in the fields of a
  document: an alias or fragment bomb is refused before that rule ever sees it;
- ``repeats``: one response key selected more than 10 times in one selection set. The
  copies merge, so they never help a client, and that same rule compares them pairwise.

A refused operation answers with one error, ``extensions.code`` ``QUERY_LIMIT_EXCEEDED``,
``limit`` naming the limit, ``maximum`` and ``actual``; the view answers it with HTTP 400.
With ``X-Schoolgraph-Explain: 1`` an operation that ran carries its measure in
``extensions.cost``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext as StrawberryExecutionContext
from strawberry.types import ExecutionResult

from schoolgraph.context import Context
from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.extensions.cost import Measure, measure

__all__ = [
    "QUERY_LIMIT_EXCEEDED",
    "Limit",
    "QueryLimitError",
    "QueryLimits",
    "QueryLimitsExtension",
    "limits_extension",
]

QUERY_LIMIT_EXCEEDED = "QUERY_LIMIT_EXCEEDED"

Limit = Literal["depth", "aliases", "tokens", "cost", "repeats"]

_WHAT: dict[Limit, str] = {
    "depth": "is nested {actual} fields deep; at most {maximum} are allowed",
    "aliases": "uses {actual} aliases; at most {maximum} are allowed",
    "tokens": "holds more than {maximum} tokens, the most allowed",
    "cost": "is estimated to cost {actual} (objects in the answer plus upstream reads); "
    "at most {maximum} is allowed",
    "repeats": "selects one field {actual} times in one selection set; at most {maximum} are "
    "allowed",
}
# graphql-core's messages for a document it gave up parsing (graphql/language/parser.py).
_TOO_MANY_TOKENS = "Document contains more than"
_NESTED_TOO_DEEPLY = "Document is nested too deeply"


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """The most an operation may be; see :mod:`schoolgraph.graph.extensions.cost`."""

    max_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 2000
    max_cost: int = 200_000
    max_repeats: int = 10


class QueryLimitError(SchoolgraphError):
    """An operation is over one of the :class:`QueryLimits`; nothing of it ran.

    Args:
        limit: Which limit.
        maximum: The limit's value.
        actual: What the operation measured; None when parsing stopped at the limit.
    """

    code = QUERY_LIMIT_EXCEEDED
    http_status = 400

    def __init__(self, limit: Limit, maximum: int, actual: int | None = None) -> None:
        what = _WHAT[limit].format(actual=actual, maximum=maximum)
        super().__init__(f"The operation {what}; it was not run ({limit} limit).")
        self.limit = limit
        self.maximum = maximum
        self.actual = actual

    def to_extensions(self) -> dict[str, object]:
        extensions = {**super().to_extensions(), "limit": self.limit, "maximum": self.maximum}
        if self.actual is not None:
            extensions["actual"] = self.actual
        return extensions

    def as_graphql_error(self) -> GraphQLError:
        return GraphQLError(self.message, extensions=self.to_extensions())


class QueryLimitsExtension(SchemaExtension):
    """Refuse operations over ``limits`` before validation; see the module docstring.

    Give the schema :func:`limits_extension` ``(limits)``, a factory: the extension holds
    per-operation state.
    """

    def __init__(
        self,
        *,
        limits: QueryLimits | None = None,
        execution_context: StrawberryExecutionContext | None = None,
    ) -> None:
        super().__init__(execution_context=execution_context)
        self.limits = limits or QueryLimits()
        self.measured: Measure | None = None

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            result.errors = [self._parse_limit(error) for error in result.errors]

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            error = self._check(context)
            if error is not None:
                # Set before graphql-core's validation runs, which then does not run at all.
                context.pre_execution_errors = [error.as_graphql_error()]
        yield

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if self.measured is None or not (isinstance(context, Context) and context.explain):
            return {}
        return {"cost": self.measured.as_json()}

    def _check(self, context: StrawberryExecutionContext) -> QueryLimitError | None:
        document = context.graphql_document
        if document is None:
            return None
        limits = self.limits
        variables = context.variables if isinstance(context.variables, dict) else None
        try:
            found = measure(
                context.schema._schema,
                document,
                operation_name=context.operation_name,
                variables=variables,
            )
        except RecursionError:
            # Only a document nested deeper than Python's stack gets here.
            return QueryLimitError("depth", limits.max_depth)
        self.measured = found
        checks: tuple[tuple[Limit, int, int], ...] = (
            ("depth", limits.max_depth, found.depth),
            ("aliases", limits.max_aliases, found.aliases),
            ("repeats", limits.max_repeats, found.repeats),
            ("cost", limits.max_cost, found.cost),
        )
        for limit, maximum, actual in checks:
            if actual > maximum:
                return QueryLimitError(limit, maximum, actual)
        return None

    def _parse_limit(self, error: GraphQLError) -> GraphQLError:
        """graphql-core's refusal to parse further, as the limit it is."""
        if self.execution_context.graphql_document is not None or error.extensions:
            return error
        if _TOO_MANY_TOKENS in error.message:
            return QueryLimitError("tokens", self.limits.max_tokens).as_graphql_error()
        if _NESTED_TOO_DEEPLY in error.message:
            return QueryLimitError("depth", self.limits.max_depth).as_graphql_error()
        return error


def limits_extension(limits: QueryLimits) -> Callable[[], QueryLimitsExtension]:
    """The factory to give the schema's ``extensions`` for ``limits``."""
    return functools.partial(QueryLimitsExtension, limits=limits)
