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

A table may name some columns as flags (`Staff.IsTeacher`: xporter.md §2.2 "Flags are
integers 0/1"). Their exact shape is the JSON integer 0 or 1, or null, typed `Literal[0, 1]`
in the struct, which reads as `models.parse_flag` reads it. A flag in any other form (the
string "0", a bool, a float, a 2) takes its row the general way, where `parse_flag` reads it.

:func:`decode_tables` goes one step further for such a read's answer: its typed tables are
decoded from the body's bytes straight into structs, and never become dicts at all. On a
large school's 3 MB of students that is 7 ms, against 14 ms for orjson's dicts and 8.5 ms
more to convert them (timed on the simulator's answer, collector off). A table with any
row in another shape is decoded the general way instead.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from types import GenericAlias
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypeVar

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

_FLAG: Any = Literal[0, 1] | None
"""A flag column's type in the struct: exactly the JSON integer 0 or 1, or null. msgspec
takes neither a bool, a float, nor a string for it (strict), so those rows go the general
way."""


class TypedRows(Generic[M]):
    """How the rows of one narrowed table become models through a struct.

    Args:
        name: the struct's name (for errors and reprs).
        columns: the columns the read selects; the first is the row's key.
        build: struct -> model, reading the struct's attributes (named as the columns).
        flags: the columns (not the key) that hold 0/1 flags, typed `_FLAG` rather than
            `str | None`, and placed after the others in the struct; the blank check
            (`_filled`) passes them by.
    """

    __slots__ = ("_build", "_decoder", "_filled", "_many", "_names", "_struct", "key")

    def __init__(
        self,
        name: str,
        columns: Sequence[str],
        build: Callable[[Any, RowContext], M],
        *,
        flags: Collection[str] = (),
    ) -> None:
        key, *rest = columns
        unknown = sorted(set(flags) - set(rest))
        if unknown:
            raise ValueError(
                f"The flag columns {unknown} of {name} are not among its non-key columns."
            )
        self.key = key
        self._names = frozenset(columns)
        texts = [column for column in rest if column not in flags]
        # The flags come last, so the blank check takes the strings as one slice.
        self._struct = msgspec.defstruct(
            name,
            [
                (key, str),
                *((column, str | None) for column in texts),
                *((column, _FLAG) for column in rest if column in flags),
            ],
            forbid_unknown_fields=True,
        )
        self._filled: Callable[[Any], bool] = (
            partial(_strings_filled, 1 + len(texts)) if flags else _filled
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
        shape, filled = self._struct, self._filled
        if all(type(row) is shape for row in rows):
            return [row if filled(row) else None for row in rows]
        dicts = [as_row(row) for row in rows]  # structs only when pages were decoded both ways
        if dicts[0].keys() != self._names:
            return None
        try:
            structs: list[Any] = msgspec.convert(dicts, self._many)
        except msgspec.ValidationError:
            return [self._one(row) for row in dicts]
        return [struct if filled(struct) else None for struct in structs]

    def _one(self, row: Mapping[str, Any]) -> Any | None:
        try:
            struct = msgspec.convert(row, self._struct)
        except msgspec.ValidationError:
            return None
        return struct if self._filled(struct) else None

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


def _strings_filled(strings: int, struct: Any) -> bool:
    """`_filled` of a struct with flags: only its first ``strings`` values, the strings, are
    checked (a flag's 1 is no string to strip). A slice of the tuple, 1.0 µs a Staff row;
    picking the strings out wherever they stood (`itertools.compress`) took 2.4 µs."""
    values = astuple(struct)[:strings]
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
