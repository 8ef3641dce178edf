"""``AuditFacts``: tells a request's audit record what its GraphQL operation was and did.

It writes a :class:`~schoolgraph.audit.facts.GraphQLFacts` into the aiohttp request:

- once validation passed (``on_execute``): the operation type and its root field
  coordinates, read off the document strawberry already parsed and validated;
- as execution ends: the traceback of each unexpected error, before :class:`ErrorCodes`
  masks it (the traceback stays server-side, in the audit store);
- as the operation ends: each error's final ``extensions.code`` and the first message, as the
  client sees them. For that it must be the schema's first extension: hooks unwind in
  reverse order, so it leaves the operation after ``ErrorCodes`` coded the errors.

Variables and the message are redacted here, where the parsed document tells which variables
feed a secret argument (:func:`~schoolgraph.audit.redaction.document_secrets`).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator, Mapping

from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from schoolgraph.audit.facts import GRAPHQL_FACTS, GraphQLFacts
from schoolgraph.audit.redaction import (
    DocumentSecrets,
    document_secrets,
    redact_message,
    redact_variables,
    text_secrets,
)
from schoolgraph.context import Context
from schoolgraph.errors import InternalError, SchoolgraphError

__all__ = ["AuditFacts", "root_fields"]

_ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


def root_fields(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    root: str,
) -> list[str]:
    """The coordinates (``Query.students``) of the root fields a selection set selects,
    through fragments, each once, in order; ``__typename`` left out."""
    found: dict[str, None] = {}
    seen: set[str] = set()

    def walk(selections: SelectionSetNode) -> None:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value != "__typename":
                    found.setdefault(f"{root}.{selection.name.value}")
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    seen.add(name)
                    walk(fragment.selection_set)

    walk(selection_set)
    return list(found)


def _unexpected(error: GraphQLError) -> BaseException | None:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return None
    if isinstance(original, SchoolgraphError) and not isinstance(original, InternalError):
        return None
    return original


class AuditFacts(SchemaExtension):
    """Fill ``request[GRAPHQL_FACTS]`` for the audit log; list it first in the schema."""

    def _facts(self) -> GraphQLFacts | None:
        context = self.execution_context.context
        if not isinstance(context, Context):
            return None
        request = context.request
        facts = request.get(GRAPHQL_FACTS)
        if facts is None:
            facts = request[GRAPHQL_FACTS] = GraphQLFacts()
        return facts

    def _secrets(self) -> DocumentSecrets:
        """What the operation's document sends to secret arguments: read off the parsed
        document; off the query text when it did not parse (a broken query is recorded too)."""
        document = self.execution_context.graphql_document
        if document is not None:
            return document_secrets(document)
        query = self.execution_context.query
        if not query:
            return DocumentSecrets()
        # Read no further than the parser was let (the query limits' token limit).
        max_tokens = self.execution_context.parse_options.get("max_tokens")
        return text_secrets(query, max_tokens=max_tokens if isinstance(max_tokens, int) else None)

    def _errors(self) -> list[GraphQLError]:
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            return list(result.errors)
        return []

    def on_execute(self) -> Iterator[None]:
        facts = self._facts()
        document = self.execution_context.graphql_document
        if facts is not None and document is not None:
            operation = get_operation_ast(document, self.execution_context.operation_name)
            if isinstance(operation, OperationDefinitionNode):
                kind = operation.operation.value
                fragments = {
                    definition.name.value: definition
                    for definition in document.definitions
                    if isinstance(definition, FragmentDefinitionNode)
                }
                facts.operation = kind
                facts.root_fields.extend(
                    field
                    for field in root_fields(operation.selection_set, fragments, _ROOT_NAMES[kind])
                    if field not in facts.root_fields
                )
            # Copied as sent (redacted, and cut at the redaction's depth: a hostile body may
            # nest thousands deep): execution may rewrite the dicts the variables hold
            # (federation's `_entities` pops each representation's `__typename` and puts
            # `info` in). A variable feeding a secret argument goes whatever its name.
            facts.variables = redact_variables(self.execution_context.variables, self._secrets())
        yield
        if facts is None:
            return
        stacks = [
            "".join(traceback.format_exception(original))
            for original in map(_unexpected, self._errors())
            if original is not None
        ]
        if stacks:
            facts.stack = "\n".join(filter(None, [facts.stack, *stacks]))

    def on_operation(self) -> Iterator[None]:
        yield
        facts = self._facts()
        if facts is None:
            return
        errors = self._errors()
        # Read only when needed: most operations end without errors, their variables copied.
        secrets = self._secrets() if facts.variables is None or errors else DocumentSecrets()
        if facts.variables is None:
            facts.variables = redact_variables(self.execution_context.variables, secrets)
        for error in errors:
            code = (error.extensions or {}).get("code")
            # An error without a code is masked by the view as INTERNAL on its way out.
            code = code if isinstance(code, str) else InternalError.code
            if code not in facts.error_codes:
                facts.error_codes.append(code)
            if facts.error_message is None:
                # A message may quote a value sent ("... non string value: ['...']"): the
                # client sees it, the log keeps it without the secrets.
                facts.error_message = redact_message(
                    error.message, self.execution_context.variables, secrets
                )
