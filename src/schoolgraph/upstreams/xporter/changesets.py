"""A cached Xporter result kept current with `changedRows` change sets (xporter.md §6.4).

One `Snapshot` holds one (school, endpoint, filters) result: each table's models by key and
the `RowHash` of each row. The cache entry that holds it keeps the change-set token to ask
for the next change set with (`CacheEntry.token`).

* A full read (`changedRows=*`) replaces every table. Rows whose hash equals the previous
  snapshot's keep the previous model object, so even a fallback full read does not re-parse
  or re-create what did not change.
* A change set (`changedRows=<token>`) removes the rows `<Table>_deleted` names and upserts
  the rows it carries; every other row is the previous snapshot's object, unchanged.
* A `_deleted` row carries only `Id` (§2.2): the gone row's `Id`, which is the key only of
  tables keyed by `Id`. A `Lessons` occurrence is keyed by `PeriodId` but deleted by its
  lesson `Id` (§4.7.1), so the deletion removes every occurrence of that lesson
  (`TableSpec.deleted_id`). A table with no `Id` of its own (`AttendCodes`, keyed by `Mark`,
  §4.8.1) gets `_deleted` Ids that name none of its rows; so does any `_deleted` row without
  an `Id`. Such a change set cannot be applied: `unnamed_deletions` names the tables, and
  the client re-reads the endpoint whole (`changedRows=*`) instead.
* A table read narrowed by `select` converts its rows to structs in C first, or arrives
  decoded straight into them (`typed_rows`); rows in any other shape are read column by
  column as before.
* Tables without a `RowHash` column (lessons, attendance marks and codes, §2.3) get a local
  hash of the row's canonical JSON (§6.4 "compute a local hash per row").

Rows are ordered by the table's sort key, not by arrival, so a refreshed snapshot and a fresh
full read list the same models in the same order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from ..canonical import canonical
from .models import Fields, Row, RowContext, TableSpec, columns_of
from .typed_rows import WireRow, as_row

M = TypeVar("M")


def row_hash(row: Row) -> str:
    """The row's `RowHash`, or SHA-1 of its canonical JSON when the table has none."""
    column = columns_of(row).find("RowHash")
    value = row[column] if column is not None else None
    if isinstance(value, str) and value:
        return value.upper()
    digest = hashlib.sha1(canonical(dict(row)), usedforsecurity=False)
    return digest.hexdigest().upper()


