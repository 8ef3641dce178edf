"""The ``schoolgraph`` command line.

Each command is a pair of functions: ``add_<command>`` registers its sub-parser and sets
``handler``; the handler takes the parsed arguments and returns the exit code. To add a
command, write the pair and list the ``add_`` function in :data:`COMMANDS`.

Exit codes: 0 success, 1 a runtime failure (say, the port is taken), 2 bad arguments or
configuration. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TypeAlias

from yarl import URL

from schoolgraph._version import __version__
from schoolgraph.app import create_app
from schoolgraph.config import Settings, load_settings, parse_host, parse_port
from schoolgraph.errors import ConfigError
from schoolgraph.graph.schema import export_sdl
from schoolgraph.logs import configure_logging
from schoolgraph.server import serve_app, stop_on_signals

__all__ = ["COMMANDS", "main"]

PROG = "schoolgraph"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help').\n")


Subcommands: TypeAlias = "argparse._SubParsersAction[_Parser]"


def _fail(command: str, message: str) -> int:
    print(f"{command}: error: {message}", file=sys.stderr)
    return 1


# -- serve ------------------------------------------------------------------------------


def add_serve(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the GraphQL gateway",
        description="Run the GraphQL gateway until SIGINT or SIGTERM, then shut down "
        "gracefully. Flags override the SCHOOLGRAPH_* environment variables.",
    )
    parser.add_argument(
        "--host", type=lambda raw: parse_host("--host", raw), help="address to listen on"
    )
    parser.add_argument(
        "--port",
        type=lambda raw: parse_port("--port", raw),
        help="port to listen on; 0 picks a free one",
    )
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    settings = load_settings(os.environ, host=args.host, port=args.port)
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(_serve(settings))
    except OSError as exc:
        return _fail(
            f"{PROG} serve",
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}.",
        )
    return 0


async def _serve(settings: Settings) -> None:
    def announce(url: URL) -> None:
        what = "GraphiQL" if settings.introspection else "GraphQL"
        print(f"{PROG} {__version__} serving {what} at {url.with_path('/graphql')}", flush=True)

    stop = asyncio.Event()
    with stop_on_signals(stop):
        await serve_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            shutdown_timeout=settings.shutdown_timeout,
            stop=stop,
            on_listening=announce,
        )


# -- export-schema ----------------------------------------------------------------------


def add_export_schema(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "export-schema",
        help="print the GraphQL schema as SDL",
        description="Print the GraphQL schema as SDL, to stdout or to a file.",
    )
    parser.add_argument(
        "--output", type=Path, metavar="PATH", help="write the SDL to PATH instead of stdout"
    )
    parser.set_defaults(handler=export_schema)


def export_schema(args: argparse.Namespace) -> int:
    sdl = export_sdl()
    output: Path | None = args.output
    if output is None:
        sys.stdout.write(sdl)
        return 0
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(sdl, encoding="utf-8")
    except OSError as exc:
        return _fail(f"{PROG} export-schema", f"cannot write {output}: {exc.strerror or exc}.")
    return 0


# -- the command table --------------------------------------------------------------------
# A new command (``simulate``, say) is an ``add_<name>``/``<name>`` pair in a section like the
# ones above, listed here.

COMMANDS: tuple[Callable[[Subcommands], None], ...] = (add_serve, add_export_schema)
"""Every command's ``add_`` function, in the order ``--help`` lists them."""


def build_parser() -> _Parser:
    parser = _Parser(prog=PROG, description="One GraphQL graph over Tanda, Xporter and TASS.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True)
    for add_command in COMMANDS:
        add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``schoolgraph`` command line; returns the process exit code."""
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Only before the server installs its own SIGINT handler, or after it removed it.
        return 130
