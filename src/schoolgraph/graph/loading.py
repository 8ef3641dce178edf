"""Loading rows for a field through the request's loaders, partial answers reported.

A list field whose rows point at people or teams (a roster's shifts, each with its
``staff``) reads what they point at *with* the rows (:func:`with_references`): the rows'
own fields then answer at once from what the request has loaded (``Loader.settled``),
instead of each awaiting a loader, and the reads run concurrently instead of one after
the other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import TypeVar, cast

from aiodataloader import DataLoader
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.arguments import DateWindow
from schoolgraph.graph.extensions.partial_errors import report_partial
from schoolgraph.graph.info import Info, loaders
from schoolgraph.loaders import EVERYONE, StaffWindow
from schoolgraph.loaders.outcomes import ALL, load_each

__all__ = [
    "load_for_people",
    "load_keyed",
    "load_per_key",
    "load_rows",
    "selected",
    "with_references",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")

PEOPLE_FIELDS = frozenset({"staff", "localStart", "localFinish"})
"""Fields of a workforce row that read the people of the request."""
TEAM_FIELDS = frozenset({"team", "location", "localStart", "localFinish"})
"""Fields of a workforce row that read the teams (and their locations)."""
_CONTAINERS = frozenset({"nodes", "edges", "node"})


def selected(info: Info) -> frozenset[str]:
    """The fields the query selects on the objects this field answers: on its list's items,
    or on a connection's nodes (``nodes``, ``edges { node }``), through fragments.

    Worked out once per field of the query and request: every object the field is asked of
    (each tutor's ``scheduledShifts``) has the same selection, and strawberry builds
    ``selected_fields`` anew on each call, its arguments converted.
    """
    key = tuple(map(id, info._raw_info.field_nodes))  # the nodes live as long as the request
    memo = info.context.selections
    found = memo.get(key)
    if found is None:
        found = memo[key] = _selected(info)
    return found


def _selected(info: Info) -> frozenset[str]:
    names: set[str] = set()

    def walk(selections: Iterable[Selection]) -> None:
        for selection in selections:
            if isinstance(selection, InlineFragment | FragmentSpread):
                walk(selection.selections)
            elif isinstance(selection, SelectedField):
                names.add(selection.name)
                if selection.name in _CONTAINERS:
                    walk(selection.selections)

    for field in info.selected_fields:
        walk(field.selections)
    return frozenset(names)


async def with_references(info: Info, rows: Awaitable[R], fields: AbstractSet[str]) -> R:
    """``await rows``, reading alongside what the selected ``fields`` of the rows need.

    Errors of those reads are left for the rows' fields to meet (each answers null with its
    error, as it would had it read alone); the rows' own error propagates.
    """
    extra: list[Awaitable[object]] = []
    if fields & PEOPLE_FIELDS:
        extra.append(loaders(info).all_staff.load(ALL))
    if fields & TEAM_FIELDS:
        extra.append(loaders(info).teams.load(ALL))
    if "location" in fields or fields & {"localStart", "localFinish"}:
        extra.append(loaders(info).locations.load(ALL))
    if not extra:
        return await rows
    found, *others = await asyncio.gather(rows, *extra, return_exceptions=True)
    for other in others:
        if isinstance(other, BaseException) and not isinstance(other, SchoolgraphError):
            raise other
    if isinstance(found, BaseException):
        raise found
    return cast(R, found)


async def load_rows(info: Info, loader: DataLoader[K, V | None], keys: Iterable[K]) -> list[V]:
    """The rows of ``keys`` that exist, in key order.

    A key whose upstream failed is left out and its error reported against this field, so a
    group whose Tanda-only staff cannot be read still lists its school staff.
    """
    keys = list(keys)
    outcomes = await load_each(loader, keys)
    errors = [o for o in outcomes.values() if isinstance(o, SchoolgraphError)]
    report_partial(info, errors)
    rows: list[V] = []
    for key in dict.fromkeys(keys):
        row = outcomes[key]
        if row is not None and not isinstance(row, SchoolgraphError):
            rows.append(row)
    return rows


async def load_per_key(
    info: Info, loader: DataLoader[K, V], keys: Iterable[K], *, strict: bool
) -> list[V]:
    """The answers for ``keys`` (say, schools) that could be read.

    Args:
        strict: The caller named the keys (``schoolId``): a failed key fails the field.
            Otherwise (every school) a failed key is left out and its error reported.

    Raises:
        SchoolgraphError: with ``strict``, the first error a key met.
    """
    return list((await load_keyed(info, loader, keys, strict=strict)).values())


async def load_keyed(
    info: Info, loader: DataLoader[K, V], keys: Iterable[K], *, strict: bool
) -> dict[K, V]:
    """As :func:`load_per_key`, by key."""
    outcomes = await load_each(loader, keys)
    errors = [o for o in outcomes.values() if isinstance(o, SchoolgraphError)]
    if errors and strict:
        raise errors[0]
    report_partial(info, errors)
    return {k: o for k, o in outcomes.items() if not isinstance(o, SchoolgraphError)}


async def load_for_people(
    loader: DataLoader[StaffWindow, Sequence[V]],
    staff_ids: Sequence[str] | None,
    window: DateWindow,
) -> list[V]:
    """The rows of ``staff_ids`` (everyone's when None) in ``window``, from one batch.

    Raises:
        SchoolgraphError: the upstream read failed; the field answers null with this error.
    """
    people = [EVERYONE] if staff_ids is None else list(dict.fromkeys(staff_ids))
    outcomes = await load_each(loader, (StaffWindow(p, window.start, window.end) for p in people))
    rows: list[V] = []
    for outcome in outcomes.values():
        if isinstance(outcome, SchoolgraphError):
            raise outcome
        rows.extend(outcome)
    return rows
