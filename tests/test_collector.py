"""The collector tuning `schoolgraph serve` applies, in a process of its own (it is global)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from schoolgraph.collector import tune_collector
before = gc.get_threshold()
kept = [[i] for i in range(1000)]
tuned = tune_collector({threshold})
print(json.dumps({{"tuned": tuned, "before": before, "after": gc.get_threshold(),
                  "frozen": gc.get_freeze_count()}}))
"""


def probe(threshold: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(threshold=threshold)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    found: dict[str, object] = json.loads(out.stdout)
    return found


def test_tuning_freezes_start_up_and_raises_the_young_threshold() -> None:
    found = probe(50_000)
    before, after = found["before"], found["after"]
    assert isinstance(before, list) and isinstance(after, list)
    assert found["tuned"] is True
    assert after == [50_000, before[1], before[2]]
    assert isinstance(found["frozen"], int) and found["frozen"] >= 1000  # `kept` among them


def test_zero_leaves_the_collector_alone() -> None:
    found = probe(0)
    assert found["tuned"] is False
    assert found["after"] == found["before"]
    assert found["frozen"] == 0
