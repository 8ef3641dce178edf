"""The 2026 TASS API transport: bearer-authenticated, OData-paged JSON arrays (§C, §D.3).

Section numbers (§) are those of `shared/upstreams/tass.md`; paths are in `paths.py`.

* Lists are JSON arrays paged with `$top`/`$skip` ([3P]); a page shorter than `$top` is the
  last one, unless it may be a server's silent cap (what a server does with a `$top` above
  its limit is DOC-SILENT, §D.3 "Paging"): see `pages`. `$filter` narrows a list before
  paging (the client uses `update_on ge ...`).
  `pages` asks for the next page as soon as one arrives, so a caller parses each page while
  the next is on the wire. A caller may pass a typed reading of the rows (`decode`, see
  `typed_rows`): a page in its shape is decoded straight into its structs; any other page is
  read the general way, as dicts.
* 401 is the transport's: one re-authentication and retry (`auth.BearerAuth`).
* 403 means the API user may not use this endpoint for this company (company not assigned,
  endpoint not granted or not Enabled, no Security Role, no Read permission, or a `$filter`
  naming a field it may not read; §C.3-§C.4): `EndpointDeniedError`, naming the endpoint. A
  field the user may not read is simply absent from rows, which the models read as `None`.
* 400 is a request TASS rejected (`RequestRejectedError`), e.g. a `$filter` on a property a
  deployment does not know; the client then falls back to full reads. A `$top` above the
  server's OData MaxTop is refused with ASP.NET's "The limit of 'N' for Top query has been
  exceeded": the page is asked for again with `$top=N`, and every later page too.
* Error bodies are RFC 7807 problems (`detail`, `title`, `message`), quoted with secrets
  blanked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncGenerator, Callable, Coroutine, Mapping
from contextlib import aclosing
from typing import Any

from ...errors import NotFoundError, UpstreamAuthError, UpstreamBadResponseError
from ..http import Transport
from ..off_loop import DECODE_OFF_LOOP_BYTES, off_loop
from . import paths
from .auth import BearerAuth
from .models import UPSTREAM, problem_message

__all__ = ["Api2026", "Decode", "EndpointDeniedError", "RequestRejectedError", "stop_task"]

Decode = Callable[[bytes], "list[Any] | None"]
"""A typed reading of a page's body: its rows as structs, or None for the general reading."""

_READ_STATUSES = frozenset({400, 403, 404})
_WRITE_STATUSES = frozenset({400, 403, 404, 409, 415})
_MAX_PAGES = 10_000
_CAP_STEP = 50  # a silent page cap is a round number of rows: a multiple of this
_TOP_LIMIT = re.compile(r"limit of '(\d+)' for Top query has been exceeded", re.IGNORECASE)

logger = logging.getLogger(__name__)


async def stop_task(task: asyncio.Future[Any]) -> None:
    """Cancel a read started ahead (a page, a lookup) that nobody will take now, and wait
    until it has stopped; its outcome, if it had one, is dropped."""
    if not task.done():
        task.cancel()
        await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved, so a failure nobody awaited is not logged as lost


class EndpointDeniedError(UpstreamAuthError):
    """The API user may not read this endpoint for this company (HTTP 403).

    Attributes:
        endpoint: the generic endpoint template (`/{cmpy_code}/students`).
        company: the company code.
    """

    def __init__(self, message: str, *, endpoint: str, company: str) -> None:
        super().__init__(message, upstream=UPSTREAM)
        self.endpoint = endpoint
        self.company = company


class RequestRejectedError(UpstreamBadResponseError):
    """TASS answered HTTP 400 to a request of ours."""


