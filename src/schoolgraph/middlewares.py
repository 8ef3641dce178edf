"""The gateway's aiohttp middlewares: request ids, the access log, and JSON error responses.

Order matters, outermost first: :func:`request_id_middleware` sees the final response
(including error responses) so every response carries ``X-Request-Id`` and one access log
line; :func:`error_middleware` turns whatever a handler raised into a JSON error body.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import traceback
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from schoolgraph.audit.facts import STACK
from schoolgraph.errors import (
    MASKED_MESSAGE,
    BadRequestError,
    InternalError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    SchoolgraphError,
)
from schoolgraph.upstreams.http import CallLog, current_call_log

__all__ = [
    "CALL_LOG",
    "REQUEST_ID",
    "REQUEST_ID_HEADER",
    "error_for_status",
    "error_middleware",
    "error_response",
    "json_dumps_compact",
    "request_id_from",
    "request_id_middleware",
    "upstream_calls_middleware",
]

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID = web.RequestKey("request_id", str)
CALL_LOG = web.RequestKey("call_log", CallLog)

json_dumps_compact = functools.partial(json.dumps, separators=(",", ":"))
"""How every JSON body of ours is encoded: compact, as strawberry encodes GraphQL results."""

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

access_logger = logging.getLogger("schoolgraph.access")
logger = logging.getLogger(__name__)


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is a sane token, else a fresh uuid4 hex.

    A sane token is 1 to 128 characters of ``[A-Za-z0-9._-]``: safe to echo in a header and
    to write into a log line.
    """
    if header is not None and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id, echo it in ``X-Request-Id``, and write one access log line.

    The log line holds the request id, method, path, status and elapsed milliseconds; never
    the query string or body, which may carry GraphQL variables or tokens.
    """
    request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
    finally:
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        access_logger.info(
            "%s %s %d in %.1f ms",
            request.method,
            request.path,
            status,
            elapsed_ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": status,
                "elapsed_ms": elapsed_ms,
            },
        )


@web.middleware
async def upstream_calls_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request its own `CallLog`: every upstream call it causes is recorded there.

    The log is a context variable for the duration of the handler, so the upstream clients
    record into it without knowing about requests; the request (and its GraphQL context)
    reads it for explain output, metrics and the audit log.
    """
    calls = CallLog()
    request[CALL_LOG] = calls
    token = current_call_log.set(calls)
    try:
        return await handler(request)
    finally:
        current_call_log.reset(token)


_ERRORS_BY_STATUS: dict[int, type[SchoolgraphError]] = {
    404: NotFoundError,
    405: MethodNotAllowedError,
    413: PayloadTooLargeError,
}


def error_for_status(status: int, message: str) -> SchoolgraphError:
    """The error from our tree for an HTTP client-error status raised by a library."""
    if not message.endswith("."):
        message += "."
    return _ERRORS_BY_STATUS.get(status, BadRequestError)(message)


def _describe_http_error(request: web.Request, exc: web.HTTPException) -> SchoolgraphError:
    if isinstance(exc, web.HTTPNotFound):
        return NotFoundError(f"There is nothing at {request.path}.")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = " or ".join(sorted(exc.allowed_methods))
        return MethodNotAllowedError(
            f"{request.method} is not allowed on {request.path}; use {allowed}."
        )
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return PayloadTooLargeError(
            f"The request body is larger than the limit of {request.client_max_size} bytes."
        )
    return error_for_status(exc.status, exc.reason)


def error_response(
    error: SchoolgraphError, *, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON error body shaped like a GraphQL response, with the error's HTTP status."""
    body = {"errors": [{"message": error.message, "extensions": error.to_extensions()}]}
    return web.json_response(
        body, status=error.http_status, headers=headers, dumps=json_dumps_compact
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render errors as JSON: ours with their code, aiohttp's mapped into our tree.

    Anything unexpected is logged with its stack and becomes ``INTERNAL`` with a fixed
    message, so no exception text or traceback reaches a client.
    """
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return error_response(_describe_http_error(request, exc), headers=headers)
    except Exception as exc:
        if isinstance(exc, SchoolgraphError) and not isinstance(exc, InternalError):
            return error_response(exc)
        logger.exception(
            "Unexpected error while handling %s %s.",
            request.method,
            request.path,
            extra={"request_id": request.get(REQUEST_ID)},
        )
        request[STACK] = traceback.format_exc()  # for the audit log: never sent
        return error_response(InternalError(MASKED_MESSAGE))
