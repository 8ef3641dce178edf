"""The audit log on the app: ``app[AUDIT]``, the recording middleware and its lifecycle.

Recorded: every request except the probes and the scrape (``/healthz``, ``/readyz``,
``/metrics``), which would bury the traffic a school wants to see. GraphQL requests, the
auth routes (``/auth/token``, the key-share ``/keys`` pages), GraphiQL and the ``/admin``
pages are all recorded: who looked at the audit log is itself audited, and why a page was
refused (the dashboard's sign-in, its sessions and its forms) is recorded as its code and
message, as a JSON error's are.

The middleware sits just inside :func:`~schoolgraph.middlewares.request_id_middleware`, so
it sees the final response (the error middleware's bodies included) and the request id.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from schoolgraph.accounts.models import Caller
from schoolgraph.accounts.sqlite import SqliteStore
from schoolgraph.accounts.web import ACCOUNTS, CALLER
from schoolgraph.audit.facts import GRAPHQL_FACTS, REFUSAL, STACK, GraphQLFacts
from schoolgraph.audit.models import AuditRecord, UpstreamCallRecord
from schoolgraph.audit.recorder import AuditRecorder
from schoolgraph.audit.redaction import redacted_json, redacted_query
from schoolgraph.audit.store import AuditStore
from schoolgraph.config import Settings
from schoolgraph.middlewares import CALL_LOG, REQUEST_ID, request_id_middleware

__all__ = ["AUDIT", "NOT_RECORDED", "AuditLog", "audit_middleware", "put_record", "setup_audit"]

logger = logging.getLogger(__name__)

NOT_RECORDED = frozenset({"/healthz", "/readyz", "/metrics"})
"""Paths whose requests are not recorded: health probes and metrics scrapes."""


@dataclass(frozen=True, slots=True)
class AuditLog:
    """The app's audit log: ``reader`` answers every question
    (:class:`~schoolgraph.audit.models.AuditReader`); ``recorder`` buffers new records."""

    reader: AuditStore
    recorder: AuditRecorder

    async def flush(self) -> int:
        """Write the buffered records now (tests and load runs count right after)."""
        return await self.recorder.flush()


AUDIT = web.AppKey("audit", AuditLog)
"""``request.app[AUDIT].reader`` reads the log; absent when ``SCHOOLGRAPH_AUDIT=false``."""


def _endpoint(request: web.Request) -> str:
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "(no route)"
    return f"{request.method} {route}"


def _company(caller: Caller | None) -> str | None:
    if caller is None or not caller.schools:
        return None  # every school, or none at all
    return ",".join(sorted(caller.schools))


def _response_bytes(response: web.StreamResponse | None) -> int:
    if isinstance(response, web.Response):
        body = response.body
        if isinstance(body, bytes | bytearray):
            return len(body)
    if response is not None and response.content_length is not None:
        return response.content_length
    return 0


def _request_bytes(request: web.Request) -> int:
    if request.content_length is not None:
        return request.content_length
    return int(getattr(request.content, "total_bytes", 0))


def _error_of_body(response: web.StreamResponse | None) -> tuple[tuple[str, ...], str | None]:
    """The codes and first message of one of our JSON error bodies (non-GraphQL routes)."""
    if not isinstance(response, web.Response) or response.content_type != "application/json":
        return (), None
    body = response.body
    if not isinstance(body, bytes | bytearray) or len(body) > 65_536:
        return (), None
    try:
        errors = json.loads(body).get("errors")
    except (ValueError, AttributeError):
        return (), None
    if not isinstance(errors, list):
        return (), None
    codes = tuple(
        str(error.get("extensions", {}).get("code", "INTERNAL"))
        for error in errors
        if isinstance(error, dict)
    )
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    message = first.get("message")
    return codes, message if isinstance(message, str) else None


def build_record(
    request: web.Request,
    response: web.StreamResponse | None,
    *,
    status: int,
    at: datetime.datetime,
    elapsed_ms: float,
    details: bool = True,
    sizes: tuple[int, int] | None = None,
) -> AuditRecord:
    """The audit record of a request that has its response (or failed with ``status``).

    The error codes and message are those of the GraphQL response's errors, else of the
    refusal a page named (:data:`~schoolgraph.audit.facts.REFUSAL`), else of a JSON error body.
    ``details=False`` leaves out what comes from the request's content (facts of the
    GraphQL execution, parameters, variables, the error body): the fallback record when
    reading those failed. ``sizes`` (bytes received, bytes sent) replaces the lengths of the
    request and response bodies: an operation over a WebSocket has neither.
    """
    facts = (request.get(GRAPHQL_FACTS) if details else None) or GraphQLFacts()
    caller = request.get(CALLER)
    codes: tuple[str, ...] = tuple(facts.error_codes)
    message = facts.error_message
    refusal = request.get(REFUSAL)
    if not codes and refusal is not None:
        codes, message = (refusal.code,), refusal.message
    elif not codes and status >= 400 and details:
        codes, message = _error_of_body(response)
    calls = request.get(CALL_LOG)
    return AuditRecord(
        request_id=request.get(REQUEST_ID) or "",
        at=at,
        account_code=caller.account if caller is not None else None,
        account_name=caller.name if caller is not None else None,
        company=_company(caller),
        method=request.method,
        endpoint=facts.endpoint or _endpoint(request),
        path=request.path,
        status=status,
        error_codes=codes,
        error_message=message,
        ip=request.remote,
        elapsed_ms=round(elapsed_ms, 3),
        request_bytes=_request_bytes(request) if sizes is None else sizes[0],
        response_bytes=_response_bytes(response) if sizes is None else sizes[1],
        user_agent=request.headers.get("User-Agent"),
        query_parameters=redacted_query(request.query.items()) if details else None,
        variables=redacted_json(facts.variables),
        stack=facts.stack or (request.get(STACK) if details else None),
        calls=tuple(
            UpstreamCallRecord(
                upstream=call.upstream,
                method=call.method,
                route=call.route,
                status=call.status,
                elapsed_ms=round(call.ms, 3),
                cache=call.cache,
            )
            for call in (calls.calls if calls is not None else ())
        ),
    )


def audit_middleware(
    recorder: AuditRecorder,
    *,
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
) -> Middleware:
    """Record each request (but :data:`NOT_RECORDED`) into ``recorder`` as it ends."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in NOT_RECORDED:
            return await handler(request)
        at = now()
        started = time.perf_counter()
        response: web.StreamResponse | None = None
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:  # a redirect, or an error past the error middleware
            status = exc.status
            raise
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            await put_record(
                recorder, request, response, status=status, at=at, elapsed_ms=elapsed_ms
            )

    return middleware


