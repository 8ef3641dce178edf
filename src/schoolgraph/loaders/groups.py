"""Groups: one list read per school, indexed in memory by id, member student and staff."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schoolgraph.domain import Group
from schoolgraph.loaders.outcomes import Outcome, gather_per_key, load_each, pick
from schoolgraph.loaders.people import school_of
from schoolgraph.sources.memo import ListMemo

if TYPE_CHECKING:
    from schoolgraph.loaders.per_request import Loaders

__all__ = ["SchoolGroups", "batch_groups", "batch_groups_by_school"]


@dataclass(frozen=True, slots=True)
class SchoolGroups:
    """A school's groups, and which of them each student and member of staff is in."""

    by_id: Mapping[str, Group]
    by_student: Mapping[str, Sequence[Group]]
    by_staff: Mapping[str, Sequence[Group]]

    @classmethod
    def of(cls, groups: Mapping[str, Group]) -> SchoolGroups:
        by_student: dict[str, list[Group]] = defaultdict(list)
        by_staff: dict[str, list[Group]] = defaultdict(list)
        for group in groups.values():
            for student_id in group.student_ids:
                by_student[student_id].append(group)
            for staff_id in group.staff_ids:
                by_staff[staff_id].append(group)
        return cls(groups, dict(by_student), dict(by_staff))


_INDEXES = ListMemo()
"""Each school's index, rebuilt only when the directory hands out another list of groups
(tens of thousands of memberships at a large school: too many to index per request)."""


async def batch_groups_by_school(loaders: Loaders, keys: list[str]) -> list[Outcome[SchoolGroups]]:
    async def read(school_id: str) -> SchoolGroups:
        groups = await loaders.directory.groups(school_id)
        return _INDEXES.get(school_id, (groups,), lambda: SchoolGroups.of(groups))

    return await gather_per_key(keys, read)


async def batch_groups(loaders: Loaders, keys: list[str]) -> list[Outcome[Group | None]]:
    by_school = await load_each(loaders.groups_by_school, (school_of(key) for key in keys))
    return [pick(_by_id(by_school[school_of(key)]), key) for key in keys]


def _by_id(groups: Outcome[SchoolGroups]) -> Outcome[Mapping[str, Group]]:
    return groups if isinstance(groups, Exception) else groups.by_id
