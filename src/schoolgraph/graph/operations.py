"""Which operation of a document a request runs, decided before anything executes.

The GraphQL spec leaves no guess: a document with several operations needs the request's
``operationName``, and a name must be one of the document's operations. Strawberry, left
alone, picks the first operation of such a document; the gateway refuses instead, with
graphql-core's wording and Apollo's code (``OPERATION_RESOLUTION_FAILURE``, HTTP 400).
A document that does not parse is left to the parser's own error. The view decides here,
once per request, both whether it may run over HTTP and whether it is a query the answer
cache may keep.

It runs before the query limits, so it parses as they do: under the token limit (a document
of 500,000 tokens held the event loop for six seconds parsed without one, before the limits
refused it), and it keeps what it decided by query text within a byte budget, as the
document cache does (kept by count, 512 distinct one-megabyte documents held half a
gigabyte).
"""

from __future__ import annotations

from cachetools import LRUCache
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from schoolgraph.graph.extensions.error_codes import OPERATION_RESOLUTION_FAILURE

__all__ = ["KEPT_BYTES", "OperationChoiceError", "choose_operation"]

Operations = tuple[tuple[str | None, OperationType], ...]

KEPT_BYTES = 512 * 1024
"""Query text whose operations are kept (least recently used first out); a longer document
is parsed each time it comes."""

_kept: LRUCache[tuple[str, int], tuple[int, Operations | None]] = LRUCache(
    maxsize=KEPT_BYTES, getsizeof=lambda kept: kept[0]
)


class OperationChoiceError(GraphQLError):
    """The request does not name one operation of its document."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": OPERATION_RESOLUTION_FAILURE})


def _operations(document: str, max_tokens: int) -> Operations | None:
    key = (document, max_tokens)
    kept = _kept.get(key)
    if kept is not None:
        return kept[1]
    try:
        parsed = parse(document, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        operations = None
    else:
        operations = tuple(
            (None if node.name is None else node.name.value, node.operation)
            for node in parsed.definitions
            if isinstance(node, OperationDefinitionNode)
        )
    if len(document) <= KEPT_BYTES:
        _kept[key] = (len(document), operations)
    return operations


def choose_operation(
    document: str, operation_name: str | None, *, max_tokens: int
) -> OperationType | None:
    """The type of the operation ``operation_name`` picks in ``document``; None when the
    document does not parse within ``max_tokens`` (the query limit) or holds no operation
    (the executor says what is wrong).

    Raises:
        OperationChoiceError: several operations and no name, or a name none of them has.
    """
    operations = _operations(document, max_tokens)
    if not operations:
        return None
    if operation_name is None:
        if len(operations) > 1:
            names = ", ".join(repr(name) for name, _ in operations if name is not None)
            raise OperationChoiceError(
                "Must provide operation name if query contains multiple operations"
                + (f" (it names {names})." if names else ".")
            )
        return operations[0][1]
    for name, kind in operations:
        if name == operation_name:
            return kind
    raise OperationChoiceError(f"Unknown operation named '{operation_name}'.")