async def put_record(
    recorder: AuditRecorder,
    request: web.Request,
    response: web.StreamResponse | None,
    *,
    status: int,
    at: datetime.datetime,
    elapsed_ms: float,
    sizes: tuple[int, int] | None = None,
) -> None:
    """Build the record of ``request`` (see :func:`build_record`) and buffer it."""
    record = functools.partial(
        build_record, request, response, status=status, at=at, elapsed_ms=elapsed_ms, sizes=sizes
    )
    try:
        built = record()
    except Exception:
        # Auditing must never fail a request, nor lose its record: keep the rest.
        logger.exception(
            "The audit record of request %s left out its details; they could not be read.",
            request.get(REQUEST_ID),
            extra={"request_id": request.get(REQUEST_ID)},
        )
        built = record(details=False)
    await recorder.put(built)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    log = app[AUDIT]
    await log.reader.open()
    log.recorder.start()
    try:
        yield
    finally:
        # cleanup_ctx unwinds after the server drained in-flight requests: nothing more
        # will be recorded.
        await log.recorder.close()
        await log.reader.close()


def setup_audit(app: web.Application, settings: Settings) -> None:
    """Record the app's requests when ``settings.audit``: ``app[AUDIT]``, the middleware
    (just inside the request-id middleware) and the lifecycle (after the accounts').

    The log is kept in the accounts store's SQLite file; in memory when that has none.
    """
    if not settings.audit:
        return
    accounts = app.get(ACCOUNTS)
    store = accounts.store if accounts is not None else None
    path = store.path if isinstance(store, SqliteStore) else settings.accounts_db
    reader = AuditStore(path)
    recorder = AuditRecorder(
        reader,
        capacity=settings.audit_buffer_size,
        interval=settings.audit_flush_interval,
        retention_days=settings.audit_retention_days,
    )
    app[AUDIT] = AuditLog(reader, recorder)
    position = app.middlewares.index(request_id_middleware) + 1
    app.middlewares.insert(position, audit_middleware(recorder))
    app.cleanup_ctx.append(_lifecycle)
