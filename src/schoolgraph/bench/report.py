"""The bench's figures as tables for a terminal, and its targets (issue 8) checked.

:func:`render` turns what :func:`schoolgraph.bench.runner.run_bench` returned into text;
:func:`targets` says which of the issue's targets hold. Both read the JSON-ready result
only, so a saved ``--json`` file can be rendered again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Target", "render", "targets"]

MAIN = "gateway"
BASELINES = ("no-answers", "no-batching", "no-cache")
EXECUTED = "no-answers"
"""The gateway that executes every operation: what the big list is compared with."""


@dataclass(frozen=True, slots=True)
class Target:
    """One target of the issue: whether it holds (None: not measured), and the figures."""

    name: str
    holds: bool | None
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "holds": self.holds, "detail": self.detail}


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Columns padded to fit; the first left-aligned, the others right-aligned."""
    cells = [[str(cell) for cell in row] for row in (header, *rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    return [line(cells[0]), "  ".join("-" * width for width in widths), *map(line, cells[1:])]


def _get(result: dict[str, Any], config: str, query: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = result["configs"].get(config, {}).get("queries", {}).get(query)
    return found


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def execution_ms(result: dict[str, Any], query: str) -> float | None:
    """What executing ``query`` costs the gateway with its data in memory: the
    ``no-answers`` gateway's warm p50 with one client (None when not measured)."""
    executed = _get(result, EXECUTED, query)
    if not executed or "warm" not in executed:
        return None
    run = executed["warm"]["runs"].get("1")
    return None if run is None else float(run["p50_ms"])


def floor_ratio(result: dict[str, Any], query: str) -> float | None:
    """Cold latency over the critical path if the gateway did nothing but wait for the
    critical path and then execute the answer (its warm execution time): what an executor
    of this speed cannot go below once the last call's data is needed everywhere."""
    figures = _get(result, MAIN, query)
    executing = execution_ms(result, query)
    if not figures or executing is None or not figures["cold"]["critical_path_ms"]:
        return None
    critical = float(figures["cold"]["critical_path_ms"])
    return (critical + executing) / critical


def targets(result: dict[str, Any]) -> list[Target]:
    """The issue's targets, checked against ``result``."""
    out: list[Target] = []
    dashboard = _get(result, MAIN, "dashboard")
    year = _get(result, MAIN, "dashboard-year")
    if dashboard and year:
        same = dashboard["cold"]["requests"] == year["cold"]["requests"]
        out.append(
            Target(
                "upstream requests independent of row count",
                same,
                f"school dashboard {dashboard['rows']:,} rows: {dashboard['cold']['requests']} "
                f"requests; one year's groups, {year['rows']:,} rows: "
                f"{year['cold']['requests']}",
            )
        )
    naive = _get(result, "no-batching", "dashboard")
    if dashboard and naive:
        ratio = naive["cold"]["requests"] / max(1, dashboard["cold"]["requests"])
        out.append(
            Target(
                "school dashboard: >= 100x fewer requests than --no-batching",
                ratio >= 100,
                f"{naive['cold']['requests']} / {dashboard['cold']['requests']} = {ratio:.1f}x",
            )
        )
    ratios = {
        name: figures["cold"]["ratio"]
        for name, figures in result["configs"].get(MAIN, {}).get("queries", {}).items()
        if figures["cold"]["ratio"] is not None
        and name in result.get("titles", {})
        and not name.endswith("-year")
    }
    if ratios:
        floors = {name: floor_ratio(result, name) for name in ratios}
        known = {name: floor for name, floor in floors.items() if floor is not None}
        out.append(
            Target(
                "cold latency <= 1.2 x critical path",
                all(ratio <= 1.2 for ratio in ratios.values()),
                ", ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items())
                + (
                    "; critical path then executing the answer warm would be "
                    + ", ".join(f"{name} {floor:.2f}" for name, floor in known.items())
                    if known
                    else ""
                ),
            )
        )
    trivial = result["configs"].get(MAIN, {}).get("trivial")
    if dashboard and trivial and "warm" in dashboard:
        runs = dashboard["warm"]["runs"]
        shares = {
            clients: runs[clients]["rps"] / trivial[clients]["rps"]
            for clients in runs
            if clients in trivial and trivial[clients]["rps"]
        }
        out.append(
            Target(
                "warm school dashboard >= 0.5 x the requests/s of { __typename }",
                all(share >= 0.5 for share in shares.values()),
                ", ".join(
                    f"x{clients}: {runs[clients]['rps']:,.1f} vs {trivial[clients]['rps']:,.0f}"
                    f" = {share:.3f}"
                    for clients, share in shares.items()
                ),
            )
        )
    # Executed, not served from the answer cache: the comparison is of executing the list,
    # so without the no-answers run it is not measured (a kept answer would pass it at 0.02x).
    executed = EXECUTED
    big = _get(result, executed, "big-list")
    reference = result.get("reference")
    if reference and not (big and "warm" in big) and _get(result, MAIN, "big-list"):
        out.append(
            Target(
                "big list <= 2 x graphql-core from memory",
                None,
                f"not measured: it compares executing the list, which needs the {EXECUTED} "
                f"baseline (drop --no-baselines, or add --{EXECUTED})",
            )
        )
    elif big and reference and "warm" in big:
        p50 = big["warm"]["runs"].get("1", next(iter(big["warm"]["runs"].values())))["p50_ms"]
        ratio = p50 / reference["ms"]
        out.append(
            Target(
                "big list <= 2 x graphql-core from memory",
                ratio <= 2,
                f"{executed} p50 {p50:,.1f} ms (one client, over HTTP) vs graphql-core "
                f"{reference['ms']:,.1f} ms (parse, validate, execute, encode) = {ratio:.2f}x",
            )
        )
    found = result["configs"].get(MAIN, {})
    rss = found.get("peak_rss_mb")
    executed_peak = result["configs"].get(EXECUTED, {}).get("peak_rss_mb")
    if rss is not None:
        clients = max(result["options"]["concurrency"])
        out.append(
            Target(
                "peak RSS < 300 MB with the dataset cached",
                rss < 300,
                f"peak {rss:,.0f} MB serving up to {clients} requests at once; "
                f"{_num(found.get('rss_mb'))} MB at rest with every query's data cached"
                + (
                    f"; executing every request ({EXECUTED}): peak {_num(executed_peak)} MB"
                    if executed_peak is not None
                    else ""
                ),
            )
        )
    return out


def _cold_time(main: dict[str, Any], names: Sequence[str]) -> list[str]:
    """Where each query's cold time went, from the run its critical path is taken from."""
    rows = []
    for name in names:
        cold = main["queries"][name]["cold"]
        spent = cold.get("cold_time_ms")
        if not spent:
            continue
        run_ms = cold.get("cold_time_run_ms", cold["ms"])
        gateway = spent["before"] + spent["between"] + spent["after"]
        rows.append(
            [
                name,
                _num(run_ms),
                _num(spent["chain"]),
                _num(spent["before"]),
                _num(spent["between"]),
                _num(spent["other"]),
                _num(spent["after"]),
                f"{gateway / run_ms:.0%}" if run_ms else "-",
            ]
        )
    if not rows:
        return []
    return [
        "",
        "Where the cold time went (ms; the run the critical path is taken from): chain is the",
        "upstreams serving the critical path; before, from sending the request to its first",
        "call; between, the chain's gaps (an answer in, the call waiting for it not yet asked",
        "for: the gateway busy with that answer or others); other, reads still under way after",
        "the chain's last answer; after, from the last answer to the client having its answer",
        "(executing, encoding, sending). gateway is (before + between + after) / cold",
        *_table(["query", "cold", "chain", "before", "between", "other", "after", "gateway"], rows),
    ]


def _steady(steady: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The steady runs (`schoolgraph.bench.steady`): one row per query and way of
    revalidating."""
    runs = [run for found in steady.values() for run in found]
    if not runs:
        return []
    first = runs[0]
    lines = [
        "",
        f"Steady traffic: one client, {first['requests']} requests {first['step_s']:g} s apart "
        "on the gateway's clock, on a fresh gateway",
        "whose upstream cache revalidates ahead (the fraction of each entry's freshness), "
        "or only once a request finds an entry stale (off);",
        "executed is the requests not served a kept answer, upstream req what the run asked "
        "the upstreams",
    ]
    rows = [
        [
            name if index == 0 else "",
            f"{run['refresh_ahead']:g}" if run["refresh_ahead"] else "off",
            _num(run["p50_ms"], 1),
            _num(run["p95_ms"], 1),
            _num(run["max_ms"], 1),
            run["executed"],
            run["upstream_requests"],
        ]
        for name, found in steady.items()
        for index, run in enumerate(found)
    ]
    return lines + _table(
        ["query", "ahead", "p50 ms", "p95 ms", "max ms", "executed", "upstream req"], rows
    )


def render(result: dict[str, Any]) -> str:
    """The figures as text: upstream requests and cold latency, warm runs, cache, targets."""
    options = result["options"]
    machine = result["machine"]
    main = result["configs"][MAIN]
    names = list(main["queries"])
    baselines = [name for name in BASELINES if name in result["configs"]]
    lines = [
        f"schoolgraph bench: scale {options['scale']} (seed {options['seed']}), "
        f"{options['latency_ms']:g} ms injected upstream latency, {options['duration']:g} s per "
        f"warm run; {machine['cpus']} CPUs, Python {machine['python']}",
        "",
        "Upstream requests and cold latency (a fresh gateway: empty cache, no tokens; "
        f"the gateway's cold figures are medians of {options.get('cold_runs', 1)} runs)",
    ]
    rows = []
    for name in names:
        figures = main["queries"][name]
        cold = figures["cold"]
        rows.append(
            [
                name,
                _num(figures["rows"]),
                cold["requests"],
                figures["warm_requests"],
                *(
                    _num((_get(result, baseline, name) or {}).get("cold", {}).get("requests"))
                    for baseline in baselines
                ),
                _num(cold["ms"]),
                _num(cold["critical_path_ms"]),
                _num(cold.get("critical_path_injected_ms")),
                cold["critical_path_calls"],
                _num(cold["ratio"], 2),
                _num(cold.get("gateway_cpu_ms")),
                _num(execution_ms(result, name)),
                _num(floor_ratio(result, name), 2),
            ]
        )
    lines += _table(
        [
            "query",
            "rows",
            "cold req",
            "warm req",
            *(f"{baseline} req" for baseline in baselines),
            "cold ms",
            "critical ms",
            "injected ms",
            "calls",
            "ratio",
            "cpu ms",
            "exec ms",
            "floor",
        ],
        rows,
    )
    lines += [
        "",
        "Critical paths (longest chain of dependent upstream calls, cold; critical ms is the",
        "time the upstreams took to serve the chain, injected ms its injected latency alone;",
        "cpu ms is the gateway's CPU time answering the cold request; exec ms is executing",
        f"the answer with its data in memory ({EXECUTED} warm p50, one client); floor is",
        "(critical ms + exec ms) / critical ms: the ratio if the gateway only waited for the",
        "chain and then executed)",
    ]
    lines += [f"  {name}: {main['queries'][name]['cold']['critical_path']}" for name in names]
    lines += _cold_time(main, names)
    runs = {name: main["queries"][name]["cold"].get("runs") for name in names}
    if any(runs.values()):
        lines += ["", "Cold runs of the gateway (ms, ratio to the critical path)"]
        lines += [
            f"  {name}: " + ", ".join(f"{_num(r['ms'])} ({_num(r['ratio'], 2)})" for r in found)
            for name, found in runs.items()
            if found
        ]
    threshold = options.get("gc_threshold")
    if threshold is not None:
        tuned = (
            f"threshold {threshold:,}, start-up frozen, collected between requests"
            if threshold
            else "Python's defaults"
        )
        lines.append(f"Garbage collector of the gateway's process: {tuned}")
    simulators = result.get("simulator_collectors") or {}
    if simulators:
        lines.append(
            "Garbage collector of each simulator's process: "
            + ", ".join(
                f"{name} threshold {found['threshold']:,}, {found['frozen']:,} world objects frozen"
                for name, found in simulators.items()
            )
        )
    arenas = options.get("malloc_arenas")
    if arenas is not None:
        limit = f"at most {arenas}" if arenas else "glibc's default"
        lines.append(f"Malloc arenas of the gateway's process: {limit}")

    clients = [str(n) for n in options["concurrency"]]
    lines += ["", "Warm: latency (ms) and throughput (requests/s) per number of clients"]
    rows = []
    for name in [*names, "trivial"]:
        runs = (
            main["trivial"]
            if name == "trivial"
            else main["queries"][name].get("warm", {}).get("runs")
        )
        if not runs:
            continue
        for n in clients:
            run = runs[n]
            baseline_rps = []
            for baseline in baselines:
                found = result["configs"][baseline]
                other = (
                    found.get("trivial")
                    if name == "trivial"
                    else (found["queries"].get(name) or {}).get("warm", {}).get("runs")
                )
                baseline_rps.append(_num((other or {}).get(n, {}).get("rps"), 1))
            rows.append(
                [
                    name if n == clients[0] else "",
                    n,
                    _num(run["p50_ms"], 1),
                    _num(run["p95_ms"], 1),
                    _num(run["p99_ms"], 1),
                    _num(run["rps"], 1),
                    *baseline_rps,
                ]
            )
    lines += _table(
        ["query", "clients", "p50", "p95", "p99", "req/s", *(f"{b} req/s" for b in baselines)],
        rows,
    )

    lines += ["", "Caches during the warm runs (gateway): answers, then upstream entries"]
    rows = []
    for name in names:
        warm = main["queries"][name].get("warm")
        if warm is None:
            continue
        cache = warm["cache"]
        answers = warm.get("answers", {})
        rows.append(
            [
                name,
                _num(answers.get("hits")),
                _num(answers.get("misses")),
                _num(answers.get("invalidations")),
                _num(cache["hits"]),
                _num(cache["revalidated"]),
                _num(cache["not_modified"]),
                _num(cache["misses"]),
                _num(cache["upstream_requests"]),
            ]
        )
    lines += _table(
        [
            "query",
            "answer hits",
            "answer misses",
            "invalidated",
            "hits",
            "revalidated",
            "304",
            "misses",
            "upstream req",
        ],
        rows,
    )
    lines += _steady(result.get("steady") or {})
    lines += [
        "",
        f"Memory: peak RSS {main['peak_rss_mb']:,.0f} MB (every query's data cached, up to "
        f"{max(options['concurrency'])} requests at once); {_num(main.get('rss_mb'))} MB at rest "
        f"after the warm runs; the upstream cache held {main['cache_entries']:,} entries "
        f"({main['cache_mb']:,.1f} MB of upstream bodies), the answer cache "
        f"{main.get('answer_entries', 0):,} answers ({main.get('answer_mb', 0.0):,.1f} MB)",
    ]
    executed = result["configs"].get(EXECUTED)
    if executed is not None:
        lines.append(
            f"Executing every request ({EXECUTED}, at most {options.get('max_operations', '-')} "
            f"operations at once): peak RSS {executed['peak_rss_mb']:,.0f} MB, "
            f"{_num(executed.get('rss_mb'))} MB at rest"
        )
    reference = result.get("reference")
    if reference:
        lines.append(
            f"graphql-core, the big list from memory: {reference['ms']:,.1f} ms "
            f"(execution alone {reference['execute_ms']:,.1f} ms; median of {reference['runs']})"
        )
    lines += ["", "Targets"]
    for target in targets(result):
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[target.holds]
        lines.append(f"  {mark}  {target.name}: {target.detail}")
    lines.append(f"\n({result['seconds']:,.0f} s)")
    return "\n".join(lines)
