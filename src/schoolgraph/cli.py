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
from typing import Any, NoReturn, TypeAlias

from yarl import URL

from schoolgraph._version import __version__
from schoolgraph.accounts.cli import add_accounts, add_grants, add_keys, with_data_dir
from schoolgraph.allocator import DEFAULT_ARENAS, limit_arenas
from schoolgraph.app import RUNTIME, create_app
from schoolgraph.audit.cli import add_audit
from schoolgraph.collector import DEFAULT_THRESHOLD, collect_between_requests, tune_collector
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
    settings = with_data_dir(load_settings(os.environ, host=args.host, port=args.port))
    configure_logging(settings.log_level, settings.log_format)
    limit_arenas(settings.malloc_arenas)  # before any worker thread exists
    try:
        asyncio.run(_serve(settings))
    except OSError as exc:
        return _fail(
            f"{PROG} serve",
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}.",
        )
    return 0


async def _serve(settings: Settings) -> None:
    app = create_app(settings)

    def announce(url: URL) -> None:
        what = "GraphiQL" if settings.introspection else "GraphQL"
        lines = [f"{PROG} {__version__} serving {what} at {url.with_path('/graphql')}"]
        runtime = app[RUNTIME]
        if runtime.simulators is not None:
            lines += _demo_text(runtime.simulators.describe())
        else:
            lines += _upstreams_text(runtime.settings)
        lines.append(_access_text(settings))
        print("\n".join(lines), flush=True)

    collecting: list[asyncio.Task[None]] = []

    def listening(url: URL) -> None:
        announce(url)
        # Start-up is over (in demo mode the simulated world is built): freeze it, and
        # collect between requests from now on.
        if tune_collector(settings.gc_threshold):
            collecting.append(
                asyncio.get_running_loop().create_task(
                    collect_between_requests(settings.gc_threshold)
                )
            )

    stop = asyncio.Event()
    try:
        with stop_on_signals(stop):
            await serve_app(
                app,
                host=settings.host,
                port=settings.port,
                shutdown_timeout=settings.shutdown_timeout,
                stop=stop,
                on_listening=listening,
            )
    finally:
        for task in collecting:
            task.cancel()


def _demo_text(d: dict[str, Any]) -> list[str]:
    """What a developer needs to poke the demo's simulators directly; the first line of
    ``serve`` output stays the GraphQL URL."""
    tanda, xporter, tass = d["tanda"], d["xporter"], d["tass"]
    admin = tanda["admin"]
    return [
        f"demo mode: simulators in-process (seed {d['seed']}, scale {d['scale']}, "
        f"today {d['today']}); set SCHOOLGRAPH_*_URL to use real upstreams",
        f"  Tanda    {tanda['url']}  admin {admin['email']} / {admin['password']}",
        f"  Xporter  {xporter['url']}  relyingParty {xporter['relying_party']}",
        *(f"           estab {s['estab']} secret {s['secret']}" for s in xporter["schools"]),
        f"  TASS     {tass['url']}  client key {tass['client_key']} secret {tass['client_secret']}",
        "           companies " + ", ".join(c["code"] for c in tass["companies"]),
    ]


def _access_text(settings: Settings) -> str:
    """Whether GraphQL needs a token: said out loud, since anonymous access grants everything."""
    if settings.anonymous_allowed:
        return (
            "access: ANONYMOUS ACCESS IS ON: requests without a token read and write every "
            "school's data; SCHOOLGRAPH_ANONYMOUS=false requires tokens (POST /auth/token)"
        )
    return (
        f"access: a bearer token is required (POST /auth/token); accounts in "
        f"{settings.accounts_db or 'memory'}"
    )


def _upstreams_text(settings: Settings) -> list[str]:
    """Which upstreams the gateway reads, without a credential in sight."""
    tanda, xporter, tass = settings.tanda, settings.xporter, settings.tass
    described = {
        "Tanda": tanda and f"{tanda.base_url}  ({tanda.grant.replace('_', '-')} grant)",
        "Xporter": xporter
        and f"{xporter.base_url}  (schools {', '.join(s.estab for s in xporter.schools)})",
        "TASS": tass
        and f"{tass.base_url}  (companies "
        + ", ".join(c.code if c.api == "2026" else f"{c.code} legacy" for c in tass.companies)
        + ")",
    }
    return [
        f"{settings.mode.value} mode:",
        *(f"  {name:<8} {text or 'not configured'}" for name, text in described.items()),
    ]


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


# -- simulate ---------------------------------------------------------------------------


def _port_flag(name: str) -> Callable[[str], int]:
    return lambda raw: parse_port(name, raw)


