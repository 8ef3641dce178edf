"""What a request tells its audit record, gathered while it runs.

The schema extension :class:`schoolgraph.graph.extensions.audit_facts.AuditFacts` fills a
:class:`GraphQLFacts` in ``request[GRAPHQL_FACTS]``; the audit middleware reads it when the
response is ready. Nothing here parses a query again.

A handler that refuses a request with a page rather than a JSON error body (the ``/admin``
dashboard) names the error in ``request[REFUSAL]``, so the record carries its code and message
as a JSON error body's would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from schoolgraph.errors import SchoolgraphError

__all__ = ["GRAPHQL_FACTS", "REFUSAL", "STACK", "GraphQLFacts"]


@dataclass(slots=True)
class GraphQLFacts:
    """The operation a GraphQL request ran and how it ended.

    Attributes:
        operation: ``query``, ``mutation`` or ``subscription``; None when the document did not
            parse or validate (the record's endpoint is then the HTTP route).
        root_fields: The root field coordinates it selected (``Query.students``), in order.
        error_codes: The distinct ``extensions.code`` of the response's errors, in order.
        error_message: The first error's message, as the client saw it.
        variables: The operation's variables, as sent (redacted when recorded).
        stack: Tracebacks of unexpected errors, which the client saw masked.
    """

    operation: str | None = None
    root_fields: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    error_message: str | None = None
    variables: dict[str, Any] | None = None
    stack: str | None = None

    @property
    def endpoint(self) -> str | None:
        """The generic endpoint, e.g. ``query Query.students,Query.staff``."""
        if self.operation is None or not self.root_fields:
            return None
        return f"{self.operation} {','.join(self.root_fields)}"


GRAPHQL_FACTS = web.RequestKey("graphql_facts", GraphQLFacts)
STACK = web.RequestKey("audit_stack", str)
"""The traceback of an unexpected exception the error middleware masked (server-side only)."""
REFUSAL = web.RequestKey("audit_refusal", SchoolgraphError)
"""Why a request was refused when its response says so in a page (or a redirect to one), not
in a JSON error body: the record's error code and message. Its message is recorded as it is,
so it must never quote a secret, a token or a cookie."""
