"""Loading rows for a field through the request's loaders, partial answers reported."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

from aiodataloader import DataLoader

from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.arguments import DateWindow
from schoolgraph.graph.extensions.partial_errors import report_partial
from schoolgraph.graph.info import Info
from schoolgraph.loaders import EVERYONE, StaffWindow
from schoolgraph.loaders.outcomes import load_each

__all__ = ["load_for_people", "load_per_key", "load_rows"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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
    outcomes = await load_each(loader, keys)
    errors = [o for o in outcomes.values() if isinstance(o, SchoolgraphError)]
    if errors and strict:
        raise errors[0]
    report_partial(info, errors)
    return [o for o in outcomes.values() if not isinstance(o, SchoolgraphError)]


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
