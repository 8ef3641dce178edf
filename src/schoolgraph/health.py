"""Liveness (``/healthz``) and readiness (``/readyz``) with a registry of readiness checks.

A readiness check is an async callable that returns when its dependency is usable and raises
when it is not. Components register theirs on the app at start-up::

    app[READINESS_CHECKS].add("tanda", tanda_client.check)

A check may also have a detail: a plain function whose mapping is added to the check's
result whether it passes or fails (an upstream's circuit state and recent calls, say)::

    app[READINESS_CHECKS].detail("tanda", describe_tanda)
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from schoolgraph.errors import SchoolgraphError, UpstreamRateLimitedError
from schoolgraph.middlewares import REQUEST_ID, json_dumps_compact

__all__ = [
    "READINESS_CHECKS",
    "CheckDetail",
    "CheckResult",
    "ReadinessCheck",
    "ReadinessChecks",
    "healthz",
    "readyz",
]

ReadinessCheck = Callable[[], Awaitable[None]]
CheckDetail = Callable[[], Mapping[str, object]]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one readiness check."""

    name: str
    ok: bool
    code: str | None = None
    message: str | None = None
    detail: Mapping[str, object] | None = None
    required: bool = True
    limited: bool = False
    """The dependency answered, but with its rate limit: it is up, and every replica shares
    its quota, so taking this one out of rotation would only move the load (``degraded``)."""

    def to_json(self) -> dict[str, object]:
        if self.ok:
            outcome: dict[str, object] = {"status": "ok"}
        else:
            status = "limited" if self.limited else "fail"
            outcome = {"status": status, "code": self.code, "message": self.message}
        if not self.required:
            outcome["required"] = False
        return outcome | dict(self.detail or {})


class ReadinessChecks:
    """The named readiness checks of one app, run concurrently by ``/readyz``.

    Args:
        timeout: Seconds each check may take before it counts as failed.
    """

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._checks: dict[str, ReadinessCheck] = {}
        self._details: dict[str, CheckDetail] = {}
        self._optional: set[str] = set()

    def add(self, name: str, check: ReadinessCheck, *, required: bool = True) -> None:
        """Register ``check`` under ``name``; names are unique.

        Args:
            name: The check's name in the ``/readyz`` body.
            check: Returns when its dependency is usable, raises when it is not.
            required: Whether ``/readyz`` fails when this check does; a check that is not
                makes it ``degraded`` (HTTP 200) instead.
        """
        if name in self._checks:
            raise ValueError(f"A readiness check named {name!r} is already registered.")
        self._checks[name] = check
        if not required:
            self._optional.add(name)

    def detail(self, name: str, describe: CheckDetail) -> None:
        """Add ``describe()``'s mapping to every result of the check named ``name``."""
        if name not in self._checks:
            raise ValueError(f"There is no readiness check named {name!r} to describe.")
        self._details[name] = describe

    async def run(self, request_id: str | None = None) -> list[CheckResult]:
        """Run every check at once; one result per check, in registration order."""
        return list(
            await asyncio.gather(
                *(self._run_one(name, check, request_id) for name, check in self._checks.items())
            )
        )

    async def _run_one(
        self, name: str, check: ReadinessCheck, request_id: str | None
    ) -> CheckResult:
        result = await self._outcome(name, check, request_id)
        describe = self._details.get(name)
        return dataclasses.replace(
            result,
            required=name not in self._optional,
            detail=describe() if describe is not None else None,
        )

    async def _outcome(
        self, name: str, check: ReadinessCheck, request_id: str | None
    ) -> CheckResult:
        try:
            async with asyncio.timeout(self.timeout):
                await check()
        except SchoolgraphError as error:
            limited = isinstance(error, UpstreamRateLimitedError)
            return CheckResult(
                name, ok=False, code=error.code, message=error.message, limited=limited
            )
        except TimeoutError:
            return CheckResult(
                name,
                ok=False,
                code="CHECK_TIMEOUT",
                message=f"The check did not finish within {self.timeout:g} seconds.",
            )
        except Exception:
            logger.exception(
                "Readiness check %r failed unexpectedly.", name, extra={"request_id": request_id}
            )
            return CheckResult(
                name, ok=False, code="INTERNAL", message="The check failed unexpectedly."
            )
        return CheckResult(name, ok=True)


READINESS_CHECKS = web.AppKey("readiness_checks", ReadinessChecks)


async def healthz(request: web.Request) -> web.Response:
    """200 while the process can answer HTTP at all."""
    return web.json_response({"status": "ok"}, dumps=json_dumps_compact)


async def readyz(request: web.Request) -> web.Response:
    """200 when every required readiness check passes, else 503; the body has each result.

    The body's ``status`` is ``ok`` when every check passes, ``degraded`` when only checks that
    are not required fail or a dependency is rate-limiting (``limited``), else ``fail``.
    """
    results = await request.app[READINESS_CHECKS].run(request.get(REQUEST_ID))
    ready = all(result.ok or result.limited for result in results if result.required)
    degraded = ready and not all(result.ok for result in results)
    body = {
        "status": "degraded" if degraded else "ok" if ready else "fail",
        "checks": {result.name: result.to_json() for result in results},
    }
    return web.json_response(body, status=200 if ready else 503, dumps=json_dumps_compact)
