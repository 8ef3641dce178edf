"""GraphQL over WebSocket (``graphql-transport-ws``) on ``/graphql``, as the caller of a token.

The upgrade request is a GET without a query, which the authentication middleware lets
through as nobody (GraphiQL's page is one too). The caller is decided at
``connection_init``: the ``Authorization`` of its payload (``{"Authorization": "Bearer
..."}``, as browsers cannot set headers on a WebSocket), else the upgrade request's header,
else anonymous where anonymous access is on. A token that is missing, malformed, unknown or
expired closes the socket with 4403 and the reason.

A socket lives longer than its token may, so the token is not trusted past that moment.
Every operation sent over the socket is handled as an HTTP request would be:

- its token is resolved again as it arrives, so grant and school changes apply to it; a
  token that has expired or been revoked (its key deleted, its account disabled) refuses the
  operation with HTTP's ``UNAUTHENTICATED`` error and message, then closes the socket with
  4403 and the reason, as ``connection_init`` does;
- it takes one request from the caller's rate-limit bucket (the one HTTP requests draw
  from); past the rate it is refused with ``RATE_LIMITED`` and ``retryAfter`` seconds, and
  the socket stays open;
- a query or a mutation is bounded as an HTTP request is (:mod:`schoolgraph.deadlines`):
  its upstream calls by ``SCHOOLGRAPH_REQUEST_TIMEOUT``, and the whole of it by that and
  :data:`~schoolgraph.deadlines.GRACE`, past which it is stopped and answered with HTTP's
  ``REQUEST_TIMEOUT`` error (the socket stays open); and it executes within the view's bound
  on operations executed at once, which HTTP requests share. A subscription holds neither
  while it waits for its events (each event's reads get the deadline of their own:
  :mod:`schoolgraph.graph.subscriptions`);
- it leaves one audit record of its own (see :class:`AuthenticatedTransportWS`), and is
  counted in the app's metrics: by type and status, with its time, the errors of its answers
  by code, and its upstream calls (a subscription's, event by event).

A running subscription re-resolves the token before each event it delivers (as an HTTP
request would: the same lookup, no cache), and the socket watches its token's expiry: when
either finds the token dead, every operation still running ends with an ``error`` naming the
reason and the socket closes with 4403.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import itertools
import time
import weakref
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing, suppress
from dataclasses import dataclass
from json import JSONDecodeError
from typing import TYPE_CHECKING, Any, Protocol, cast

from aiohttp import WSMsgType, web
from graphql import GraphQLFormattedError, OperationType
from strawberry.aiohttp.views import AiohttpWebSocketAdapter
from strawberry.http.async_base_view import AsyncBaseHTTPView, AsyncWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)

from schoolgraph.accounts.models import Caller
from schoolgraph.accounts.web import AUTHENTICATOR, CALLER, Authenticator
from schoolgraph.audit.facts import GRAPHQL_FACTS, GraphQLFacts
from schoolgraph.audit.web import AUDIT, put_record
from schoolgraph.context import Context, ContextSource
from schoolgraph.deadlines import GRACE, RequestTimeoutError
from schoolgraph.errors import SchoolgraphError, UnauthenticatedError
from schoolgraph.execution_slots import ExecutionSlots
from schoolgraph.graph.answer_json import answer_bytes
from schoolgraph.graph.operations import OperationChoiceError, choose_operation
from schoolgraph.loaders import make_loaders
from schoolgraph.middlewares import CALL_LOG, REQUEST_ID
from schoolgraph.observability.metrics import METRICS
from schoolgraph.ratelimit import RATE_LIMIT
from schoolgraph.request_var import RequestVar
from schoolgraph.sources.scoped import scoped_directory
from schoolgraph.upstreams.http import CallLog, current_call_log, set_deadline

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult

__all__ = ["OPEN_SOCKETS", "AuthenticatedTransportWS", "close_open_sockets"]

OPEN_SOCKETS = web.AppKey("open_sockets", weakref.WeakSet[web.WebSocketResponse])
"""The app's open GraphQL WebSockets, closed when it shuts down."""

