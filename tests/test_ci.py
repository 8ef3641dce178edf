"""The README's promises that CI and the code must keep."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

from schoolgraph.config import VARIABLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "README.md's Quick start has no ```sh block."
    return block.group(1).strip().splitlines()


def test_the_quick_start_is_two_commands_run_then_test() -> None:
    run, test = quick_start_commands()

    assert run.endswith("schoolgraph serve")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, test = quick_start_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()

    assert test in ci_lines, f".ci/run must run README.md's test command verbatim: {test}"


def test_the_readme_configuration_table_lists_every_variable() -> None:
    for variable in VARIABLES:
        default = variable.default
        shown = (
            default.value
            if isinstance(default, Enum)
            else str(default).lower()
            if isinstance(default, bool)
            else str(default)
        )
        row = f"| `{variable.key}` | `{shown}` | {variable.description} |"
        assert row in README, f"README.md's configuration table lacks or misstates: {row}"
