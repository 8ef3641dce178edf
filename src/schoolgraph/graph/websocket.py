"""GraphQL over WebSocket (``graphql-transport-ws``) on ``/graphql``, as the caller of a token.

The upgrade request is a GET without a query, which the authentication middleware lets
through as nobody (GraphiQL's page is one too). The caller is decided at
``connection_init``: the ``Authorization`` of its payload (``{"Authorization": "Bearer
..."}``, as browsers cannot set headers on a WebSocket), else the upgrade request's header,
else anonymous where anonymous access is on. A token that is missing, malformed, unknown or
expired closes the socket with 4403 and the reason. From then on every operation of the
connection runs with that caller's grants and schools, exactly as over HTTP.
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import cast

from aiohttp import web
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from schoolgraph.accounts.web import AUTHENTICATOR
from schoolgraph.context import Context, ContextSource
from schoolgraph.errors import UnauthenticatedError
from schoolgraph.loaders import make_loaders
from schoolgraph.sources.scoped import scoped_directory

__all__ = ["OPEN_SOCKETS", "AuthenticatedTransportWS", "close_open_sockets"]

OPEN_SOCKETS = web.AppKey("open_sockets", weakref.WeakSet[web.WebSocketResponse])
"""The app's open GraphQL WebSockets, closed when it shuts down."""

_MAX_REASON = 120  # a close frame's reason is at most 123 bytes (RFC 6455 §5.5)


class AuthenticatedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's ``graphql-transport-ws`` handler, authenticating at ``connection_init``."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload") or {}
        if isinstance(payload, dict) and not self.connection_init_received:
            header = payload.get("Authorization", payload.get("authorization"))
            if header is not None and not isinstance(header, str):
                header = ""
            try:
                source = cast(ContextSource, getattr(self.view, "source"))  # noqa: B009
                self.context = await _authenticated(source, self.context, header)
            except UnauthenticatedError as error:
                self.connection_init_received = True
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                reason = f"Forbidden: {error.message}"
                await self.websocket.close(code=4403, reason=reason[:_MAX_REASON])
                return
        await super().handle_connection_init(message)


async def _authenticated(source: ContextSource, context: Context, header: str | None) -> Context:
    request = context.request
    if header is None:
        header = request.headers.get("Authorization")
    caller = await request.app[AUTHENTICATOR].caller_for(header)
    directory = scoped_directory(source.directory, caller)
    return dataclasses.replace(
        context,
        caller=caller,
        directory=directory,
        loaders=make_loaders(directory, batch=context.loaders.batch),
    )


async def close_open_sockets(app: web.Application) -> None:
    """``on_shutdown``: close every open GraphQL WebSocket (1001, going away)."""
    for socket in list(app.get(OPEN_SOCKETS, ())):
        await socket.close(code=1001, message=b"The gateway is shutting down.")
