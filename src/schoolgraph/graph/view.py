"""The strawberry aiohttp view: GraphQL over HTTP, with the gateway's context and errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from cachetools import LRUCache
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, OperationType
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from schoolgraph.accounts.models import NOBODY
from schoolgraph.accounts.web import ACCOUNTS, CALLER
from schoolgraph.audit.facts import GRAPHQL_FACTS, GraphQLFacts
from schoolgraph.audit.redaction import DocumentSecrets, redact_variables, text_secrets
from schoolgraph.cache.reads import ReadSet, current_reads
from schoolgraph.config import Settings
from schoolgraph.context import Context, ContextSource
from schoolgraph.errors import BadRequestError
from schoolgraph.execution_slots import ExecutionSlots
from schoolgraph.graph.answer_json import answer_bytes, answer_text
from schoolgraph.graph.answers import AnswerCache, AnswerKey
from schoolgraph.graph.extensions.error_codes import REQUEST_ERROR_CODES, mask_error
from schoolgraph.graph.extensions.explain import EXPLAIN_HEADER, explain_requested
from schoolgraph.graph.extensions.limits import QUERY_LIMIT_EXCEEDED
from schoolgraph.graph.operations import OperationChoiceError, choose_operation
from schoolgraph.graph.persisted_queries import NOT_FOUND_HEADERS, PersistedQueries
from schoolgraph.graph.websocket import OPEN_SOCKETS, AuthenticatedTransportWS
from schoolgraph.loaders import make_loaders
from schoolgraph.middlewares import CALL_LOG, REQUEST_ID, error_for_status, error_response
from schoolgraph.observability.metrics import METRICS
from schoolgraph.sources.scoped import scoped_directory

__all__ = ["ANSWER_CACHE_HEADER", "GatewayView"]

ANSWER_CACHE_HEADER = "X-Schoolgraph-Answer-Cache"
"""``hit`` when the body came from the answer cache, ``miss`` when it was computed (and may
have been kept); absent when the answer cache does not apply."""

_ANSWER_BODY = web.ResponseKey("answer_body", bytes)
_ANSWER_PENDING = web.ResponseKey("answer_pending", tuple)
_ANSWERED = ExecutionResult(data=None, errors=None)
"""What execute_single returns for a request the answer cache answered."""

_REFUSED_BEFORE_EXECUTION = REQUEST_ERROR_CODES | {QUERY_LIMIT_EXCEEDED}

_SECRETS_KEPT = 512
"""Documents whose secret variables the view remembers for the audit of kept answers."""

_JSON_KINDS: Mapping[type, str] = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class GatewayView(GraphQLView[Context, None]):
    """``POST /graphql`` (JSON), ``GET /graphql?query=`` (queries only), and GraphiQL.

    Errors the view meets before GraphQL runs (bad JSON, no query, a mutation over GET) are
    raised as :mod:`schoolgraph.errors` and rendered by the error middleware. GraphQL
    request errors (parse, validation, variables, query limits) answer with HTTP 400.
    Persisted queries (Apollo APQ, or allow-list mode) are resolved here, before the schema
    sees the request; see :mod:`schoolgraph.graph.persisted_queries`.

    Args:
        schema: The schema to execute.
        settings: The gateway settings (whether GraphiQL is served).
        source: The app's runtime: each request's context takes the settings in effect and
            the directory from it, and gets fresh loaders over that directory.
        batching: ``False`` makes each request's loaders call their batch function once per
            key (the naive baseline of ``schoolgraph bench --no-batching``).
        persisted: The app's persisted queries; None: APQ with the default budget.
        subscriptions: Whether ``/graphql`` upgrades to a WebSocket (``graphql-transport-ws``,
            authenticated at ``connection_init``: see :mod:`schoolgraph.graph.websocket`).
        answers: The app's answer cache (:mod:`schoolgraph.graph.answers`); None keeps none.
    """

    graphql_transport_ws_handler_class = AuthenticatedTransportWS

    def __init__(
        self,
        schema: BaseSchema,
        settings: Settings,
        source: ContextSource,
        *,
        batching: bool = True,
        persisted: PersistedQueries | None = None,
        subscriptions: bool = False,
        answers: AnswerCache | None = None,
    ) -> None:
        super().__init__(
            schema=schema,
            graphql_ide="graphiql" if settings.introspection else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,) if subscriptions else (),
        )
        self.source = source
        self.batching = batching
        self.persisted = persisted if persisted is not None else PersistedQueries(allow_list=None)
        self.answers = answers
        # The server is one thread and executing is CPU-bound: more operations at once only
        # hold more half-built answers in memory and lengthen every one's latency. Operations
        # over a WebSocket take their places here too (graph/websocket.py), and a place is
        # let go of while its operation waits for an upstream (schoolgraph.execution_slots).
        self.executing = ExecutionSlots(settings.max_concurrent_operations)
        self.request_timeout = settings.request_timeout
        """The deadline of an operation over a WebSocket, as HTTP's middleware has it."""
        self.max_tokens = settings.max_query_tokens
        """The query limits' token limit, which documents are parsed under."""
        self._secret_variables: LRUCache[bytes, frozenset[str]] = LRUCache(_SECRETS_KEPT)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            raise error_for_status(exc.status_code, exc.reason) from exc
        except RequestPayloadError:
            # A body aiohttp could not decode (a bad Content-Encoding, a broken chunk): the
            # rest of the connection's bytes cannot be trusted either, so it closes.
            response = error_response(
                BadRequestError("The request body could not be read as its headers describe it.")
            )
            response.force_close()
            return response

    async def create_websocket_response(
        self, request: web.Request, subprotocol: str | None
    ) -> web.WebSocketResponse:
        response = await super().create_websocket_response(request, subprotocol)
        sockets = request.app.get(OPEN_SOCKETS)
        if sockets is not None:
            sockets.add(response)
        return response

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a persisted query has no ``query`` either: it is a request, not a
        # browser asking for GraphiQL.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> Context:
        # The authentication middleware set the caller; without it, nothing is granted.
        caller = request.get(CALLER, NOBODY)
        directory = scoped_directory(self.source.directory, caller)
        return Context(
            request=request,
            request_id=request[REQUEST_ID],
            settings=self.source.settings,
            calls=request[CALL_LOG],
            directory=directory,
            loaders=make_loaders(directory, batch=self.batching),
            explain=explain_requested(request.headers.get(EXPLAIN_HEADER)),
            caller=caller,
            accounts=request.app.get(ACCOUNTS),
        )

    def parse_json(self, data: str | bytes) -> object:
        try:
            value = self.decode_json(data)
        except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
            raise HTTPException(400, f"The request body is not valid JSON: {exc}") from exc
        except RecursionError:
            raise HTTPException(400, "The request body is JSON nested too deeply") from None
        if not isinstance(value, dict | list):
            kind = _JSON_KINDS.get(type(value), "not an object")
            raise HTTPException(400, f"Expected a JSON object, got {kind}")
        return value

    async def execute_single(
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        answer = self.persisted.resolve(request_data.query, request_data.extensions)
        if answer.code is not None:
            # Apollo's protocol: HTTP 200, so that the client reads the code and retries.
            sub_response.headers.update(NOT_FOUND_HEADERS)
            error = GraphQLError(answer.message, extensions={"code": answer.code})
            return ExecutionResult(data=None, errors=[error])
        if answer.query != request_data.query:
            request_data = dataclasses.replace(request_data, query=answer.query)
        kind, refusal = self._operation(request_data)
        if refusal is not None:
            sub_response.set_status(400)
            return ExecutionResult(data=None, errors=[refusal])
        key = self._answer_key(request_data, context)
        if key is not None and self.answers is not None:
            kept = self.answers.get(key)
            sub_response.headers[ANSWER_CACHE_HEADER] = "miss" if kept is None else "hit"
            if kept is not None:
                sub_response[_ANSWER_BODY] = kept.body
                # No extension runs for a kept answer: tell the audit record what it answered.
                request[GRAPHQL_FACTS] = GraphQLFacts(
                    operation=kept.operation,
                    root_fields=list(kept.root_fields),
                    variables=self._kept_variables(key, request_data),
                )
                if answer.register is not None and answer.query is not None:
                    self.persisted.register(answer.register, answer.query)
                return _ANSWERED
        reads = ReadSet()
        async with self.executing.place():
            token = current_reads.set(reads)
            try:
                result = await super().execute_single(
                    request=request,
                    request_adapter=request_adapter,
                    sub_response=sub_response,
                    context=context,
                    root_value=root_value,
                    request_data=request_data,
                )
            finally:
                current_reads.reset(token)
        if _stopped_before_execution(result):
            sub_response.set_status(400)
        elif answer.register is not None and answer.query is not None:
            self.persisted.register(answer.register, answer.query)
        if (
            key is not None
            and request_data.query is not None
            and result.data is not None
            and not result.errors
            and not result.extensions
            and kind is OperationType.QUERY
        ):
            sub_response[_ANSWER_PENDING] = (key, reads, request.get(GRAPHQL_FACTS))
        return result

    def _operation(
        self, request_data: GraphQLRequestData
    ) -> tuple[OperationType | None, GraphQLError | None]:
        """The type of the operation the request runs (None when its document does not parse),
        and why the request cannot run over HTTP at all, if it cannot: it does not name one
        operation of its document, or the operation is a subscription."""
        if request_data.query is None:
            return None, None  # strawberry says that no query was given
        try:
            kind = choose_operation(
                request_data.query, request_data.operation_name, max_tokens=self.max_tokens
            )
        except OperationChoiceError as refused:
            return None, refused
        if kind is not OperationType.SUBSCRIPTION:
            return kind, None
        where = (
            "over a WebSocket at this same URL (graphql-transport-ws)"
            if self.protocols
            else "nowhere: this gateway runs without subscriptions"
        )
        return kind, GraphQLError(
            f"Subscriptions are not served over HTTP requests; they are served {where}.",
            extensions={"code": BadRequestError.code},
        )

    def _kept_variables(
        self, key: AnswerKey, request_data: GraphQLRequestData
    ) -> dict[str, Any] | None:
        """The variables of a request a kept answer serves, redacted as AuditFacts redacts
        an executed one's: a variable feeding a secret argument goes, whatever its name. The
        document was parsed when its answer was computed, not now: its secret variables are
        read off its text once and remembered by its digest."""
        variables = request_data.variables
        if not variables or request_data.query is None:
            return variables
        names = self._secret_variables.get(key.document)
        if names is None:
            names = text_secrets(request_data.query, max_tokens=self.max_tokens).variables
            self._secret_variables[key.document] = names
        redacted: dict[str, Any] = redact_variables(variables, DocumentSecrets(variables=names))
        return redacted

    def _answer_key(self, request_data: GraphQLRequestData, context: Context) -> AnswerKey | None:
        """The answer-cache key of a request the answer cache may serve, else None."""
        if self.answers is None or context.explain or request_data.query is None:
            return None
        return self.answers.key(
            request_data.query, request_data.operation_name, request_data.variables, context.caller
        )

    def encode_json(self, data: object) -> str:
        return answer_text(data)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        body = sub_response.get(_ANSWER_BODY)
        if body is not None:
            sub_response.body = body
            sub_response.content_type = "application/json"
            return sub_response
        # The encoder's bytes, as they are: strawberry's would decode them to text for
        # aiohttp to encode again.
        encoded = answer_bytes(response_data)
        sub_response.body = encoded
        sub_response.content_type = "application/json"
        sub_response.charset = "utf-8"
        pending = sub_response.get(_ANSWER_PENDING)
        if pending is not None and self.answers is not None:
            key, reads, facts = pending
            self.answers.put(
                key,
                encoded,
                reads,
                operation=facts.operation if facts is not None else None,
                root_fields=tuple(facts.root_fields) if facts is not None else (),
            )
        return sub_response

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result is _ANSWERED:
            return {}  # the body is the kept one (create_response)
        if result.errors:
            # An error raised around the operation (by an extension, say) never passed
            # through ErrorCodes; it must not reach the client unmasked either.
            result.errors = [
                error
                if error.extensions and "code" in error.extensions
                else mask_error(error, request.get(REQUEST_ID))
                for error in result.errors
            ]
        metrics = request.app.get(METRICS)
        if metrics is not None and result.errors:
            metrics.observe_errors(result.errors)
        return process_result(result)


def _stopped_before_execution(result: ExecutionResult) -> bool:
    """Whether the query failed to parse or validate, was over a limit, or its variables did
    not fit. An error with a path was raised by a field as it executed (an argument a
    resolver refused, whose null took ``data`` with it): that answer is a 200."""
    return (
        result.data is None
        and bool(result.errors)
        and all(
            (error.extensions or {}).get("code") in _REFUSED_BEFORE_EXECUTION and not error.path
            for error in result.errors or ()
        )
    )
