"""The bench harness at small scale: it runs, its figures are sane, batching shows.

One run of the bench (the gateway, the ``no-answers`` and ``no-batching`` baselines, short
warm runs) is
shared by the tests of this module; the full ``large`` run is ``schoolgraph bench``, not a
test.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from schoolgraph.bench.queries import QUERIES
from schoolgraph.bench.report import render, targets
from schoolgraph.bench.runner import Options, run_bench
from schoolgraph.cli import main
from schoolgraph.collector import DEFAULT_THRESHOLD

# gc_threshold=0: the collector tuning is process-wide, and this process runs the suite.
QUICK = Options(
    scale="small",
    duration=0.2,
    concurrency=(1, 4),
    baselines=("no-answers", "no-batching"),
    cold_runs=2,
    gc_threshold=0,
    steady_steps=13,  # 130 s of the gateway's clock: past a week's shifts' 60 s twice
)


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return asyncio.run(run_bench(QUICK))


def test_every_query_answers_rows_and_costs_requests_only_when_cold(
    result: dict[str, Any],
) -> None:
    queries = result["configs"]["gateway"]["queries"]

    assert list(queries) == [query.name for query in QUERIES]
    for name, figures in queries.items():
        assert figures["rows"] > 0, name
        assert figures["cold"]["requests"] > 0, name
        assert figures["warm_requests"] == 0, name
        assert sum(figures["cold"]["by_upstream"].values()) == figures["cold"]["requests"]


def test_cold_figures_are_medians_of_the_gateways_runs(result: dict[str, Any]) -> None:
    for name, figures in result["configs"]["gateway"]["queries"].items():
        cold = figures["cold"]
        runs = cold["runs"]
        assert len(runs) == QUICK.cold_runs, name
        assert cold["ms"] == pytest.approx(sum(run["ms"] for run in runs) / len(runs), abs=0.1)
    for name, figures in result["configs"]["no-batching"]["queries"].items():
        assert "runs" not in figures["cold"], name  # a baseline runs cold once


def test_cold_latency_is_never_below_its_critical_path(result: dict[str, Any]) -> None:
    latency_ms = QUICK.latency_ms
    for name, figures in result["configs"]["gateway"]["queries"].items():
        cold = figures["cold"]
        # Every cold request needs a token, then data: two dependent calls at least.
        assert cold["critical_path_calls"] >= 2, name
        injected = cold["critical_path_calls"] * latency_ms
        assert cold["critical_path_injected_ms"] == pytest.approx(injected)
        # Priced at what the upstreams took to serve it: the injected latency and more.
        assert cold["critical_path_ms"] >= injected, name
        assert cold["ms"] >= cold["critical_path_ms"], name
        assert cold["gateway_cpu_ms"] > 0, name
        assert cold["ratio"] >= 1, name


def test_where_each_cold_run_spent_its_time_adds_up_to_its_latency(
    result: dict[str, Any],
) -> None:
    """The client's clock and the simulators' traces are one clock: every part is a
    duration (none negative), the chain is the critical path, and the parts add up to the
    latency of the run they describe."""
    for name, figures in result["configs"]["gateway"]["queries"].items():
        cold = figures["cold"]
        for run in cold["runs"]:
            spent = run["cold_time_ms"]
            assert spent["chain"] == run["critical_path_ms"], name
            assert min(spent.values()) >= 0, (name, spent)
            assert spent["before"] > 0 and spent["after"] > 0, (name, spent)
            # Rounding, and gaps under the trace's clock noise counted as none.
            assert sum(spent.values()) == pytest.approx(run["ms"], abs=1.0), name
        # The report's is the run the critical path is taken from.
        assert {"ms": cold["cold_time_run_ms"], "cold_time_ms": cold["cold_time_ms"]} in [
            {"ms": run["ms"], "cold_time_ms": run["cold_time_ms"]} for run in cold["runs"]
        ], name


@pytest.mark.parametrize("config", ["gateway", "no-answers"])
def test_warm_runs_are_served_from_the_cache(result: dict[str, Any], config: str) -> None:
    for name, figures in result["configs"][config]["queries"].items():
        if "warm" not in figures:
            continue
        runs = figures["warm"]["runs"]
        assert list(runs) == ["1", "4"]
        for run in runs.values():
            assert run["requests"] > 0 and run["failures"] == 0
            assert 0 < run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"]
            assert run["rps"] > 0
        warm = figures["warm"]
        assert warm["cache"]["misses"] == 0, name
        assert warm["cache"]["upstream_requests"] == 0, name
        if config == "gateway":  # every warm request is a kept answer
            assert warm["answers"]["hits"] >= sum(run["requests"] for run in runs.values())
            assert warm["answers"]["misses"] == 0 and warm["cache"]["hits"] == 0, name
        else:  # every warm request executes, over the upstream cache
            assert warm["answers"]["hits"] == 0 and warm["cache"]["hits"] > 0, name


def test_upstream_requests_follow_schools_and_windows_not_rows(result: dict[str, Any]) -> None:
    queries = result["configs"]["gateway"]["queries"]
    whole, year = queries["dashboard"], queries["dashboard-year"]

    assert whole["rows"] >= 4 * year["rows"]
    assert whole["cold"]["requests"] == year["cold"]["requests"]


def test_batching_saves_the_requests_a_loader_per_key_makes(result: dict[str, Any]) -> None:
    batched = result["configs"]["gateway"]["queries"]["dashboard"]["cold"]["requests"]
    naive = result["configs"]["no-batching"]["queries"]["dashboard"]["cold"]["requests"]
    naive_year = result["configs"]["no-batching"]["queries"]["dashboard-year"]["cold"]

    # A loader per key reads each student and tutor by id, and asks Tanda once per tutor
    # for each of shifts and schedules, so its cost grows with the rows; batched, it does not.
    assert naive > batched
    assert naive > naive_year["requests"]


def test_steady_traffic_revalidated_ahead_keeps_its_answers(result: dict[str, Any]) -> None:
    steady = result["steady"]

    assert list(steady) == ["dashboard", "roster-week"]
    for name, (ahead, off) in steady.items():
        assert (ahead["refresh_ahead"], off["refresh_ahead"]) == (0.25, 0.0), name
        for run in (ahead, off):
            assert len(run["latencies_ms"]) == QUICK.steady_steps, name
            assert 0 < run["p50_ms"] <= run["p95_ms"] <= run["max_ms"], name
            assert run["upstream_requests"] > 0, name  # its data was revalidated
        # Without refresh ahead, every time the week's shifts (60 s fresh) go stale a
        # request finds its answer out of date and executes; with it, none does (one may,
        # if the wall clock passes a quarter hour, when every kept answer ends).
        assert off["executed"] >= 2 and off["refreshed_ahead"] == 0, name
        assert ahead["executed"] <= 1 and ahead["refreshed_ahead"] > 0, name


def test_the_report_prints_every_figure_and_checks_the_targets(result: dict[str, Any]) -> None:
    text = render(result)

    for heading in (
        "Upstream requests and cold latency",
        "Critical paths",
        "Where the cold time went",
        "Warm: latency (ms) and throughput",
        "Caches during the warm runs",
        "answer hits",
        "peak RSS",
        "graphql-core, the big list from memory",
        "Steady traffic",
        "Targets",
    ):
        assert heading in text
    for query in QUERIES:
        assert query.name in text
    checked = {target.name: target for target in targets(result)}
    assert len(checked) == 6
    assert checked["upstream requests independent of row count"].holds
    assert result["configs"]["gateway"]["peak_rss_mb"] > 0
    assert result["reference"]["ms"] > 0
    json.dumps(result)  # every figure is JSON


def test_without_the_no_answers_run_the_big_list_target_is_not_measured(
    result: dict[str, Any],
) -> None:
    """The big-list target compares executing the list; the gateway's warm runs serve a kept
    answer, so with ``--no-baselines`` the target says it was not measured rather than pass."""
    configs = {name: run for name, run in result["configs"].items() if name != "no-answers"}

    checked = {target.name: target for target in targets({**result, "configs": configs})}
    measured = {target.name: target for target in targets(result)}

    big = "big list <= 2 x graphql-core from memory"
    assert checked[big].holds is None
    assert checked[big].detail.startswith("not measured: it compares executing the list")
    assert measured[big].holds is not None and "no-answers p50" in measured[big].detail


def test_the_bench_command_refuses_bad_flags_with_exit_code_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--clients", "0,8", "--json", str(tmp_path / "out.json")])

    assert exit_info.value.code == 2
    assert "--clients must be client counts" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--cold-runs", "0"], "--cold-runs must be a whole number, 1 or more"),
        (["--gc-threshold", "-5"], "--gc-threshold must be a whole number, 0 or more"),
        (["--steady-steps", "-1"], "--steady-steps must be a whole number, 0 or more"),
        (["--steady-step", "0"], "--steady-step must be a positive number"),
    ],
)
def test_the_bench_command_refuses_bad_run_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flags: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", *flags, "--json", str(tmp_path / "out.json")])

    assert exit_info.value.code == 2
    assert says in capsys.readouterr().err


def test_each_simulator_process_tunes_its_collector_as_the_gateway_does(
    result: dict[str, Any],
) -> None:
    """A simulator holds its whole world; Python's collector walking it would pause requests
    before their handlers start, outside the served time the critical path is priced at."""
    collectors = result["simulator_collectors"]
    assert set(collectors) == {"tanda", "xporter", "tass"}
    for found in collectors.values():
        assert found["threshold"] == DEFAULT_THRESHOLD
        assert found["frozen"] > 1000  # the world generated at start-up
    assert "Garbage collector of each simulator's process: tanda threshold 50,000" in render(result)
