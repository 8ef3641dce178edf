"""Snapshots assembled page by page (`hash_rows` per page, then `assemble`) are the snapshots
`full` makes of the same rows in one go: order, duplicates, reuse by hash, size, watermark."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from schoolgraph.upstreams.tass.snapshot import Snapshot, assemble, full, hash_rows


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    updated_at: datetime | None


def parse(raw: dict[str, Any]) -> Row:
    stamp = raw.get("update_on")
    return Row(raw["code"], raw["name"], datetime.fromisoformat(stamp) if stamp else None)


def key(row: Row) -> Hashable:
    return row.code


def raw(code: str, name: str, day: int | None = 1) -> dict[str, Any]:
    stamp = datetime(2026, 11, day, tzinfo=UTC).isoformat() if day else None
    return {"code": code, "name": name, "update_on": stamp}


ROWS = [
    raw("a", "Ada", 3),
    raw("b", "Bo", 9),
    raw("c", "Cy", None),
    raw("b", "Bo again", 5),  # rows shifted between pages: read twice
    raw("d", "Di", 7),
    raw("e", "Ed", 2),
    raw("f", "Flo", 4),
]
SIZES = pytest.mark.parametrize("size", [1, 2, 3, 7], ids=lambda n: f"pages-of-{n}")


def paged(
    raws: list[dict[str, Any]],
    size: int,
    *,
    previous: Snapshot[Row] | None = None,
    context: str = "",
) -> Snapshot[Row]:
    pages = [hash_rows(raws[i : i + size], parse=parse, key=key) for i in range(0, len(raws), size)]
    return assemble(pages, previous=previous, now=2.0, context=context)


def whole(
    raws: list[dict[str, Any]], *, previous: Snapshot[Row] | None = None, context: str = ""
) -> Snapshot[Row]:
    return full(raws, parse=parse, key=key, previous=previous, now=2.0, context=context)


@SIZES
def test_pages_assemble_into_the_snapshot_of_one_full_read(size: int) -> None:
    snapshot = paged(ROWS, size, context="houses")
    assert snapshot == whole(ROWS, context="houses")
    assert [r.code for r in snapshot.rows] == ["a", "b", "c", "d", "e", "f"]
    assert snapshot.index["b"].name == "Bo again"  # first place, latest value
    assert snapshot.watermark == datetime(2026, 11, 7, tzinfo=UTC)  # not the overwritten 9th
    assert snapshot.last_rows == len(ROWS) and snapshot.size > 0


@SIZES
def test_pages_reuse_unchanged_models_as_a_full_read_does(size: int) -> None:
    previous = whole(ROWS[:3], context="houses")
    changed = [raw("a", "Ada", 3), raw("b", "Bea", 9), raw("c", "Cy", None)]
    snapshot = paged(changed, size, previous=previous, context="houses")
    assert snapshot == whole(changed, previous=previous, context="houses")
    assert snapshot.rows[0] is previous.rows[0] and snapshot.rows[2] is previous.rows[2]
    assert snapshot.rows[1] is not previous.rows[1]


@SIZES
def test_pages_with_nothing_changed_give_back_the_previous_snapshot(size: int) -> None:
    previous = whole(ROWS, context="houses")
    snapshot = paged(ROWS, size, previous=previous, context="houses")
    assert snapshot.rows is previous.rows and snapshot.full_read_at == 2.0
    assert snapshot == whole(ROWS, previous=previous, context="houses")


@SIZES
def test_pages_under_another_context_reuse_nothing(size: int) -> None:
    previous = whole(ROWS, context="houses")
    snapshot = paged(ROWS, size, previous=previous, context="no houses")
    assert snapshot == whole(ROWS, previous=previous, context="no houses")
    assert snapshot.context == "no houses"
    assert not any(a is b for a, b in zip(snapshot.rows, previous.rows, strict=True))


def test_no_pages_make_an_empty_snapshot() -> None:
    assert assemble([], previous=None, now=2.0) == whole([])
