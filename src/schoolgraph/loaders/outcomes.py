"""What a batch function hands back per key: the value, or the error that key met.

Only errors of the tree in :mod:`schoolgraph.errors` are answers: an upstream that failed for
one school fails that school's keys and no others. Anything else is a bug and propagates, so
the GraphQL layer masks it as ``INTERNAL``.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

from aiodataloader import DataLoader

from schoolgraph.errors import SchoolgraphError

__all__ = [
    "ALL",
    "UNSETTLED",
    "All",
    "Loader",
    "Outcome",
    "Unsettled",
    "gather_per_key",
    "id_prefix",
    "load_each",
    "missing",
    "pick",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Outcome: TypeAlias = V | SchoolgraphError
"""A batch function's answer for one key."""

All: TypeAlias = str
ALL: All = "all"
"""The one key of loaders that memoize a whole-list read (every school, every person)."""


class Unsettled(enum.Enum):
    """What :meth:`Loader.settled` answers for a key whose load has not finished."""

    UNSETTLED = "UNSETTLED"


UNSETTLED = Unsettled.UNSETTLED


class Loader(DataLoader[K, V]):
    """A dataloader that also answers, without waiting, a key it has already loaded.

    A field of every row of a long list (each shift's ``staff``) resolved through ``load``
    costs an awaitable per row; once the parent field has loaded what the rows need, the
    rows can read it with :meth:`settled` and answer at once.
    """

    def __init__(
        self,
        batch_load_fn: Callable[[list[K]], Coroutine[Any, Any, list[V]]],
        *,
        batch: bool = True,
    ) -> None:
        self._futures: dict[K, asyncio.Future[V]] = {}
        super().__init__(batch_load_fn, batch=batch, cache_map=self._futures)

    def settled(self, key: K) -> V | Unsettled:
        """``key``'s value if its load has finished (raising the error it failed with), else
        :data:`UNSETTLED`."""
        future = self._futures.get(key)
        if future is None or not future.done():
            return UNSETTLED
        return future.result()


async def gather_per_key(
    keys: Sequence[K], read: Callable[[K], Awaitable[V]]
) -> list[V | SchoolgraphError]:
    """``read(key)`` for every distinct key, concurrently; a key that failed gets its error.

    Raises:
        Exception: anything ``read`` raised that is not a :class:`SchoolgraphError`.
    """
    distinct = list(dict.fromkeys(keys))
    results = await asyncio.gather(*(read(key) for key in distinct), return_exceptions=True)
    by_key: dict[K, V | SchoolgraphError] = {}
    for key, result in zip(distinct, results, strict=True):
        if isinstance(result, SchoolgraphError):
            by_key[key] = result
        elif isinstance(result, BaseException):
            raise result
        else:
            by_key[key] = result
    return [by_key[key] for key in keys]


async def load_each(loader: DataLoader[K, V], keys: Iterable[K]) -> dict[K, Outcome[V]]:
    """``loader.load(key)`` for every distinct key; a key that failed maps to its error.

    Unlike ``load_many``, one failed key (a school whose MIS is down) does not fail the rest.

    Raises:
        Exception: anything a load raised that is not a :class:`SchoolgraphError`.
    """
    distinct = list(dict.fromkeys(keys))
    results: list[Any] = await asyncio.gather(
        *(loader.load(key) for key in distinct), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, SchoolgraphError):
            raise result
    return dict(zip(distinct, results, strict=True))


def id_prefix(domain_id: str, parts: int) -> str:
    """The first ``parts`` segments of a composite id: ``("xporter:7109606:150001", 2)`` is
    the school ``"xporter:7109606"``, ``(..., 1)`` the system ``"xporter"``."""
    return ":".join(domain_id.split(":", parts)[:parts])


def missing(domain_id: str, errors: Iterable[SchoolgraphError]) -> SchoolgraphError | None:
    """Why ``domain_id`` is absent from a partial read: the error of its upstream, if any.

    A row missing because its upstream could not be read is that upstream's error, not
    "not found".
    """
    system = id_prefix(domain_id, 1)
    return next((error for error in errors if error.upstream == system), None)


def pick(rows: Outcome[Mapping[str, V]], key: str) -> Outcome[V | None]:
    """``key``'s row of an indexed list read, ``None`` when absent, or the read's error."""
    if isinstance(rows, SchoolgraphError):
        return rows
    return rows.get(key)