_MAX_REASON = 120  # a close frame's reason is at most 123 bytes (RFC 6455 §5.5)
_EXPIRY_CHECK = 1.0
"""Most seconds between two looks at the accounts' clock while a socket waits for its token
to expire: the clock may be moved by hand (tests), so a single sleep could miss it."""

_operation_context: RequestVar[Context] = RequestVar("schoolgraph_ws_operation_context")
"""The context of the operation a task runs, as its caller was when it arrived."""


class _Gateway(Protocol):
    """What the handler reads of its view (:class:`~schoolgraph.graph.view.GatewayView`)."""

    @property
    def source(self) -> ContextSource: ...

    @property
    def executing(self) -> ExecutionSlots:
        """The app's bound on operations executed at once, HTTP's and the sockets'."""

    @property
    def request_timeout(self) -> float:
        """``SCHOOLGRAPH_REQUEST_TIMEOUT``, as the app's deadline middleware has it."""

    @property
    def max_tokens(self) -> int:
        """``SCHOOLGRAPH_MAX_QUERY_TOKENS``: documents are parsed under it."""


class _MeasuredWebSocket(AiohttpWebSocketAdapter):
    """strawberry's aiohttp adapter, noting the size of the message it read last: the bytes
    an operation's audit record received. Reads as strawberry's own adapter does."""

    last_message_bytes = 0

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        async for ws_message in self.ws:
            if ws_message.type == WSMsgType.TEXT:
                self.last_message_bytes = len(ws_message.data.encode())
                try:
                    yield self.view.decode_json(ws_message.data)
                except JSONDecodeError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
            elif ws_message.type == WSMsgType.BINARY:
                raise NonTextMessageReceived


@dataclass(slots=True)
class _Running:
    """One operation of the socket, from its ``subscribe`` message to its end.

    ``request`` is its own copy of the upgrade request (its own request id, caller, call log
    and GraphQL facts), which its resolvers and its audit record read. ``stop_at`` is the
    event-loop time at which a query or a mutation is stopped; None for a subscription.
    """

    request: web.Request
    at: datetime.datetime
    started: float
    received: int
    context: Context | None = None
    sent: int = 0
    refused_status: int | None = None
    failed: bool = False
    stop_at: float | None = None

    @property
    def facts(self) -> GraphQLFacts:
        return self.request[GRAPHQL_FACTS]

    @property
    def is_subscription(self) -> bool:
        # Not known before it validated: then it is checked like a subscription.
        return self.facts.operation not in {"query", "mutation"}

    def refused(self, error: SchoolgraphError) -> None:
        self.refused_status = error.http_status
        if error.code not in self.facts.error_codes:
            self.facts.error_codes.append(error.code)
        if self.facts.error_message is None:
            self.facts.error_message = error.message

    @property
    def status(self) -> int:
        """The HTTP status the same operation would have had as a request."""
        if self.refused_status is not None:
            return self.refused_status
        stopped = self.facts.operation is None and bool(self.facts.error_codes)
        return 400 if self.failed or stopped else 200


def _formatted(error: SchoolgraphError) -> list[GraphQLFormattedError]:
    """An ``error`` message's payload: the ``errors`` of HTTP's body for the same error."""
    return [{"message": error.message, "extensions": error.to_extensions()}]


def _runs_once(operation: Operation[Context, None], max_tokens: int) -> bool:
    """Whether ``operation`` is a query or a mutation: one execution, bounded as an HTTP
    request is. One whose document does not parse, or does not name one of its operations,
    counts as one: strawberry refuses it before anything runs."""
    query: object = operation.query  # as the client sent it: any JSON
    name: object = operation.operation_name
    if not isinstance(query, str) or not isinstance(name, str | None):
        return True
    try:
        return (
            choose_operation(query, name, max_tokens=max_tokens) is not OperationType.SUBSCRIPTION
        )
    except OperationChoiceError:
        return True


def _error_codes(message: Message) -> list[object]:
    """The ``extensions.code`` of each error a ``next`` or ``error`` message carries."""
    payload = cast(Mapping[str, object], message).get("payload")
    if message["type"] == "next" and isinstance(payload, Mapping):
        payload = payload.get("errors")
    if message["type"] not in {"next", "error"} or not isinstance(payload, list):
        return []
    codes: list[object] = []
    for error in payload:
        extensions = error.get("extensions") if isinstance(error, Mapping) else None
        codes.append(extensions.get("code") if isinstance(extensions, Mapping) else None)
    return codes


class AuthenticatedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's ``graphql-transport-ws`` handler, authorising every operation as it
    arrives and every subscription event before it goes out (see the module).

    The audit log gets one record per operation (a query, a mutation, a subscription), made
    when the operation ends: its answer sent, its error sent, the client's ``complete``, or
    the socket closing. It names the account and company the operation ran as; bytes
    received are the size of its ``subscribe`` message and bytes sent the sum of every
    message answering it (a subscription's events included); its status is what HTTP would
    have answered (200, 400 when it did not validate, 401 or 429 when it was refused), and its
    error codes those of its answers. The upgrade request is recorded once more, as the
    connection (status 101, for as long as it lasted), under the account ``connection_init``
    authenticated, or with the ``UNAUTHENTICATED`` error that refused it.
    """

    def __init__(
        self,
        view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Context, None],
        websocket: AsyncWebSocketAdapter,
        context: Context,
        root_value: None,
        schema: BaseSchema,
        connection_init_wait_timeout: datetime.timedelta,
        max_subscriptions_per_connection: int | None = None,
    ) -> None:
        self._messages: _MeasuredWebSocket | None = None
        if isinstance(websocket, AiohttpWebSocketAdapter):
            websocket = self._messages = _MeasuredWebSocket(
                websocket.view, websocket.request, websocket.ws
            )
        self._connection_context = context
        super().__init__(
            view,
            websocket,
            context,
            root_value,
            schema,
            connection_init_wait_timeout,
            max_subscriptions_per_connection,
        )
        self._gateway = cast(_Gateway, view)
        self._authorization: str | None = None
        self._running: dict[str, _Running] = {}
        self._numbers = itertools.count(1)
        self._expiry_watch: asyncio.Task[None] | None = None
        self._ending: asyncio.Task[None] | None = None

    @property
    def context(self) -> Context:
        """The context of the operation this task runs, else the connection's."""
        context = _operation_context.get()
        return context if context is not None else self._connection_context

    @context.setter
    def context(self, value: Context) -> None:
        self._connection_context = value

    @property
    def _upgrade(self) -> web.Request:
        return self._connection_context.request

    @property
    def _authenticator(self) -> Authenticator:
        return self._upgrade.app[AUTHENTICATOR]

    # -- connection_init --------------------------------------------------------------------

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload") or {}
        if isinstance(payload, dict) and not self.connection_init_received:
            header = payload.get("Authorization", payload.get("authorization"))
            if header is not None and not isinstance(header, str):
                header = ""
            if header is None:
                header = self._upgrade.headers.get("Authorization")
            try:
                caller = await self._authenticator.caller_for(header)
            except UnauthenticatedError as error:
                self.connection_init_received = True
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                # The connection's audit record is an error, as the same token's 401 is.
                self._upgrade[GRAPHQL_FACTS] = GraphQLFacts(
                    error_codes=[error.code], error_message=error.message
                )
                await self._close(error)
                return
            self._authorization = header
            self._upgrade[CALLER] = caller  # whom the connection's audit record names
            self.context = self._context_for(caller, self._upgrade)
            expires = await self._authenticator.expires_at(header)
            if expires is not None:
                self._expiry_watch = asyncio.create_task(self._end_at(expires))
                self._expiry_watch.add_done_callback(self._task_done)
        await super().handle_connection_init(message)

    # -- operations -------------------------------------------------------------------------

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self._ending is not None:
            return  # the socket is closing: nothing more runs
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # strawberry closes the socket
            return
        operation_id = message["id"]
        running = self._arrived()
        try:
            caller = await self._authenticator.caller_for(self._authorization)
        except UnauthenticatedError as error:
            await self._refuse(operation_id, running, error)
            self._end(error)
            return
        running.request[CALLER] = caller
        limit = running.request.get(RATE_LIMIT)
        refused = limit.take(running.request) if limit is not None else None
        if refused is not None:
            await self._refuse(operation_id, running, refused)
            return
        running.context = self._context_for(caller, running.request)
        self._running[operation_id] = running
        try:
            await super().handle_subscribe(message)
        finally:
            if operation_id not in self.operations:
                # strawberry did not start it (the subscription limit, or no query).
                await self._record(operation_id, running)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        running = self._running.get(operation.id)
        if running is None or running.context is None:
            return  # ended before its task started
        context = _operation_context.set(running.context)
        calls = current_call_log.set(running.request[CALL_LOG])
        deadline = None
        if _runs_once(operation, self._gateway.max_tokens):
            # Bounded as the deadline middleware bounds an HTTP request: its upstream calls
            # by the deadline, the whole of it by the deadline and its grace (_bounded).
            timeout = self._gateway.request_timeout
            deadline = set_deadline(timeout)
            running.stop_at = asyncio.get_running_loop().time() + timeout + GRACE
        try:
            await super().run_operation(operation)
        finally:
            if deadline is not None:
                deadline.var.reset(deadline)
            current_call_log.reset(calls)
            _operation_context.reset(context)
            await self._record(operation.id, running)

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: StreamResult
    ) -> None:
        running = self._running.get(operation.id)
        if running is None or running.stop_at is None:
            await super()._send_result_stream(operation, result_source)
            return
        bounded = self._bounded(operation, running, running.stop_at, result_source)
        async with aclosing(bounded):
            await super()._send_result_stream(operation, bounded)

    async def _bounded(
        self,
        operation: Operation[Context, None],
        running: _Running,
        stop_at: float,
        results: StreamResult,
    ) -> StreamResult:
        """``results`` (a query's or a mutation's: one, unless it is delivered in parts),
        each computed within the app's bound on operations executed at once and before
        ``stop_at``; past it, the operation ends with HTTP's ``REQUEST_TIMEOUT`` error. Only
        the computing is bounded: a client slow to read its answer holds no place."""
        while True:
            try:
                async with asyncio.timeout_at(stop_at) as scope, self._gateway.executing.place():
                    result = await anext(results)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if not scope.expired():
                    raise
                error = RequestTimeoutError.after(self._gateway.request_timeout)
                running.refused(error)
                await operation.send_operation_message(
                    {"id": operation.id, "type": "error", "payload": _formatted(error)}
                )
                return
            yield result

    async def cleanup_operation(self, operation_id: str) -> None:
        running = self._running.get(operation_id)
        await super().cleanup_operation(operation_id)
        if running is not None:
            # Its task is cancelled, and may never have started: record it here.
            await self._record(operation_id, running)

    async def send_message(self, message: Message) -> None:
        operation_id = cast(Mapping[str, object], message).get("id")
        running = self._running.get(operation_id) if isinstance(operation_id, str) else None
        if running is None:
            await super().send_message(message)
            return
        if self._ending is not None:
            return  # the token is dead: its error has been (or is being) sent instead
        if message["type"] == "next" and running.is_subscription:
            try:
                await self._authenticator.caller_for(self._authorization)
            except UnauthenticatedError as error:
                self._end(error)
                return
        if message["type"] == "error":
            running.failed = True
        metrics = self._upgrade.app.get(METRICS)
        if metrics is not None:
            if running.refused_status is None:
                # As the view counts an HTTP answer's; a refusal (RATE_LIMITED,
                # REQUEST_TIMEOUT...) is counted by its status, as HTTP's error bodies are.
                metrics.observe_error_codes(_error_codes(message))
            events = current_call_log.get()
            if (
                message["type"] == "next"
                and events is not None
                and events is not running.request[CALL_LOG]
            ):
                # A subscription's event, read with a call log of its own (subscriptions.py)
                # in this task: its calls are counted as it goes out.
                metrics.observe_calls(events)
        running.sent += len(answer_bytes(message))
        await super().send_message(message)

    async def shutdown(self) -> None:
        if self._expiry_watch is not None:
            self._expiry_watch.cancel()
        await super().shutdown()
        if self._ending is not None:
            with suppress(Exception):
                await self._ending

    # -- helpers ----------------------------------------------------------------------------

    def _context_for(self, caller: Caller, request: web.Request) -> Context:
        """A context for ``caller``: its schools' directory, fresh loaders and memos."""
        connection = self._connection_context
        directory = scoped_directory(self._gateway.source.directory, caller)
        return dataclasses.replace(
            connection,
            request=request,
            request_id=request[REQUEST_ID],
            calls=request[CALL_LOG],
            caller=caller,
            directory=directory,
            loaders=make_loaders(directory, batch=connection.loaders.batch),
            built={},
            look_ahead={},
            selections={},
        )

    def _arrived(self) -> _Running:
        """The operation whose ``subscribe`` message was just read."""
        upgrade = self._upgrade
        request = upgrade.clone()
        # Its own id, naming the connection's: Error Details finds each operation.
        request[REQUEST_ID] = f"{upgrade[REQUEST_ID]}.{next(self._numbers)}"
        request[CALL_LOG] = CallLog()
        request[GRAPHQL_FACTS] = GraphQLFacts()
        return _Running(
            request=request,
            at=datetime.datetime.now(datetime.UTC),
            started=time.perf_counter(),
            received=self._messages.last_message_bytes if self._messages is not None else 0,
        )

    async def _refuse(self, operation_id: str, running: _Running, error: SchoolgraphError) -> None:
        """Answer an operation that will not run with ``error``, and record it (even when the
        client has gone before the answer could be sent)."""
        try:
            await self._send_error(operation_id, running, error)
        finally:
            await self._record(operation_id, running)

    async def _send_error(
        self, operation_id: str, running: _Running, error: SchoolgraphError
    ) -> None:
        running.refused(error)
        message: ErrorMessage = {
            "id": operation_id,
            "type": "error",
            "payload": _formatted(error),
        }
        running.sent += len(answer_bytes(message))
        await super().send_message(message)

    def _end(self, error: UnauthenticatedError) -> None:
        """End the connection, its token dead: an ``error`` to each running operation, then
        the close. In a task of its own, as an operation's task may call this and the close
        ends (cancels) every operation's task."""
        if self._ending is None:
            self._ending = asyncio.create_task(self._error_all_and_close(error))
            self._ending.add_done_callback(self._task_done)

    async def _error_all_and_close(self, error: UnauthenticatedError) -> None:
        for operation_id, running in list(self._running.items()):
            await self._send_error(operation_id, running, error)
        await self._close(error)

    async def _end_at(self, expires: datetime.datetime) -> None:
        """End the connection once its token expires, by the accounts' clock."""
        now = self._authenticator.now
        while True:
            left = (expires - now()).total_seconds()
            if left <= 0:
                break
            await asyncio.sleep(min(left, _EXPIRY_CHECK))
        try:
            await self._authenticator.caller_for(self._authorization)
        except UnauthenticatedError as error:
            self._end(error)

    async def _close(self, error: UnauthenticatedError) -> None:
        reason = f"Forbidden: {error.message}"
        await self.websocket.close(code=4403, reason=reason[:_MAX_REASON])

    async def _record(self, operation_id: str, running: _Running) -> None:
        """Record ``running`` in the audit log and the metrics, once (whichever of its ends
        comes first)."""
        if self._running.get(operation_id) is running:
            del self._running[operation_id]
        elif running.context is not None:
            return  # recorded already
        elapsed = time.perf_counter() - running.started
        metrics = self._upgrade.app.get(METRICS)
        if metrics is not None:
            metrics.observe_socket_operation(
                running.facts.operation, running.status, elapsed, running.request[CALL_LOG]
            )
        log = self._upgrade.app.get(AUDIT)
        if log is None:
            return
        await put_record(
            log.recorder,
            running.request,
            None,
            status=running.status,
            at=running.at,
            elapsed_ms=elapsed * 1000,
            sizes=(running.received, running.sent),
        )


async def close_open_sockets(app: web.Application) -> None:
    """``on_shutdown``: close every open GraphQL WebSocket (1001, going away)."""
    for socket in list(app.get(OPEN_SOCKETS, ())):
        await socket.close(code=1001, message=b"The gateway is shutting down.")
