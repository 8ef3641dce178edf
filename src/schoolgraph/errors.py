"""The one error tree of schoolgraph.

Every error has a stable SCREAMING_SNAKE ``code`` that clients see in a GraphQL error's
``extensions.code`` (and in the JSON body of a non-GraphQL error response), plus
``upstream`` where one applies. Lower-level exceptions are translated into this tree at the
boundary that meets them; anything outside it is masked as ``INTERNAL`` before it reaches a
client.

SchoolgraphError (code varies)
├── ConfigError                     CONFIG_INVALID
├── BadRequestError                 BAD_REQUEST               400
│   ├── MethodNotAllowedError       METHOD_NOT_ALLOWED        405
│   └── PayloadTooLargeError        PAYLOAD_TOO_LARGE         413
├── NotFoundError                   NOT_FOUND                 404
├── UnauthenticatedError            UNAUTHENTICATED           401
├── ForbiddenError                  FORBIDDEN                 403
│   └── ForbiddenFieldError         FORBIDDEN_FIELD           403
├── ShuttingDownError               SHUTTING_DOWN             503
├── UpstreamError                   UPSTREAM_ERROR            502
│   ├── UpstreamUnavailableError    UPSTREAM_UNAVAILABLE      502
│   ├── UpstreamTimeoutError        UPSTREAM_TIMEOUT          504
│   ├── UpstreamRateLimitedError    UPSTREAM_RATE_LIMITED     503
│   ├── UpstreamAuthError           UPSTREAM_AUTH_FAILED      502
│   └── UpstreamBadResponseError    UPSTREAM_BAD_RESPONSE     502
└── InternalError                   INTERNAL                  500

The number is the HTTP status used when the error ends a non-GraphQL response; a GraphQL
field error leaves the HTTP status alone. The leaves of accounts, keys and tokens
(``KEY_EXISTS``, ``LINK_GONE``, ``LINK_LOCKED``, ``WRONG_PASSPHRASE``) are drawn in
:mod:`schoolgraph.accounts.errors`.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "MASKED_MESSAGE",
    "BadRequestError",
    "ConfigError",
    "ForbiddenError",
    "ForbiddenFieldError",
    "InternalError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "SchoolgraphError",
    "ShuttingDownError",
    "UnauthenticatedError",
    "UpstreamAuthError",
    "UpstreamBadResponseError",
    "UpstreamError",
    "UpstreamRateLimitedError",
    "UpstreamTimeoutError",
    "UpstreamUnavailableError",
]


MASKED_MESSAGE = "Internal server error."
"""All a client learns of an InternalError or of an exception outside this tree."""


class SchoolgraphError(Exception):
    """Base of every error schoolgraph raises on purpose.

    Args:
        message: A full sentence for the client, naming the bad value where there is one.
        upstream: The upstream the error concerns (``"tanda"``, ``"xporter"``, ``"tass"``).
    """

    code: ClassVar[str] = "INTERNAL"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, upstream: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.upstream = upstream

    def to_extensions(self) -> dict[str, object]:
        """The ``extensions`` of the GraphQL error clients see: the code, and the upstream."""
        extensions: dict[str, object] = {"code": self.code}
        if self.upstream is not None:
            extensions["upstream"] = self.upstream
        return extensions


class ConfigError(SchoolgraphError):
    """A setting is missing or invalid; raised at start-up."""

    code = "CONFIG_INVALID"


class BadRequestError(SchoolgraphError):
    """The HTTP request cannot be understood as a GraphQL request."""

    code = "BAD_REQUEST"
    http_status = 400


class MethodNotAllowedError(BadRequestError):
    """The endpoint does not answer this HTTP method."""

    code = "METHOD_NOT_ALLOWED"
    http_status = 405


class PayloadTooLargeError(BadRequestError):
    """The request body is larger than the configured limit."""

    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class NotFoundError(SchoolgraphError):
    """The thing asked for does not exist."""

    code = "NOT_FOUND"
    http_status = 404


class UnauthenticatedError(SchoolgraphError):
    """The request carries no valid credentials."""

    code = "UNAUTHENTICATED"
    http_status = 401


class ForbiddenError(SchoolgraphError):
    """The caller is known but may not do this."""

    code = "FORBIDDEN"
    http_status = 403


class ForbiddenFieldError(ForbiddenError):
    """The caller may not read this field."""

    code = "FORBIDDEN_FIELD"


class ShuttingDownError(SchoolgraphError):
    """The server stopped the request: it was still running when the shutdown timeout ended."""

    code = "SHUTTING_DOWN"
    http_status = 503


class UpstreamError(SchoolgraphError):
    """An upstream API failed us; ``upstream`` names which one."""

    code = "UPSTREAM_ERROR"
    http_status = 502

    def __init__(self, message: str, *, upstream: str) -> None:
        super().__init__(message, upstream=upstream)


class UpstreamUnavailableError(UpstreamError):
    """The upstream could not be reached, or answered with a server error."""

    code = "UPSTREAM_UNAVAILABLE"


class UpstreamTimeoutError(UpstreamError):
    """The upstream did not answer in time."""

    code = "UPSTREAM_TIMEOUT"
    http_status = 504


class UpstreamRateLimitedError(UpstreamError):
    """The upstream asked us to slow down.

    Args:
        message: A full sentence for the client.
        upstream: The upstream that limited us.
        retry_after: Seconds the upstream asked us to wait, when it said.
    """

    code = "UPSTREAM_RATE_LIMITED"
    http_status = 503

    def __init__(self, message: str, *, upstream: str, retry_after: float | None = None) -> None:
        super().__init__(message, upstream=upstream)
        self.retry_after = retry_after

    def to_extensions(self) -> dict[str, object]:
        extensions = super().to_extensions()
        if self.retry_after is not None:
            extensions["retryAfter"] = self.retry_after
        return extensions


class UpstreamAuthError(UpstreamError):
    """The upstream refused our credentials."""

    code = "UPSTREAM_AUTH_FAILED"


class UpstreamBadResponseError(UpstreamError):
    """The upstream answered with something we cannot read."""

    code = "UPSTREAM_BAD_RESPONSE"


class InternalError(SchoolgraphError):
    """Something failed inside schoolgraph; clients see only the code and MASKED_MESSAGE."""

    code = "INTERNAL"
