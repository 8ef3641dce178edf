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
- it leaves one audit record of its own (see :class:`AuthenticatedTransportWS`).

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
from contextlib import suppress
from dataclasses import dataclass
from json import JSONDecodeError
from typing import Any, Protocol, cast

from aiohttp import WSMsgType, web
from graphql import GraphQLFormattedError
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
from schoolgraph.errors import SchoolgraphError, UnauthenticatedError
from schoolgraph.graph.answer_json import answer_bytes
from schoolgraph.loaders import make_loaders
from schoolgraph.middlewares import CALL_LOG, REQUEST_ID
from schoolgraph.ratelimit import RATE_LIMIT
from schoolgraph.request_var import RequestVar
from schoolgraph.sources.scoped import scoped_directory
from schoolgraph.upstreams.http import CallLog, current_call_log

__all__ = ["OPEN_SOCKETS", "AuthenticatedTransportWS", "close_open_sockets"]

OPEN_SOCKETS = web.AppKey("open_sockets", weakref.WeakSet[web.WebSocketResponse])
"""The app's open GraphQL WebSockets, closed when it shuts down."""

_MAX_REASON = 120  # a close frame's reason is at most 123 bytes (RFC 6455 §5.5)
_EXPIRY_CHECK = 1.0
"""Most seconds between two looks at the accounts' clock while a socket waits for its token
to expire: the clock may be moved by hand (tests), so a single sleep could miss it."""

_operation_context: RequestVar[Context] = RequestVar("schoolgraph_ws_operation_context")
"""The context of the operation a task runs, as its caller was when it arrived."""


class _HasSource(Protocol):
    @property
    def source(self) -> ContextSource: ...


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
    and GraphQL facts), which its resolvers and its audit record read.
    """

    request: web.Request
    at: datetime.datetime
    started: float
    received: int
    context: Context | None = None
    sent: int = 0
    refused_status: int | None = None
    failed: bool = False

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
        self._source = cast(_HasSource, view).source
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
        try:
            await super().run_operation(operation)
        finally:
            current_call_log.reset(calls)
            _operation_context.reset(context)
            await self._record(operation.id, running)

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
        directory = scoped_directory(self._source.directory, caller)
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
        """Record ``running`` in the audit log, once (whichever of its ends comes first)."""
        if self._running.get(operation_id) is running:
            del self._running[operation_id]
        elif running.context is not None:
            return  # recorded already
        log = self._upgrade.app.get(AUDIT)
        if log is None:
            return
        await put_record(
            log.recorder,
            running.request,
            None,
            status=running.status,
            at=running.at,
            elapsed_ms=(time.perf_counter() - running.started) * 1000,
            sizes=(running.received, running.sent),
        )


async def close_open_sockets(app: web.Application) -> None:
    """``on_shutdown``: close every open GraphQL WebSocket (1001, going away)."""
    for socket in list(app.get(OPEN_SOCKETS, ())):
        await socket.close(code=1001, message=b"The gateway is shutting down.")
