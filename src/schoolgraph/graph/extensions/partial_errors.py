"""``PartialErrors``: what a partial read could not reach, added to the response's errors.

A field that answers from a :class:`~schoolgraph.domain.Partial` read (every school, every
person) calls :func:`report_partial` with the read's errors; once the operation has run,
this extension appends each as a GraphQL error with its ``code``, ``upstream`` and the path
of the field that met it, so a client sees both the data and what it is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schoolgraph.errors import SchoolgraphError
from schoolgraph.loaders import Loaders

__all__ = ["PartialErrorsExtension", "report_partial"]


def report_partial(info: strawberry.Info[Any, Any], errors: Iterable[SchoolgraphError]) -> None:
    """Record ``errors`` of a partial read against the field ``info`` is resolving."""
    errors = tuple(errors)
    if errors:
        loaders: Loaders = info.context.loaders
        loaders.partial_errors.add(errors, info.path.as_list())


class PartialErrorsExtension(SchemaExtension):
    """Append the errors partial reads met to the operation's result."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        loaders = getattr(self.execution_context.context, "loaders", None)
        if not isinstance(result, GraphQLExecutionResult) or not isinstance(loaders, Loaders):
            return
        if not loaders.partial_errors:
            return
        reported = [
            GraphQLError(error.message, path=list(path), extensions=error.to_extensions())
            for error, path in loaders.partial_errors
        ]
        result.errors = [*(result.errors or []), *reported]
