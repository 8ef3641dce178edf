"""A gateway with accounts, its audit log filled by real traffic over HTTP, and a cookie-keeping
client that uses the dashboard as a browser would (forms, redirects, cookies)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from schoolgraph.audit.web import AUDIT
from schoolgraph.dashboard.session import SESSION_COOKIE
from tests.accounts.harness import ApiUser, Harness
from tests.dashboard.reading import Page, read_page

__all__ = [
    "HOSTILE",
    "HOSTILE_AGENT",
    "HOSTILE_VARIABLE",
    "Answer",
    "Dashboard",
    "Traffic",
    "request_length",
    "send_traffic",
]

HOSTILE = "<script>alert('owned')</script>"
"""A value that must reach every page as text, never as markup."""
HOSTILE_AGENT = '<img src=x onerror="alert(1)">'
SERVICE = "{ service { name } }"
FORBIDDEN = "{ schools { name } }"
HOSTILE_VARIABLE = "query Hostile($b: Boolean!) { service @include(if: $b) { name } }"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    text: str

    @property
    def page(self) -> Page:
        return read_page(self.text)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Dashboard:
    """The dashboard as one browser sees it: cookies kept, redirects not followed."""

    harness: Harness
    browser: aiohttp.ClientSession

    @property
    def url(self) -> URL:
        return self.harness.url

    async def get(self, path: str) -> Answer:
        """``path`` as a link's href: percent-encoded, with its query."""
        async with self.browser.get(
            self.url.join(URL(path, encoded=True)), allow_redirects=False
        ) as response:
            return Answer(response.status, response.headers, await response.text())

    async def post(self, path: str, form: Mapping[str, str]) -> Answer:
        async with self.browser.post(
            self.url.with_path(path), data=dict(form), allow_redirects=False
        ) as response:
            return Answer(response.status, response.headers, await response.text())

    async def sign_in(self, user: ApiUser, *, next_path: str | None = None) -> Answer:
        """Open the sign-in page, fill in the key and secret, submit."""
        shown = await self.get("/admin/sign-in")
        assert shown.status == 200, shown.text
        form = {"csrf": shown.page.hidden_inputs["csrf"], "key": user.key, "secret": user.secret}
        form["next"] = next_path or shown.page.hidden_inputs["next"]
        return await self.post("/admin/sign-in", form)

    def session_token(self) -> str | None:
        for cookie in self.browser.cookie_jar:
            if cookie.key == SESSION_COOKIE:
                return cookie.value
        return None

    async def flush(self) -> None:
        """Write the audit buffer now, as the recorder would within a second."""
        await self.harness.app[AUDIT].flush()


@dataclass
class Traffic:
    """What :func:`send_traffic` sent: request ids by kind, as the gateway answered them."""

    ok: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    hostile: list[str] = field(default_factory=list)
    unauthenticated: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return len(self.forbidden) + len(self.hostile) + len(self.unauthenticated)


async def _graphql(
    harness: Harness,
    query: str,
    *,
    variables: Mapping[str, Any] | None = None,
    headers: Mapping[str, str],
) -> tuple[int, str, dict[str, Any]]:
    body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
    async with harness.http.post(
        harness.url / "graphql",
        data=body,
        headers={"Content-Type": "application/json", **headers},
    ) as response:
        return response.status, response.headers["X-Request-Id"], await response.json()


def request_length(query: str, variables: Mapping[str, Any]) -> int:
    """The bytes of the body :func:`send_traffic` posts for ``query``."""
    return len(json.dumps({"query": query, "variables": dict(variables)}).encode())


async def send_traffic(harness: Harness, partner: ApiUser, *, ok: int = 3) -> Traffic:
    """Real requests from ``partner``: ``ok`` good ones, one refused field, one with a hostile
    variable (its error message echoes it) and a hostile user agent, and one bad token."""
    traffic = Traffic()
    answers = await asyncio.gather(
        *(_graphql(harness, SERVICE, headers=partner.headers) for _ in range(ok))
    )
    for status, request_id, body in answers:
        assert status == 200 and "errors" not in body, body
        traffic.ok.append(request_id)
    status, request_id, body = await _graphql(harness, FORBIDDEN, headers=partner.headers)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN_FIELD", body
    traffic.forbidden.append(request_id)
    status, request_id, body = await _graphql(
        harness,
        HOSTILE_VARIABLE,
        variables={"b": HOSTILE},
        headers={**partner.headers, "User-Agent": HOSTILE_AGENT},
    )
    assert HOSTILE in body["errors"][0]["message"], body
    traffic.hostile.append(request_id)
    status, request_id, body = await _graphql(
        harness, SERVICE, headers={"Authorization": "Bearer sgt_not-a-real-token"}
    )
    assert status == 401, body
    traffic.unauthenticated.append(request_id)
    return traffic
