"""Schools: every configured school in one read, and schools by id out of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from schoolgraph.domain import Partial, School
from schoolgraph.loaders.outcomes import ALL, All, Outcome, missing

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
    """One answer per school id: the school, ``None``, or the error of its upstream."""
    schools = await loaders.all_schools.load(ALL)
    by_id = {school.id: school for school in schools.value}
    return [by_id[key] if key in by_id else missing(key, schools.errors) for key in keys]
