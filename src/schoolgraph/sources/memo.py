"""Memos that make a warm read cost a lookup, not a re-map.

The connectors return the same tuple (and the same row objects) for a list that has not
changed, and keep unchanged rows as the same objects when a list is refreshed. So the domain
value built from a list can be reused while the list object is the same (`ListMemo`), and the
domain row built from an upstream row can be reused while that row object is the same
(`RowMemo`). Both hold a reference to what they were built from, so an identity check can
never be fooled by a recycled ``id()``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable
from functools import partial
from typing import Any, Generic, TypeVar, cast

__all__ = ["ListMemo", "RowMemo"]

S = TypeVar("S")
D = TypeVar("D")
T = TypeVar("T")


class ListMemo:
    """The last value built per key, reused while its inputs are the same objects."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[Hashable, tuple[tuple[object, ...], tuple[object, ...], Any]] = {}

    def get(
        self,
        key: Hashable,
        inputs: tuple[object, ...],
        build: Callable[[], T],
        values: tuple[object, ...] = (),
    ) -> T:
        """The value for ``key``: the memoised one when every input ``is`` the one it was built
        from and every one of ``values`` equals the one it was built from, else ``build()``
        (remembered for next time). ``values`` are for small inputs an upstream rebuilds on
        each call."""
        hit = self._last.get(key)
        if (
            hit is not None
            and len(hit[0]) == len(inputs)
            and all(a is b for a, b in zip(hit[0], inputs, strict=True))
            and hit[1] == values
        ):
            return cast(T, hit[2])
        value = build()
        self._last[key] = (inputs, values, value)
        return value

    def held(self, key: Hashable) -> Any:
        """The value last built for ``key`` (None if none was), whatever its inputs."""
        hit = self._last.get(key)
        return None if hit is None else hit[2]

    def clear(self) -> None:
        self._last.clear()


class RowMemo(Generic[S, D]):
    """Domain rows built from upstream rows, reused while the upstream row is alive.

    Entries live exactly as long as their upstream row: the memo holds the row weakly and
    drops the entry when the row is collected, which happens when the upstream cache lets
    go of the list that held it (expiry, eviction, or a refresh that replaced the row). So
    windows of lessons, attendance and shifts that were read once and have left the cache
    leave nothing behind here. Upstream row types must allow weak references
    (``@dataclass(slots=True, weakref_slot=True)``).
    """

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: dict[int, tuple[weakref.ref[S], Hashable, D]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def map(
        self,
        rows: Iterable[S],
        convert: Callable[[S], D],
        extra: Callable[[S], Hashable] | None = None,
    ) -> list[D]:
        """``convert`` each row, reusing the result for a row seen before.

        Args:
            rows: upstream rows.
            convert: builds the domain row.
            extra: what else the domain row depends on (compared by equality), e.g. the ids
                of the staff teaching a lesson, which live outside the lesson row.
        """
        memo = self._rows
        out: list[D] = []
        for row in rows:
            tag = extra(row) if extra is not None else None
            key = id(row)
            hit = memo.get(key)
            if hit is not None and hit[0]() is row and hit[1] == tag:
                out.append(hit[2])
                continue
            value = convert(row)
            memo[key] = (weakref.ref(row, partial(_forget, memo, key)), tag, value)
            out.append(value)
        return out

    def clear(self) -> None:
        self._rows.clear()


def _forget(memo: dict[int, tuple[weakref.ref[Any], Hashable, Any]], key: int, ref: Any) -> None:
    """A row died: drop its entry, unless the key already holds a newer row's."""
    hit = memo.get(key)
    if hit is not None and hit[0] is ref:
        del memo[key]