def _seed(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be an integer, got {raw!r}") from None


def add_simulate(commands: Subcommands) -> None:
    from schoolgraph.simulators.dataset import SCALES

    parser = commands.add_parser(
        "simulate",
        help="run the Tanda, Xporter and TASS simulators",
        description="Serve simulators of Tanda, Xporter on Demand and TASS over one seeded "
        "world, print their base URLs and demo credentials, and run until SIGINT or SIGTERM.",
    )
    parser.add_argument("--scale", choices=SCALES, default="demo", help="world size (demo)")
    parser.add_argument("--seed", type=_seed, default=7, help="world seed (7)")
    parser.add_argument(
        "--host",
        type=lambda raw: parse_host("--host", raw),
        default="127.0.0.1",
        help="address to listen on (127.0.0.1)",
    )
    for name, default in (("tanda", 8101), ("xporter", 8102), ("tass", 8103)):
        parser.add_argument(
            f"--{name}-port",
            type=_port_flag(f"--{name}-port"),
            default=default,
            help=f"{name} port ({default}; 0 picks a free one)",
        )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print URLs and credentials as one JSON object on the first line of output",
    )
    parser.set_defaults(handler=simulate)


def simulate(args: argparse.Namespace) -> int:
    try:
        asyncio.run(_simulate(args))
    except OSError as exc:
        return _fail(f"{PROG} simulate", f"cannot listen on {args.host}: {exc.strerror or exc}.")
    return 0


async def _simulate(args: argparse.Namespace) -> None:
    import json

    from schoolgraph.simulators.stack import start_simulators

    stack = await start_simulators(
        seed=args.seed,
        scale=args.scale,
        host=args.host,
        ports={"tanda": args.tanda_port, "xporter": args.xporter_port, "tass": args.tass_port},
    )
    try:
        described = stack.describe()
        if args.json:
            print(json.dumps(described, separators=(",", ":")), flush=True)
        else:
            print(_describe_text(described), flush=True)
        stop = asyncio.Event()
        with stop_on_signals(stop):
            await stop.wait()
    finally:
        await stack.close()


def _describe_text(d: dict[str, Any]) -> str:
    tanda, xporter, tass = d["tanda"], d["xporter"], d["tass"]
    lines = [
        f"{PROG} simulators: seed {d['seed']}, scale {d['scale']}, today {d['today']}",
        f"  Tanda    {tanda['api_base']}  (OAuth: {tanda['token_url']})",
        f"           admin    {tanda['admin']['email']} / {tanda['admin']['password']}",
        *(
            f"           {role:<8} {tanda[role]['email']} / {tanda[role]['password']}"
            for role in ("manager", "employee")
            if tanda.get(role)
        ),
        f"           OAuth client id {tanda['oauth_client']['client_id']}  "
        f"secret {tanda['oauth_client']['client_secret']}",
        f"  Xporter  {xporter['url']}/api/v1/School/{{estab}}/...  (token: {xporter['token_url']})",
        f"           relyingParty {xporter['relying_party']}  "
        f"thirdpartyid {xporter['third_party_id']}",
    ]
    lines += [
        f"           estab {s['estab']} ({s['name']})  school secret {s['secret']}"
        for s in xporter["schools"]
    ]
    lines += [
        f"  TASS     {tass['url']}/api  (token: POST {tass['url']}/api/users)",
        f"           client key {tass['client_key']}  secret {tass['client_secret']}",
        "           companies "
        + ", ".join(f"{c['code']} {c['name']}".strip() for c in tass["companies"]),
        f"           legacy {tass['url']}/tassweb/api/  appcode {tass['legacy']['appcode']}  "
        f"token key {tass['legacy']['token_key']}",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)


# -- bench ------------------------------------------------------------------------------


def _positive_float(name: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"{name} must be a positive number, got {raw!r}")
        return value

    return parse


def _whole_number(name: str, least: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            value = least - 1
        if value < least:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, {least} or more, got {raw!r}"
            )
        return value

    return parse


def _positive_int(name: str) -> Callable[[str], int]:
    return _whole_number(name, 1)


def _non_negative_int(name: str) -> Callable[[str], int]:
    return _whole_number(name, 0)


def _client_counts(raw: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in raw.split(","))
    except ValueError:
        counts = ()
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(
            f"--clients must be client counts separated by commas, e.g. 1,8,32; got {raw!r}"
        )
    return counts


