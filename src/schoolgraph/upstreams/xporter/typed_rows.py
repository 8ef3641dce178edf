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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import GenericAlias
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from msgspec.structs import astuple

if TYPE_CHECKING:
    from .models import RowContext

M = TypeVar("M")


class TypedRows(Generic[M]):
    """How the rows of one narrowed table become models through a struct.

    Args:
        name: the struct's name (for errors and reprs).
        columns: the columns the read selects; the first is the row's key.
        build: struct -> model, reading the struct's attributes (named as the columns).
    """

    __slots__ = ("_build", "_many", "_names", "_struct", "key")

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
        self._build = build

    def convert(self, rows: Sequence[Mapping[str, Any]]) -> list[Any | None] | None:
        """Each row's struct, or None for a row to read the general way; None for the whole
        list when its first row has other columns (an unnarrowed read)."""
        if not rows or rows[0].keys() != self._names:
            return None
        try:
            structs: list[Any] = msgspec.convert(rows, self._many)
        except msgspec.ValidationError:
            return [self._one(row) for row in rows]
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


__all__ = ["TypedRows"]
