"""`create_tass_app`: both TASS faces, the admin surface and the `/__sim/` control plane."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from aiohttp import web

from ..control import SimControl, WorldHolder
from .admin import install_admin
from .api2026 import audit_middleware, install_api2026, problem
from .legacy import install_legacy, legacy_error_body
from .state import STATE, TassConfig, TassState
from .store import DataStore

__all__ = ["create_tass_app", "tass_error_response"]

_FACE: ContextVar[str] = ContextVar("tass_face", default="api")


@web.middleware
async def _face_marker(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Remember which face a request is for, so an injected fault speaks its error shape."""
    token = _FACE.set("legacy" if request.path.startswith("/tassweb/") else "api")
    try:
        return await handler(request)
    finally:
        _FACE.reset(token)


def tass_error_response(status: int, message: str) -> web.Response:
    """Render an injected fault: the legacy envelope on `/tassweb/`, problem details elsewhere.

    Args:
        status: the HTTP status to answer.
        message: the error message.
    """
    if _FACE.get() == "legacy":
        return web.json_response(legacy_error_body(message), status=status)
    headers = {"Retry-After": "60"} if status == 429 else {}
    return problem(status, message, headers=headers)


def create_tass_app(
    holder: WorldHolder,
    *,
    control: SimControl | None = None,
    config: TassConfig | None = None,
) -> web.Application:
    """Build the TASS simulator: the 2026 API under `/api`, the legacy API under
    `/tassweb/api/`, the admin screens under `/sim/` and the control plane under `/__sim/`.

    Args:
        holder: the shared world holder.
        control: a control plane built with `tass_error_response`; one is made if omitted.
        config: switches for DOC-SILENT behaviour; defaults to `TassConfig()`.

    Returns:
        The aiohttp application; its state is at `app[STATE]`.
    """
    control = control or SimControl("tass", holder, error_response=tass_error_response)
    state = TassState(DataStore(lambda: control.world), control, config or TassConfig())
    state.seed_accounts()
    control.on_reset(state.reset)
    app = web.Application(middlewares=[audit_middleware])
    app[STATE] = state
    install_api2026(app)
    install_legacy(app)
    install_admin(app)
    control.install(app)
    app.middlewares.insert(0, _face_marker)
    return app
