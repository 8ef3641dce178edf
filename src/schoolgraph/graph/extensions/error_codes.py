"""``ErrorCodes``: every GraphQL error leaves with an ``extensions.code``; unknown ones masked.

Codes, by where the error came from:

- a :class:`~schoolgraph.errors.SchoolgraphError` raised by a resolver: its own ``code``
  (and ``upstream``), message kept; except ``InternalError``, masked like any other;
- the query did not parse: ``GRAPHQL_PARSE_FAILED``;
- the query parsed but is invalid against the schema: ``GRAPHQL_VALIDATION_FAILED``;
- the variables do not fit the operation: ``BAD_USER_INPUT``;
- the request does not name one operation of its document (several and no
  ``operationName``, or a name it does not hold): ``OPERATION_RESOLUTION_FAILURE``
  (:mod:`schoolgraph.graph.operations`);
- anything else: ``INTERNAL`` with the fixed message ``"Internal server error."``; the
  original exception is logged server-side with its stack and the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext as StrawberryExecutionContext
from strawberry.types import ExecutionResult

from schoolgraph.context import Context
from schoolgraph.errors import MASKED_MESSAGE, InternalError, SchoolgraphError

__all__ = [
    "BAD_USER_INPUT",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "OPERATION_RESOLUTION_FAILURE",
    "REQUEST_ERROR_CODES",
    "ErrorCodes",
    "mask_error",
]

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"

REQUEST_ERROR_CODES = frozenset(
    {GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, OPERATION_RESOLUTION_FAILURE}
)
"""Codes of errors that stop an operation before any resolver runs."""

logger = logging.getLogger(__name__)


def _with_extensions(error: GraphQLError, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message=error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), **extensions},
    )


def mask_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """Log ``error`` with its stack and return a copy that tells the client nothing more.

    Args:
        error: The error as raised; its message and original exception stay server-side.
        request_id: The request's id, written to the log line so the two can be matched.
    """
    original = error.original_error
    logger.error(
        "Unexpected error at %s: %s",
        ".".join(str(key) for key in error.path) if error.path else "operation",
        error.message,
        exc_info=original,
        extra={"request_id": request_id},
    )
    return GraphQLError(
        message=MASKED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": InternalError.code},
    )


class ErrorCodes(SchemaExtension):
    """Put ``extensions.code`` on every error of an operation, masking unexpected ones.

    Pass the class, not an instance, to the schema: it holds per-operation state.
    """

    def __init__(self, *, execution_context: StrawberryExecutionContext | None = None) -> None:
        super().__init__(execution_context=execution_context)
        self._executing = False

    def on_execute(self) -> Iterator[None]:
        self._executing = True
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            result.errors = [self._coded(error) for error in result.errors]

    def on_stream_result(self, result: object) -> Iterator[None]:
        # Each result a subscription streams (one per event) leaves on its own, long before
        # the operation ends: code it as it goes.
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            result.errors = [self._coded(error) for error in result.errors]
        yield

    def _coded(self, error: GraphQLError) -> GraphQLError:
        if error.extensions and "code" in error.extensions:
            return error
        original = error.original_error
        if isinstance(original, SchoolgraphError) and not isinstance(original, InternalError):
            return _with_extensions(error, original.to_extensions())
        if original is None or isinstance(original, GraphQLError):
            # graphql-core's own errors: the phase that produced one says what it means.
            if self.execution_context.graphql_document is None:
                return _with_extensions(error, {"code": GRAPHQL_PARSE_FAILED})
            if not self._executing:
                return _with_extensions(error, {"code": GRAPHQL_VALIDATION_FAILED})
            if error.path is None:
                # Variables that fail coercion are reported before any resolver runs, so
                # they have no path.
                return _with_extensions(error, {"code": BAD_USER_INPUT})
        return mask_error(error, self._request_id())

    def _request_id(self) -> str | None:
        context = self.execution_context.context
        return context.request_id if isinstance(context, Context) else None
