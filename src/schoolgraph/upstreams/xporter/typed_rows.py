"""The rows of a narrowed read converted by msgspec in C, not read column by column.

A read narrowed by `select` (xporter.md §2.1) answers with the columns it named, spelled as
it named them. For such a table, :class:`TypedRows` converts the decoded rows to structs with
exactly those columns in one `msgspec.convert` call (0.6 µs a row), and the model is built
from the struct's attributes. Read the general way (`models.Fields`: each column found by
case-insensitive name, each value checked for its type and for blanks), a large school's
students took 20 µs a row; see the README's Benchmarks.

Only rows in the exact shape take this path: every named column present, none other, each
spelled as named, each value a string or null, no string blank. Any other row (a column cased
otherwise, a number where a string was expected, a blank cell, the every-column rows of an
unnarrowed read) converts to None and is read the general way, so both paths give the same
model; the tests compare them row by row.

:func:`decode_tables` goes one step further for such a read's answer: its typed tables are
decoded from the body's bytes straight into structs, and never become dicts at all. On a
large school's 3 MB of students that is 7 ms, against 14 ms for orjson's dicts and 8.5 ms
more to convert them (timed on the simulator's answer, collector off). A table with any
row in another shape is decoded the general way instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import GenericAlias
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

import msgspec
import orjson
from msgspec.structs import asdict, astuple

if TYPE_CHECKING:
    from .models import RowContext

M = TypeVar("M")

WireRow: TypeAlias = "Mapping[str, Any] | msgspec.Struct"
"""A row as a read returned it: decoded to a dict, or straight into its table's struct."""

_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
"""A JSON object split into its members, each member's value left as undecoded JSON."""


class TypedRows(Generic[M]):
    """How the rows of one narrowed table become models through a struct.

    Args:
        name: the struct's name (for errors and reprs).
        columns: the columns the read selects; the first is the row's key.
        build: struct -> model, reading the struct's attributes (named as the columns).
    """

    __slots__ = ("_build", "_decoder", "_many", "_names", "_struct", "key")

    def __init__(
        self,
        name: str,
        columns: Sequence[str],
        build: Callable[[Any, RowContext], M],
    ) -> None:
        key, *rest = columns
        self.key = key
        self._names = frozenset(columns)
        self._struct = msgspec.defstruct(
            name,
            [(key, str), *((column, str | None) for column in rest)],
            forbid_unknown_fields=True,
        )
        self._many = GenericAlias(list, (self._struct,))  # list[struct], built at run time
        self._decoder = msgspec.json.Decoder(self._many)
        self._build = build

    def decode(self, table: msgspec.Raw) -> list[Any] | None:
        """The table's rows (a JSON array) decoded straight into structs; None unless every
        row is in the exact shape, with its values still unchecked for blanks (`convert`)."""
        try:
            structs: list[Any] = self._decoder.decode(table)
        except msgspec.DecodeError:  # a row in another shape, or not an array of rows
            return None
        return structs

    def convert(self, rows: Sequence[WireRow]) -> list[Any | None] | None:
        """Each row's struct, or None for a row to read the general way; None for the whole
        list when its first row has other columns (an unnarrowed read). Rows decoded
        straight into structs (`decode`) are only checked for blanks."""
        if not rows:
            return None
        shape = self._struct
        if all(type(row) is shape for row in rows):
            return [row if _filled(row) else None for row in rows]
        dicts = [as_row(row) for row in rows]  # structs only when pages were decoded both ways
        if dicts[0].keys() != self._names:
            return None
        try:
            structs: list[Any] = msgspec.convert(dicts, self._many)
        except msgspec.ValidationError:
            return [self._one(row) for row in dicts]
        return [struct if _filled(struct) else None for struct in structs]

    def _one(self, row: Mapping[str, Any]) -> Any | None:
        try:
            struct = msgspec.convert(row, self._struct)
        except msgspec.ValidationError:
            return None
        return struct if _filled(struct) else None

    def build(self, struct: Any, ctx: RowContext) -> M:
        return self._build(struct, ctx)

    def row_key(self, struct: Any) -> str:
        key: str = getattr(struct, self.key)
        return key

    @staticmethod
    def row_hash(struct: Any) -> str | None:
        """The row's stated `RowHash`, as `changesets.row_hash` reads it; None without one."""
        stated: str | None = getattr(struct, "RowHash", None)
        return None if stated is None else stated.upper()


def _filled(struct: Any) -> bool:
    """Whether no string of the struct is blank (`Fields.text` reads a blank cell as null):
    the check runs in C (`filter`, `map`, `all`), not once per column in Python."""
    values = astuple(struct)
    return "" not in values and all(map(str.strip, filter(None, values)))


def as_row(row: WireRow) -> Mapping[str, Any]:
    """The row as a dict, for the general way: a struct decoded straight from the body is
    turned back into the dict the body held (the struct has exactly its members)."""
    if isinstance(row, msgspec.Struct):
        return asdict(row)
    return row


def decode_tables(body: bytes, tables: Mapping[str, TypedRows[Any]]) -> Any | None:
    """A JSON object whose members named in ``tables`` (by lower-cased name) are decoded
    straight into structs where every row is in the exact shape, every other member as
    orjson reads it. None when the body is not a JSON object or holds JSON only a lenient
    reader takes (the caller then reads it the general way, `UpstreamResponse.json`)."""
    try:
        members = _OBJECT.decode(body)
    except msgspec.DecodeError:
        return None
    out: dict[str, Any] = {}
    for name, value in members.items():
        typed = tables.get(name.lower())
        rows = typed.decode(value) if typed is not None else None
        if rows is None:
            try:
                rows = orjson.loads(memoryview(value))
            except orjson.JSONDecodeError:
                return None
        out[name] = rows
    return out


__all__ = ["TypedRows", "WireRow", "as_row", "decode_tables"]
