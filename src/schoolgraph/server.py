"""Run an aiohttp application on a TCP socket until asked to stop, then drain and close."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiohttp import web
from yarl import URL

__all__ = ["ON_LISTENING", "serve_app", "stop_on_signals"]

ON_LISTENING = web.AppKey("on_listening", list[Callable[[URL], None]])
"""Callbacks the app itself wants called with its base URL once it listens (the demo
registers its webhook with the simulated Tanda)."""

logger = logging.getLogger(__name__)


def _listening_url(runner: web.AppRunner) -> URL:
    host, port = runner.addresses[0][:2]
    return URL.build(scheme="http", host=host, port=port)


async def serve_app(
    app: web.Application,
    *,
    host: str,
    port: int,
    shutdown_timeout: float,
    stop: asyncio.Event,
    on_listening: Callable[[URL], None] | None = None,
) -> None:
    """Serve ``app`` on ``host:port`` until ``stop`` is set, then shut down gracefully.

    On stop the listening socket closes first, in-flight requests get ``shutdown_timeout``
    seconds to finish, and then the app's ``cleanup_ctx`` unwinds.

    Args:
        app: The application.
        host: The address to bind.
        port: The port to bind; 0 lets the system choose.
        shutdown_timeout: Seconds in-flight requests get to finish after ``stop``.
        stop: Set it to begin the shutdown.
        on_listening: Called with the bound base URL (real port included) once listening.

    Raises:
        OSError: The address could not be bound.
    """
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        url = _listening_url(runner)
        for callback in app.get(ON_LISTENING, []):
            callback(url)
        if on_listening is not None:
            on_listening(url)
        await stop.wait()
    finally:
        await runner.cleanup()


@contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT or SIGTERM while the block runs (on the running loop)."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def _received(signum: signal.Signals) -> None:
        logger.info("Received %s; shutting down gracefully.", signum.name)
        stop.set()

    for signum in signals:
        loop.add_signal_handler(signum, _received, signum)
    try:
        yield
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