class Table(Mapping[str, M]):
    """One table's models by key, in sort order; immutable."""

    __slots__ = ("_hashes", "_models", "_rows")

    def __init__(self, rows: dict[str, M], hashes: dict[str, str], models: tuple[M, ...]) -> None:
        self._rows = rows
        self._hashes = hashes
        self._models = models

    @classmethod
    def empty(cls) -> Table[M]:
        return cls({}, {}, ())

    @property
    def models(self) -> tuple[M, ...]:
        """Every model in sort order (the same tuple on every call)."""
        return self._models

    def hash_of(self, key: str) -> str | None:
        return self._hashes.get(key)

    def __getitem__(self, key: str) -> M:
        return self._rows[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"Table({len(self._rows)} rows)"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One cached result; the cache entry beside it holds the next change-set token."""

    tables: Mapping[str, Table[Any]]
    as_of: datetime | None  # meta[0].DateTime: when Xporter's copy of the data was made

    def table(self, spec: TableSpec[M]) -> Table[M]:
        return cast(Table[M], self.tables.get(spec.name) or Table.empty())


@dataclass(slots=True)
class Wire:
    """Everything one (possibly paged) read returned, tables still raw."""

    rows: dict[str, list[WireRow]] = field(default_factory=dict)
    deleted: dict[str, list[str | None]] = field(default_factory=dict)  # `Id`s; None if absent
    token: str | None = None
    as_of: datetime | None = None
    bytes: int = 0
    pages: int = 0

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    @property
    def deleted_count(self) -> int:
        return sum(len(keys) for keys in self.deleted.values())


@dataclass(frozen=True, slots=True)
class Applied:
    """A snapshot built from a read, and whether anything in it differs from the previous."""

    snapshot: Snapshot
    changed: bool


def unnamed_deletions(specs: Sequence[TableSpec[Any]], wire: Wire) -> tuple[str, ...]:
    """The tables whose `<Table>_deleted` rows in ``wire`` cannot name the rows they delete:
    a row with no `Id`, or any row of a table whose `_deleted` Ids are not its rows' (see the
    module docstring). A change set with any cannot be applied; read the endpoint whole."""
    return tuple(
        spec.name
        for spec in specs
        if (ids := wire.deleted.get(spec.name))
        and (None in ids or not (spec.deletes_by_key or spec.deleted_id is not None))
    )


def _remove(spec: TableSpec[Any], rows: dict[str, Any], ids: Sequence[str | None]) -> list[str]:
    """The keys of ``rows`` that the `<Table>_deleted` ``ids`` name."""
    gone = {id_ for id_ in ids if id_ is not None}
    if not gone:
        return []
    if spec.deletes_by_key:
        return [key for key in gone if key in rows]
    deleted_id = spec.deleted_id
    if deleted_id is None:
        raise ValueError(
            f"The {spec.name} table's deleted Ids name none of its rows; read it whole "
            "instead of applying the change set (see unnamed_deletions)."
        )
    return [key for key, model in rows.items() if deleted_id(model) in gone]


def apply(
    specs: Sequence[TableSpec[Any]],
    wire: Wire,
    previous: Snapshot | None,
    ctx: RowContext,
    *,
    delta: bool,
) -> Applied:
    """Build the snapshot a full read (`delta=False`) or a change set (`delta=True`) yields.

    Args:
        specs: the endpoint's tables.
        wire: what the read returned.
        previous: the snapshot the change set applies to (and whose objects are reused).
        ctx: the school and route, for parsing and error messages.
        delta: whether `wire` is a change set rather than a full result; it must have no
            `unnamed_deletions`.
    """
    tables: dict[str, Table[Any]] = {}
    changed = previous is None
    for spec in specs:
        old: Table[Any] = previous.table(spec) if previous is not None else Table.empty()
        table_ctx = RowContext(ctx.estab, ctx.zone, ctx.route, spec.name)
        if delta:
            rows: dict[str, Any] = dict(old.items())
            hashes = {key: old.hash_of(key) or "" for key in rows}
            for key in _remove(spec, rows, wire.deleted.get(spec.name, ())):
                del rows[key]
                hashes.pop(key, None)
                changed = True
        else:
            rows, hashes = {}, {}
        raws = wire.rows.get(spec.name, ())
        typed = spec.typed
        structs = typed.convert(raws) if typed is not None else None
        for index, raw in enumerate(raws):
            struct = None if structs is None else structs[index]
            if typed is None or struct is None:
                row = as_row(raw)
                key, digest = Fields(row, table_ctx).id(spec.key), row_hash(row)
            else:
                key = typed.row_key(struct)
                digest = typed.row_hash(struct) or row_hash(as_row(struct))
            if old.hash_of(key) == digest:
                model = old[key]  # unchanged: keep the very same object
            else:
                model = (
                    spec.parse(row, table_ctx)
                    if typed is None or struct is None
                    else typed.build(struct, table_ctx)
                )
                changed = True
            rows[key] = model
            hashes[key] = digest
        if not delta and len(rows) != len(old):
            changed = True
        ordered = sorted(rows.items(), key=lambda item: spec.sort_key(item[0], item[1]))
        tables[spec.name] = Table(dict(ordered), hashes, tuple(model for _, model in ordered))
    return Applied(Snapshot(tables, wire.as_of or _as_of(previous)), changed)


def _as_of(previous: Snapshot | None) -> datetime | None:
    return previous.as_of if previous is not None else None


__all__ = ["Applied", "Snapshot", "Table", "Wire", "apply", "row_hash", "unnamed_deletions"]
