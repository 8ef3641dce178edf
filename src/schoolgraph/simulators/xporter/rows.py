"""Columns, consent scopes, value formats and `RowHash` for Xporter's named tables.

A table is a list of rows (JSON objects). Each column carries the consent scopes that grant
it, copied from the doc's "Consent Scope" column (`A / B` means either; xporter.md §2.6), and
optionally the `include*` switch that adds it (§6.5). A column outside the caller's scopes or
switches is left out of the row, not nulled (§2.6 is silent; §6.5 "Columns outside the
school's authorised scopes are not returned").

Formats (§2.2, §6.5): ids and codes are JSON strings, flags are 0/1 integers, dates are
`yyyy-MM-dd`, timestamps are school-local ISO without an offset and with at most three
fraction digits, trailing zeros dropped (`2017-12-14T01:29:18.57`), as the EXT captures show.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Value = str | int | float | None
Row = dict[str, Value]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    scopes: tuple[str, ...]  # any one of them grants the column; () = always
    option: str | None = None  # lower-case include* switch that adds the column


def columns(scopes: str, *names: str, option: str | None = None) -> list[Column]:
    """Columns sharing one consent-scope cell (`"Student / StudentLite"`) and switch."""
    alternatives = tuple(s.strip() for s in scopes.split("/") if s.strip())
    return [Column(n, alternatives, option.lower() if option else None) for n in names]


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One named table of an endpoint.

    Attributes:
        name: the table's key in the response body.
        columns: in the doc's order; `RowHash` is computed, never taken from the source row.
        key: the column change sets diff rows by (`Id`; `PeriodId` for Lessons, `Mark` for
            AttendCodes). `<Table>_deleted` lists the gone rows' `Id` column whatever the key
            (§2.2), so a gone occurrence of a lesson is named by its lesson `Id`.
        hashed: whether the doc gives the table a `RowHash` column (§2.3).
        info: a small descriptive table (`DateRange`) that is never paged or diffed.
        order_by: columns rows are sorted by; empty means by `key` (numeric ids numerically).
    """

    name: str
    columns: tuple[Column, ...]
    key: str = "Id"
    hashed: bool = False
    info: bool = False
    order_by: tuple[str, ...] = ()

    def visible(self, granted: frozenset[str], options: frozenset[str]) -> list[Column]:
        return [
            c
            for c in self.columns
            if (not c.scopes or any(s in granted for s in c.scopes))
            and (c.option is None or c.option in options)
        ]


def table(
    name: str,
    cols: Iterable[Column],
    *,
    key: str = "Id",
    info: bool = False,
    order_by: tuple[str, ...] = (),
) -> TableSpec:
    """A TableSpec; it is `hashed` when its columns include `RowHash`."""
    spec = tuple(cols)
    return TableSpec(name, spec, key, any(c.name == "RowHash" for c in spec), info, order_by)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(row: Row) -> bytes:
    """The row as compact JSON with sorted keys, UTF-8."""
    return _CANONICAL.encode(row).encode()


def row_digest(row: Row) -> bytes:
    """SHA-1 of the row's canonical JSON (§6.4 SIM-PROPOSAL: SHA-1 over the row's values)."""
    return hashlib.sha1(canonical(row), usedforsecurity=False).digest()


def project(source: Row, visible: Sequence[Column], hashed: bool) -> tuple[Row, bytes]:
    """The row as the caller may see it, plus the digest change sets compare.

    `RowHash` is SHA-1 over the visible row without `RowHash` itself, upper-case hex (§2.3,
    §6.4), so it moves exactly when something the caller can see moves, and a change to a
    column outside the caller's scopes does not leak through it.
    """
    row: Row = {}
    for column in visible:
        if column.name != "RowHash":
            row[column.name] = source.get(column.name)
    digest = row_digest(row)
    if hashed and any(c.name == "RowHash" for c in visible):
        # Keep the doc's column order: RowHash sits where the doc lists it.
        row_hash = digest.hex().upper()
        ordered: Row = {c.name: row_hash if c.name == "RowHash" else row[c.name] for c in visible}
        return ordered, digest
    return row, digest


# -- value formats ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=65_536)
def local_ts(moment: datetime, zone: ZoneInfo) -> str:
    """School-local timestamp without offset, milliseconds trimmed like .NET (§2.2)."""
    local = moment.astimezone(zone).replace(tzinfo=None)
    text = local.isoformat(timespec="seconds")
    millis = local.microsecond // 1000
    if millis:
        text += f".{millis:03d}".rstrip("0")
    return text


def utc_ts(moment: datetime) -> str:
    """UTC with seven fraction digits and `Z`, like the STS `expires` (§1.2 EXT sample)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def iso_date(day: date | None) -> str | None:
    """`yyyy-MM-dd`, or None."""
    return day.isoformat() if day is not None else None


def flag(value: bool | None) -> int | None:
    """A 0/1 flag (§2.2), or None when unknown."""
    return None if value is None else int(value)


def ids_csv(values: Iterable[object]) -> str | None:
    """A CSV-in-a-string column (§6.5); None when empty."""
    text = ",".join(str(v) for v in values)
    return text or None


def sort_key(value: Value) -> tuple[int, int, str]:
    """Numeric ids in numeric order, then other ids as text."""
    text = "" if value is None else str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def split_address(line: str) -> tuple[str | None, str]:
    """`"12 High Street"` -> (`"12"`, `"High Street"`)."""
    number, _, rest = line.partition(" ")
    if number.isdigit() and rest:
        return number, rest
    return None, line
