"""Schools: every configured school in one read, and a school by id on its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from schoolgraph.domain import Partial, School
from schoolgraph.loaders.outcomes import All, Outcome, gather_per_key

if TYPE_CHECKING:
    from schoolgraph.loaders.per_request import Loaders

__all__ = ["batch_all_schools", "batch_schools"]


async def batch_all_schools(
    loaders: Loaders, keys: list[All]
) -> list[Outcome[Partial[Sequence[School]]]]:
    # Directory.schools() does not raise for a down upstream: the failure is in the Partial.
    schools = await loaders.directory.schools()
    return [schools for _ in keys]


async def batch_schools(loaders: Loaders, keys: list[str]) -> list[Outcome[School | None]]:
    """One answer per school id: the school, ``None``, or the error of its upstream.

    Each school asked for is read on its own (a cached read per school): a query about one
    school does not wait for, nor pay for, every other school's details.
    """
    return await gather_per_key(keys, loaders.directory.school)