def add_bench(commands: Subcommands) -> None:
    from schoolgraph.bench.queries import QUERIES
    from schoolgraph.simulators.dataset import SCALES

    parser = commands.add_parser(
        "bench",
        help="measure upstream requests, latency and throughput against simulators",
        description="Start the simulators with injected upstream latency and a gateway over "
        "them, run the bench queries cold and warm, and print upstream requests, cold latency "
        "against the critical path, warm latency and requests/s, cache use and peak RSS, "
        "beside the --no-answers, --no-batching and --no-cache baselines (all unless one is "
        "named).",
    )
    parser.add_argument("--scale", choices=SCALES, default="large", help="world size (large)")
    parser.add_argument("--seed", type=_seed, default=7, help="world seed (7)")
    parser.add_argument(
        "--latency-ms",
        type=_positive_float("--latency-ms"),
        default=20.0,
        help="latency injected into every upstream request (20)",
    )
    parser.add_argument(
        "--duration",
        type=_positive_float("--duration"),
        default=3.0,
        help="seconds of each warm run (3)",
    )
    parser.add_argument(
        "--clients", type=_client_counts, default=(1, 8, 32), help="concurrent clients (1,8,32)"
    )
    parser.add_argument(
        "--query",
        action="append",
        choices=[query.name for query in QUERIES],
        help="run only this query (repeatable)",
    )
    parser.add_argument(
        "--cold-runs",
        type=_positive_int("--cold-runs"),
        default=5,
        help="cold runs of each query on the gateway; figures are their medians (5)",
    )
    parser.add_argument(
        "--gc-threshold",
        type=_non_negative_int("--gc-threshold"),
        default=DEFAULT_THRESHOLD,
        help="the garbage-collector tuning serve applies, as SCHOOLGRAPH_GC_THRESHOLD "
        f"({DEFAULT_THRESHOLD}; 0 leaves Python's)",
    )
    parser.add_argument(
        "--malloc-arenas",
        type=_non_negative_int("--malloc-arenas"),
        default=DEFAULT_ARENAS,
        help="the malloc arena limit serve applies, as SCHOOLGRAPH_MALLOC_ARENAS "
        f"({DEFAULT_ARENAS}; 0 leaves glibc's)",
    )
    parser.add_argument(
        "--steady-steps",
        type=_non_negative_int("--steady-steps"),
        default=60,
        help="requests of each steady-traffic run (dashboard, roster-week); 0 skips them (60)",
    )
    parser.add_argument(
        "--steady-step",
        type=_positive_float("--steady-step"),
        default=10.0,
        help="seconds of the gateway's clock between two steady requests (10)",
    )
    parser.add_argument("--no-answers", action="store_true", help="run this baseline")
    parser.add_argument("--no-batching", action="store_true", help="run this baseline")
    parser.add_argument("--no-cache", action="store_true", help="run this baseline")
    parser.add_argument(
        "--no-baselines", action="store_true", help="run the gateway alone, no baseline"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("schoolgraph-bench.json"),
        metavar="PATH",
        help="where to write every figure as JSON (schoolgraph-bench.json)",
    )
    parser.set_defaults(handler=bench)


def bench(args: argparse.Namespace) -> int:
    import json

    from schoolgraph.bench.report import render, targets
    from schoolgraph.bench.runner import Options, run_bench

    named = tuple(
        name
        for name, wanted in (
            ("no-answers", args.no_answers),
            ("no-batching", args.no_batching),
            ("no-cache", args.no_cache),
        )
        if wanted
    )
    baselines = () if args.no_baselines else named or ("no-answers", "no-batching", "no-cache")
    limited = limit_arenas(args.malloc_arenas)  # as serve does, before the bench's threads
    options = Options(
        scale=args.scale,
        seed=args.seed,
        latency_ms=args.latency_ms,
        duration=args.duration,
        concurrency=args.clients,
        baselines=baselines,
        queries=tuple(args.query or ()),
        cold_runs=args.cold_runs,
        gc_threshold=args.gc_threshold,
        malloc_arenas=args.malloc_arenas if limited else 0,
        steady_steps=args.steady_steps,
        steady_step=args.steady_step,
    )

    def progress(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    try:
        result = asyncio.run(run_bench(options, progress))
    except (OSError, RuntimeError) as exc:
        return _fail(f"{PROG} bench", str(exc))
    result["targets"] = [target.as_json() for target in targets(result)]
    print(render(result), flush=True)
    try:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        return _fail(f"{PROG} bench", f"cannot write {args.json}: {exc.strerror or exc}.")
    print(f"figures written to {args.json}")
    return 0


# -- the command table --------------------------------------------------------------------
# A new command is an ``add_<name>``/``<name>`` pair in a section like the ones above,
# listed here.

COMMANDS: tuple[Callable[[Subcommands], None], ...] = (
    add_serve,
    add_simulate,
    add_export_schema,
    add_bench,
    add_accounts,
    add_keys,
    add_grants,
    add_audit,
)
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
