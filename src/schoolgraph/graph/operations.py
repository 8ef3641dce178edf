"""Which operation of a document a request runs, decided before anything executes.

The GraphQL spec leaves no guess: a document with several operations needs the request's
``operationName``, and a name must be one of the document's operations. Strawberry, left
alone, picks the first operation of such a document; the gateway refuses instead, with
graphql-core's wording and Apollo's code (``OPERATION_RESOLUTION_FAILURE``, HTTP 400).
A document that does not parse is left to the parser's own error. The view decides here,
once per request, both whether it may run over HTTP and whether it is a query the answer
cache may keep.
"""

from __future__ import annotations

import functools

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from schoolgraph.graph.extensions.error_codes import OPERATION_RESOLUTION_FAILURE

__all__ = ["OperationChoiceError", "choose_operation"]


class OperationChoiceError(GraphQLError):
    """The request does not name one operation of its document."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": OPERATION_RESOLUTION_FAILURE})


@functools.lru_cache(maxsize=512)
def _operations(document: str) -> tuple[tuple[str | None, OperationType], ...] | None:
    try:
        parsed = parse(document)
    except GraphQLError:
        return None
    return tuple(
        (None if node.name is None else node.name.value, node.operation)
        for node in parsed.definitions
        if isinstance(node, OperationDefinitionNode)
    )


def choose_operation(document: str, operation_name: str | None) -> OperationType | None:
    """The type of the operation ``operation_name`` picks in ``document``; None when the
    document does not parse or holds no operation (the executor says what is wrong).

    Raises:
        OperationChoiceError: several operations and no name, or a name none of them has.
    """
    operations = _operations(document)
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
