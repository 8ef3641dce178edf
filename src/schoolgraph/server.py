"""Run an aiohttp application on a TCP socket until asked to stop, then drain and close.

The address is bound before the app starts, so a port in use or a bad host fails before
anything (the demo's simulators, the upstream clients) starts or logs that it has.

On stop, the listening socket closes and requests in flight get the shutdown timeout, in
total, to finish. aiohttp's own timeout (``AppRunner(shutdown_timeout=...)``) cannot give
them that: it waits that long for the handlers, then only cancels their reading of the
request body and waits that long again before it drops the connections, without an answer,
so a request stuck on a hung upstream held the process for twice the setting. Here each
request still running at the timeout is cancelled where it waits and answered HTTP 503
``SHUTTING_DOWN``, so aiohttp's wait ends with it; aiohttp's timeout is only the backstop
for a handler that ignores cancellation (and for WebSockets, which the app closes itself).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from schoolgraph.errors import ShuttingDownError
from schoolgraph.middlewares import error_response

__all__ = ["GRACE", "ON_LISTENING", "serve_app", "stop_on_signals"]

ON_LISTENING = web.AppKey("on_listening", list[Callable[[URL], None]])
"""Callbacks the app itself wants called with its base URL once it listens (the demo
registers its webhook with the simulated Tanda)."""

GRACE = 1.0
"""Seconds the requests cut short at the shutdown timeout get to send their 503, before
aiohttp drops their connections."""

logger = logging.getLogger(__name__)


class _InFlight:
    """The requests being handled, so that a shutdown can cut short those still running.

    Its middleware is the innermost one: a request cut short looks, to every other
    middleware (the access log, metrics, the audit log), like a handler that answered 503.
    """

    def __init__(self) -> None:
        self._running: dict[asyncio.Task[object], web.Request] = {}
        self._cut: set[asyncio.Task[object]] = set()
        self._stopped_after: float | None = None
        self.cut_short = 0

    def cut(self, seconds: float) -> None:
        """Cancel every request still running; ``seconds`` is how long they were given."""
        self._stopped_after = seconds
        for task in self._running:
            if task not in self._cut:
                self._cut.add(task)
                self.cut_short += 1
                task.cancel()

    def _refusal(self) -> web.Response:
        return error_response(
            ShuttingDownError(
                "The server is shutting down and stopped this request after its shutdown "
                f"timeout of {self._stopped_after:g} seconds; send it again."
            )
        )

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            # The app closes its WebSockets itself when it shuts down (on_shutdown).
            return await handler(request)
        if self._stopped_after is not None:  # one more on a connection aiohttp is closing
            self.cut_short += 1
            return self._refusal()
        task = asyncio.current_task()
        if task is None:  # aiohttp runs every handler in a task of its own
            return await handler(request)
        self._running[task] = request
        try:
            return await handler(request)
        except asyncio.CancelledError:
            # Ours alone, and nothing sent yet: answer it. Otherwise it goes on as it came.
            if task not in self._cut or task.uncancel() > 0 or request.writer.output_size:
                raise
            return self._refusal()
        finally:
            del self._running[task]
            self._cut.discard(task)


def _listening_url(runner: web.AppRunner) -> URL:
    host, port = runner.addresses[0][:2]
    return URL.build(scheme="http", host=host, port=port)


class _BoundSite(web.BaseSite):
    """A site over sockets bound before the runner was set up; it listens once started."""

    __slots__ = ("_bound",)

    def __init__(self, runner: web.AppRunner, bound: asyncio.Server) -> None:
        super().__init__(runner)
        self._bound = bound

    @property
    def name(self) -> str:
        host, port = self._bound.sockets[0].getsockname()[:2]
        return str(URL.build(scheme="http", host=host, port=port))

    async def start(self) -> None:
        await super().start()
        self._server = self._bound
        await self._bound.start_serving()


async def _bind(runner: web.AppRunner, host: str, port: int) -> asyncio.Server:
    """Bind ``host:port`` as aiohttp's ``TCPSite`` would, every address of the host, without
    listening yet: connections are handed to the runner's server, which exists once set up."""

    def accept() -> asyncio.Protocol:
        server = runner.server
        if server is None:  # start_serving waits for the runner's setup; never reached
            raise RuntimeError("A connection was accepted before the app started.")
        return server()

    loop = asyncio.get_running_loop()
    return await loop.create_server(accept, host, port, backlog=128, start_serving=False)


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

    The address is bound before the app starts (its ``cleanup_ctx`` and ``on_startup``). On
    stop the listening socket closes first, in-flight requests get ``shutdown_timeout``
    seconds in all to finish, those still running are then cancelled and answered 503
    ``SHUTTING_DOWN``, and the app's ``cleanup_ctx`` unwinds.

    Args:
        app: The application; a middleware of this server's is appended to it.
        host: The address to bind.
        port: The port to bind; 0 lets the system choose.
        shutdown_timeout: Seconds in-flight requests get to finish after ``stop``.
        stop: Set it to begin the shutdown.
        on_listening: Called with the bound base URL (real port included) once listening.

    Raises:
        OSError: The address could not be bound; the app was not started.
    """
    in_flight = _InFlight()
    app.middlewares.append(in_flight.middleware)
    # The backstop only: requests end by the timeout (cut short if need be), and aiohttp
    # waits up to this twice over for a handler that ignores its cancellation.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout + GRACE)
    bound = await _bind(runner, host, port)
    try:
        await runner.setup()
    except BaseException:
        bound.close()
        raise
    cutting: asyncio.TimerHandle | None = None
    try:
        await _BoundSite(runner, bound).start()
        url = _listening_url(runner)
        for callback in app.get(ON_LISTENING, []):
            callback(url)
        if on_listening is not None:
            on_listening(url)
        await stop.wait()
        cutting = asyncio.get_running_loop().call_later(
            shutdown_timeout, in_flight.cut, shutdown_timeout
        )
    finally:
        bound.close()
        try:
            await runner.cleanup()
        finally:
            if cutting is not None:
                cutting.cancel()
    if in_flight.cut_short:
        logger.warning(
            "Stopped %d %s still running after the shutdown timeout of %g seconds (answered "
            "503 SHUTTING_DOWN).",
            in_flight.cut_short,
            "request" if in_flight.cut_short == 1 else "requests",
            shutdown_timeout,
            extra={"cut_short": in_flight.cut_short},
        )


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
