"""The one error the Xporter simulator raises while answering, and its wire envelope.

Every error is rendered as the ASP.NET-style envelope the contract shows for management APIs
and `testerror` (xporter.md §2.5): `Message`, `ExceptionType`, `ExceptionMessage`,
`InnerException`. Clients detect failure by a non-null `ExceptionMessage`; the HTTP status is
200 unless the caller sent `httpstatuscodes=true` (§2.1, §2.5).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

GENERIC_MESSAGE = "An error has occurred."


class XporterError(Exception):
    """A request the simulator refuses; `status` is used only with `httpstatuscodes=true`.

    Args:
        status: the "detailed" HTTP status (400, 401, 403, 404, 429, 5xx).
        message: the full sentence placed in `ExceptionMessage`.
        exception_type: a .NET-style type name for `ExceptionType` (invented; §2.5 is silent).
    """

    def __init__(self, status: int, message: str, exception_type: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.exception_type = exception_type


def bad_request(message: str) -> XporterError:
    """A bad parameter (400 with `httpstatuscodes=true`)."""
    return XporterError(400, message, "System.ArgumentException")


def unauthorised(message: str) -> XporterError:
    """A missing, unknown or expired token (401)."""
    return XporterError(401, message, "System.UnauthorizedAccessException")


def forbidden(message: str) -> XporterError:
    """A valid token that may not do this (403)."""
    return XporterError(403, message, "System.Security.SecurityException")


def not_found(message: str) -> XporterError:
    """An unknown endpoint or school (404)."""
    return XporterError(404, message, "System.Collections.Generic.KeyNotFoundException")


def envelope(message: str, exception_type: str | None) -> dict[str, Any]:
    """The error keys of every Xporter body, with `ExceptionMessage` set."""
    return {
        "Message": GENERIC_MESSAGE,
        "ExceptionType": exception_type,
        "ExceptionMessage": message,
        "InnerException": None,
    }


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Compact JSON, UTF-8, as the upstream's .NET serialiser writes it."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return web.Response(
        text=text,
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def error_response(
    error: XporterError, *, status_codes: bool, headers: dict[str, str] | None = None
) -> web.Response:
    """Render `error`: HTTP 200 unless the caller asked for detailed status codes (§2.5)."""
    return json_response(
        envelope(error.message, error.exception_type),
        status=error.status if status_codes else 200,
        headers=headers,
    )
