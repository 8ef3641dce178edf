"""The legacy TASS.web API transport: one ColdFusion handler, encrypted parameters (§A).

Section numbers (§) are those of `shared/upstreams/tass.md`.

* Every call goes to `{base_url}/tassweb/api/` with `method`, `appcode`, `company`, `v` and
  `token`, where `token` is the method's parameters as compact JSON, AES-encrypted with the
  app's Token Key (`auth.encrypt_token`, §A.4). Method parameters never travel in the clear
  (§A.1: "API parameters shouldn't be supplied individually as URL parameters").
* POST with a form body is the default (§A.1 allows GET and POST); it keeps the replayable
  token out of URLs and proxy logs. The token is deterministic (ECB, no IV), so identical
  calls are identical requests either way.
* Errors are classified by status first, then by the envelope `{"__status": "invalid",
  "__msg", "__invalid"}` where one can be found: IIS puts its HTML error page before the JSON
  of a 401 or 501 and may reformat or replace JSON responses (§A.6, §E.4 #8), so an error
  body is read as JSON whole or else from the first `{` that starts a JSON object with a
  legacy envelope key, and a body without one is judged by its status alone. HTTP 501 (or
  "Not Implemented") is a method the app is not licensed for or whose Security Role
  permission it lacks; HTTP 401 is a refused app, company or key, unless its envelope names
  parameters in `__invalid` or another `__msg`: TASS answers a request it found invalid with
  401 too (§D.2). A 401 is never retried as an authentication failure: the key is static
  and there is nothing to renew.
* No paging and no conditional requests exist (§A.5, §E.4 #7): every read is a whole answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...errors import UpstreamAuthError, UpstreamBadResponseError
from ..http import Transport
from .auth import TassLegacyApp, encrypt_token
from .models import UPSTREAM, problem_message

__all__ = ["LEGACY_PATH", "LegacyApi"]

LEGACY_PATH = "/tassweb/api/"  # §A.1; `/tassweb/api/index.cfm` is the same handler
_READ_STATUSES = frozenset({400, 401, 403, 404, 405, 501})
_ENVELOPE_KEYS = frozenset({"__status", "__msg", "__invalid"})


class LegacyApi:
    """Calls legacy methods for one app.

    Args:
        app: the App Code, Token Key and version.
        transport: the TASS transport.
        path: the handler's path under the base URL.
        http_method: `POST` (form body, the default) or `GET` (query string).
    """

    def __init__(
        self,
        app: TassLegacyApp,
        *,
        transport: Transport,
        path: str = LEGACY_PATH,
        http_method: str = "POST",
    ) -> None:
        self.app = app
        self._transport = transport
        self._path = path
        self._http_method = http_method.upper()
        self.requester = f"legacy:{app.appcode}"

    def __repr__(self) -> str:
        return f"LegacyApi(appcode={self.app.appcode!r}, version={self.app.version!r})"

    def route(self, method: str) -> str:
        return f"{self._path}?method={method}"

    async def call(self, company: str, method: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Call `method` for `company` and return the answer's JSON object.

        Raises:
            UpstreamAuthError: the app, company or key was refused, or the method is not
                licensed for the app or allowed by its Security Role.
            UpstreamBadResponseError: TASS found the parameters invalid, or answered with
                something that is not a JSON object.
        """
        plaintext = json.dumps(dict(params), separators=(",", ":"))
        fields = {
            "method": method,
            "appcode": self.app.appcode,
            "company": company,
            "v": self.app.version,
            "token": encrypt_token(plaintext, self.app.token_key),
        }
        route = self.route(method)
        if self._http_method == "GET":
            response = await self._transport.request(
                "GET",
                self._path,
                route=route,
                params=fields,
                requester=self.requester,
                ok_statuses=_READ_STATUSES,
            )
        else:
            response = await self._transport.request(
                "POST",
                self._path,
                route=route,
                data=fields,
                requester=self.requester,
                idempotent=True,  # every method the client calls is a read
                ok_statuses=_READ_STATUSES,
            )
        status = response.status
        body: dict[str, Any]
        if status < 400:
            parsed = response.json()
            if not isinstance(parsed, dict):
                raise UpstreamBadResponseError(
                    f"TASS answered {method} for company {company} with something other than "
                    f"a JSON object (HTTP {status}).",
                    upstream=UPSTREAM,
                )
            body = parsed
        else:
            body = _error_envelope(response.body)
        invalid = body.get("__invalid")
        message = body.get("__msg")
        names_params = isinstance(invalid, Mapping) and bool(invalid)
        if status < 400 and body.get("__status") != "invalid" and not names_params:
            return body
        found = problem_message(body) or ("no message" if body else "no legacy envelope")
        detail = found.rstrip(".")
        if status == 501 or message == "Not Implemented":
            raise UpstreamAuthError(
                f"TASS legacy app {self.app.appcode} may not call {method} for company "
                f"{company}: the method is not licensed for the app, or the app's Security Role "
                f"lacks its permission (HTTP {status}: {detail}).",
                upstream=UPSTREAM,
            )
        if names_params or (message and message != "Unauthorized"):
            raise UpstreamBadResponseError(
                f"TASS rejected the parameters of {method} for company {company} (HTTP "
                f"{status}): {detail}.",
                upstream=UPSTREAM,
            )
        if status in (404, 405):
            raise UpstreamBadResponseError(
                f"TASS answered {route} with HTTP {status}; check the legacy API path.",
                upstream=UPSTREAM,
            )
        if status in (401, 403) or status < 400 or message == "Unauthorized":
            raise UpstreamAuthError(
                f"TASS refused legacy app {self.app.appcode} for company {company} calling "
                f"{method} (HTTP {status}: {detail}). Check the App Code, that the app is "
                "configured for the company, and the Token Key.",
                upstream=UPSTREAM,
            )
        raise UpstreamBadResponseError(
            f"TASS answered {method} for company {company} with HTTP {status}: {detail}.",
            upstream=UPSTREAM,
        )


def _error_envelope(raw: bytes) -> dict[str, Any]:
    """The legacy envelope of an error body: the body itself when it is a JSON object, else
    the first JSON object with an envelope key that starts at a `{` in it (after IIS's error
    page, whose CSS braces do not start JSON, §A.6); empty when there is none."""
    text = raw.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):  # not JSON there, or nested past the decoder
            pass
        else:
            whole = not text[:start].strip() and not text[end:].strip()
            if isinstance(value, dict) and (whole or _ENVELOPE_KEYS & value.keys()):
                return value
        start = text.find("{", start + 1)
    return {}
