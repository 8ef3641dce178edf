"""``Info``, as every resolver of the graph receives it, and the request's loaders from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, TypeVar

import strawberry

from schoolgraph.context import Context
from schoolgraph.loaders import Loaders

__all__ = ["Info", "already_built", "built_once", "loaders"]

Info: TypeAlias = strawberry.Info[Context, None]
T = TypeVar("T")


def loaders(info: Info) -> Loaders:
    """This request's loaders (made per request by the context)."""
    return info.context.loaders


def built_once(info: Info, type_name: str, key: str, build: Callable[[], T]) -> T:
    """The ``type_name`` object with ``key`` this request built already, else ``build()``.

    Objects of the graph are values read by their fields: one built per request serves
    every parent that points at it (each of a roster's 4,000 shifts at one of 200 people).
    """
    memo = info.context.built
    found = memo.get((type_name, key))
    if found is None:
        found = memo[(type_name, key)] = build()
    return found


def already_built(info: Info, type_name: str, key: str, kind: type[T]) -> T | None:
    """The ``type_name`` object with ``key`` if this request built it already (`built_once`),
    else None: a shift whose person an earlier shift built skips finding the row again."""
    found = info.context.built.get((type_name, key))
    return found if isinstance(found, kind) else None
