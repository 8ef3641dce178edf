"""The strawberry aiohttp view: GraphQL over HTTP, with the gateway's context and errors."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aiohttp import web
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.schema.base import BaseSchema
from strawberry.types import ExecutionResult

from schoolgraph.config import Settings
from schoolgraph.context import Context, ContextSource
from schoolgraph.graph.extensions.error_codes import REQUEST_ERROR_CODES, mask_error
from schoolgraph.graph.extensions.explain import EXPLAIN_HEADER, explain_requested
from schoolgraph.loaders import make_loaders
from schoolgraph.middlewares import CALL_LOG, REQUEST_ID, error_for_status

__all__ = ["GatewayView"]

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
    request errors (parse, validation, variables) answer with HTTP 400.

    Args:
        schema: The schema to execute.
        settings: The gateway settings (whether GraphiQL is served).
        source: The app's runtime: each request's context takes the settings in effect and
            the directory from it, and gets fresh loaders over that directory.
    """

    def __init__(self, schema: BaseSchema, settings: Settings, source: ContextSource) -> None:
        super().__init__(
            schema=schema,
            graphql_ide="graphiql" if settings.introspection else None,
            subscription_protocols=(),
        )
        self.source = source

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            raise error_for_status(exc.status_code, exc.reason) from exc

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> Context:
        directory = self.source.directory
        return Context(
            request=request,
            request_id=request[REQUEST_ID],
            settings=self.source.settings,
            calls=request[CALL_LOG],
            directory=directory,
            loaders=make_loaders(directory),
            explain=explain_requested(request.headers.get(EXPLAIN_HEADER)),
        )

    def parse_json(self, data: str | bytes) -> object:
        try:
            value = self.decode_json(data)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"The request body is not valid JSON: {exc}") from exc
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
        result = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )
        if _stopped_before_execution(result):
            sub_response.set_status(400)
        return result

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            # An error raised around the operation (by an extension, say) never passed
            # through ErrorCodes; it must not reach the client unmasked either.
            result.errors = [
                error
                if error.extensions and "code" in error.extensions
                else mask_error(error, request.get(REQUEST_ID))
                for error in result.errors
            ]
        return process_result(result)


def _stopped_before_execution(result: ExecutionResult) -> bool:
    """Whether the query failed to parse or validate, or its variables did not fit."""
    return (
        result.data is None
        and bool(result.errors)
        and all(
            (error.extensions or {}).get("code") in REQUEST_ERROR_CODES
            for error in result.errors or ()
        )
    )