class TopLimitError(RequestRejectedError):
    """TASS refused a `$top` above its OData MaxTop, which it named (`limit`)."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message, upstream=UPSTREAM)
        self.limit = limit


class Api2026:
    """Reads of one API user.

    Args:
        auth: the user's bearer token lifecycle.
        transport: the TASS transport.
        wire: the base path.
        page_size: `$top` of each page.
    """

    def __init__(
        self, auth: BearerAuth, *, transport: Transport, wire: paths.Wire2026, page_size: int
    ) -> None:
        self.auth = auth
        self._transport = transport
        self._wire = wire
        self._page_size = page_size
        self._limit: int | None = None  # the most rows a page has: a MaxTop or a silent cap

    def __repr__(self) -> str:
        return f"Api2026(auth={self.auth!r})"

    def route(self, template: str) -> str:
        return self._wire.api_base + template

    async def rows(
        self,
        company: str,
        template: str,
        *,
        values: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        where: str | None = None,
        max_rows: int | None = None,
        missing: str | None = None,
        decode: Decode | None = None,
    ) -> list[Any]:
        """Every row of a list endpoint, following `$top`/`$skip` pages (as `pages`)."""
        out: list[Any] = []
        pages = self.pages(
            company,
            template,
            values=values,
            params=params,
            where=where,
            max_rows=max_rows,
            missing=missing,
            decode=decode,
        )
        async with aclosing(pages):
            async for page in pages:
                out.extend(page)
        return out

    async def pages(
        self,
        company: str,
        template: str,
        *,
        values: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        where: str | None = None,
        max_rows: int | None = None,
        missing: str | None = None,
        decode: Decode | None = None,
    ) -> AsyncGenerator[list[Any], None]:
        """The pages of a list endpoint in order, one read ahead: the request for the next
        page is sent as soon as a page arrives, before that page is handed on.

        Close it with `contextlib.aclosing`: closing it early (the caller failed or was
        cancelled) cancels the page being read ahead and waits for it.

        A page shorter than `$top` ends the list, except one whose row count is a positive
        multiple of 50: a server that caps pages silently, answering `$top=1000` with its
        own limit of rows and no error, caps at a round number, and such a page is not known
        to be the last. The next page is asked for to settle it: empty, the list has ended
        (a list of exactly 100 rows costs this one request more); rows, the server caps
        pages at that count, which is learned as the page size (as the 400 that names a
        MaxTop is), and paging goes on. Once the server has shown its limit, pages of at
        most that size are taken at their word; and once a page of the list came back full
        (`$top` rows: the server's cap, if any, is no lower), a short page ends it (3,200
        students in pages of 1,000 ended by one of 200 cost a request more before).

        Args:
            company: the company code (`{cmpy_code}`).
            template: the endpoint template from `paths`.
            values: the template's other `{name}` parts.
            params: extra query parameters.
            where: an OData `$filter`.
            max_rows: stop after this many rows (one page of that size).
            missing: what a 404 means, e.g. "student '0009130'", for a NotFoundError; None
                makes a 404 an UPSTREAM_BAD_RESPONSE.
            decode: a typed reading of the rows; a page it reads is a list of its structs,
                any other page a list of dicts.
        """
        path = self.route(paths.expand(template, cmpy_code=company, **(values or {})))
        top = min(self._page_size, max_rows) if max_rows else self._page_size

        def ask(skip: int) -> Coroutine[Any, Any, list[Any]]:
            query = {**(params or {}), paths.QUERY_TOP: str(top), paths.QUERY_SKIP: str(skip)}
            if where:
                query[paths.QUERY_FILTER] = where
            return self._page(company, template, path, query, missing, decode)

        received = seen_pages = 0
        full = False  # a page came back with all `top` rows: no cap below `top`
        suspect = 0  # rows of a short page that may be a silent cap, while the next is asked
        ahead: asyncio.Task[list[Any]] | None = None  # the next page, asked for
        try:
            while True:
                try:
                    if ahead is None:
                        page = await ask(received)
                    else:
                        page = await ahead
                        ahead = None
                except TopLimitError as refused:
                    ahead = None
                    if not 1 <= refused.limit < top:
                        raise
                    top = self._learn_limit(template, refused.limit)
                    continue
                if suspect:
                    if not page:  # the short page was the last one
                        return
                    if len(page) <= suspect:  # the server caps its pages there
                        top = self._learn_limit(template, suspect)
                    suspect = 0
                received += len(page)
                seen_pages += 1
                done = max_rows is not None and received >= max_rows
                short = len(page) < top
                full = full or not short
                if short and not done and not full and self._may_be_capped(len(page), top):
                    suspect = len(page)
                last = done or (short and not suspect)
                if not last:
                    if seen_pages >= _MAX_PAGES:
                        raise UpstreamBadResponseError(
                            f"TASS kept paging {self.route(template)} past {_MAX_PAGES} pages.",
                            upstream=UPSTREAM,
                        )
                    ahead = asyncio.create_task(ask(received))
                yield page
                if last:
                    return
        finally:
            if ahead is not None:
                await stop_task(ahead)

    def _learn_limit(self, template: str, limit: int) -> int:
        """Keep to pages of `limit` rows, which the server showed is its most; returns it."""
        self._limit = limit if self._limit is None else min(self._limit, limit)
        if limit < self._page_size:  # reads side by side learn it once
            logger.info(
                "TASS pages %s at most %d rows; asking for pages of %d from now on.",
                self.route(template),
                limit,
                limit,
            )
            self._page_size = limit
        return limit

    def _may_be_capped(self, rows: int, top: int) -> bool:
        """Whether a page of `rows` rows, short of `top`, may be a silent server cap: a
        round number (a positive multiple of 50), above any limit the server has shown."""
        round_number = rows > 0 and rows % _CAP_STEP == 0
        return round_number and (self._limit is None or top > self._limit)

    async def _page(
        self,
        company: str,
        template: str,
        path: str,
        query: dict[str, str],
        missing: str | None,
        decode: Decode | None = None,
    ) -> list[Any]:
        route = self.route(template)
        response = await self._transport.request(
            "GET",
            path,
            route=route,
            params=query,
            auth=self.auth,
            requester=self.auth.name,
            ok_statuses=_READ_STATUSES,
        )
        if decode is not None and response.status == 200:
            # On the loop below a megabyte, as the general decode: a page of a chain is read
            # before the next is asked for, and a worker thread would queue it behind the rows
            # other answers are building there (`off_loop.DECODE_OFF_LOOP_BYTES`).
            raw = response.body
            typed = await off_loop(len(raw), lambda: decode(raw), threshold=DECODE_OFF_LOOP_BYTES)
            if typed is not None:
                return typed
        body = await response.parsed()
        self._raise_for(response.status, body, company, template, missing)
        if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
            raise UpstreamBadResponseError(
                f"TASS answered {route} with something other than a JSON array of objects.",
                upstream=UPSTREAM,
            )
        return body

    async def patch(
        self,
        company: str,
        template: str,
        operations: list[dict[str, Any]],
        *,
        values: Mapping[str, str],
        missing: str,
    ) -> dict[str, Any]:
        """Apply an RFC 6902 JSON Patch to one record and return the record TASS answers.

        Not retried (a PATCH is not idempotent in general); 401 still re-authenticates once.
        """
        path = self.route(paths.expand(template, cmpy_code=company, **values))
        response = await self._transport.request(
            "PATCH",
            path,
            route=self.route(template),
            auth=self.auth,
            requester=self.auth.name,
            ok_statuses=_WRITE_STATUSES,
            headers={"Content-Type": "application/json-patch+json"},
            data=json.dumps(operations).encode(),
        )
        body = response.json()
        self._raise_for(response.status, body, company, template, missing, verb="Update")
        if not isinstance(body, dict):
            raise UpstreamBadResponseError(
                f"TASS answered PATCH {self.route(template)} with something other than a JSON "
                "object.",
                upstream=UPSTREAM,
            )
        return body

    def _raise_for(
        self,
        status: int,
        body: Any,
        company: str,
        template: str,
        missing: str | None,
        *,
        verb: str = "Read",
    ) -> None:
        route = self.route(template)
        if status >= 400:
            detail = self.auth.redact(problem_message(body) or f"HTTP {status}").rstrip(".")
            if status == 403:
                raise EndpointDeniedError(
                    f"TASS does not let API key {self.auth.name} {verb.lower()} {template} for "
                    f"company {company} (HTTP 403: {detail}). Grant the endpoint with {verb} "
                    "permission and a Security Role in API Endpoint Maintenance.",
                    endpoint=template,
                    company=company,
                )
            if status == 404 and missing is not None:
                raise NotFoundError(f"TASS has no {missing} in company {company}.")
            limit = _TOP_LIMIT.search(detail) if status == 400 else None
            if limit is not None:
                raise TopLimitError(
                    f"TASS refused pages of more than {limit.group(1)} rows from {template} "
                    f"for company {company} (HTTP 400: {detail}).",
                    limit=int(limit.group(1)),
                )
            if status in (400, 409, 415):
                raise RequestRejectedError(
                    f"TASS rejected a request to {template} for company {company} (HTTP {status}: "
                    f"{detail}).",
                    upstream=UPSTREAM,
                )
            raise UpstreamBadResponseError(
                f"TASS answered {route} for company {company} with HTTP {status}: {detail}.",
                upstream=UPSTREAM,
            )
