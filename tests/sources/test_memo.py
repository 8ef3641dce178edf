"""RowMemo: domain rows live as long as the upstream rows they were built from."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from schoolgraph.sources.memo import RowMemo


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Row:
    id: int


def test_a_row_seen_again_gives_the_same_domain_row() -> None:
    memo: RowMemo[Row, str] = RowMemo()
    rows = (Row(1), Row(2))

    first = memo.map(rows, lambda row: f"row {row.id}")
    again = memo.map(rows, lambda row: f"again {row.id}")

    assert first == again == ["row 1", "row 2"]
    assert all(a is b for a, b in zip(first, again, strict=True))


def test_an_extra_input_that_changed_rebuilds_the_row() -> None:
    memo: RowMemo[Row, tuple[int, str]] = RowMemo()
    rows = (Row(1),)

    memo.map(rows, lambda row: (row.id, "a"), lambda _: "a")
    rebuilt = memo.map(rows, lambda row: (row.id, "b"), lambda _: "b")

    assert rebuilt == [(1, "b")]


def test_rows_the_upstream_cache_let_go_of_leave_nothing_in_the_memo() -> None:
    memo: RowMemo[Row, str] = RowMemo()
    kept = tuple(Row(n) for n in range(10))
    windows = [tuple(Row(n) for n in range(1_000)) for _ in range(5)]
    memo.map(kept, str)
    for window in windows:
        memo.map(window, str)
    assert len(memo) == 10 + 5_000

    del windows, window
    gc.collect()

    assert len(memo) == 10
    assert memo.map(kept, lambda _: "rebuilt") == [str(row) for row in kept]
