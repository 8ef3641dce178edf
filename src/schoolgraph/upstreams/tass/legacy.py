"""The legacy TASS.web API transport: one ColdFusion handler, encrypted parameters (§A).

Section numbers (§) are those of `shared/upstreams/tass.md`.

* Every call goes to `{base_url}/tassweb/api/` with `method`, `appcode`, `company`, `v` and
  `token`, where `token` is the method's parameters as compact JSON, AES-encrypted with the
  app's Token Key (`auth.encrypt_token`, §A.4). Method parameters never travel in the clear
  (§A.1: "API parameters shouldn't be supplied individually as URL parameters").
* POST with a form body is the default (§A.1 allows GET and POST); it keeps the replayable
  token out of URLs and proxy logs. The token is deterministic (ECB, no IV), so identical
  calls are identical requests either way.
* Errors are read from the body, not the status alone (§E.4 #8): `{"__status": "invalid",
  "__msg", "__invalid"}`. A bare "Unauthorized" (HTTP 401) is a refused app, company or key;
  "Not Implemented" (HTTP 501) a method the app is not licensed for or whose Security Role
  permission it lacks; anything naming parameters in `__invalid` is a request TASS found
  invalid, which TASS also answers with HTTP 401 (§D.2), so a 401 is never retried as an
  authentication failure: the key is static and there is nothing to renew.
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
        body = response.json()
        if not isinstance(body, dict):
            raise UpstreamBadResponseError(
                f"TASS answered {method} for company {company} with something other than a "
                f"JSON object (HTTP {response.status}).",
                upstream=UPSTREAM,
            )
        invalid = body.get("__invalid")
        message = body.get("__msg")
        failed = (
            response.status >= 400
            or body.get("__status") == "invalid"
            or (isinstance(invalid, Mapping) and bool(invalid))
        )
        if not failed:
            return body
        if response.status == 501 or message == "Not Implemented":
            raise UpstreamAuthError(
                f"TASS legacy app {self.app.appcode} may not call {method} for company "
                f"{company}: the method is not licensed for the app, or the app's Security Role "
                f"lacks its permission (HTTP {response.status}).",
                upstream=UPSTREAM,
            )
        if (isinstance(invalid, Mapping) and invalid) or (message and message != "Unauthorized"):
            raise UpstreamBadResponseError(
                f"TASS rejected the parameters of {method} for company {company} (HTTP "
                f"{response.status}): {(problem_message(body) or 'no message').rstrip('.')}.",
                upstream=UPSTREAM,
            )
        if response.status in (404, 405):
            raise UpstreamBadResponseError(
                f"TASS answered {route} with HTTP {response.status}; check the legacy API path.",
                upstream=UPSTREAM,
            )
        raise UpstreamAuthError(
            f"TASS refused legacy app {self.app.appcode} for company {company} calling {method} "
            f"(HTTP {response.status}: Unauthorized). Check the App Code, that the app is "
            "configured for the company, and the Token Key.",
            upstream=UPSTREAM,
        )
