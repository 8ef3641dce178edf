"""Groups: one list read per school, indexed in memory by id, member student and staff."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Literal

from schoolgraph.domain import Group
from schoolgraph.loaders.outcomes import Outcome, gather_per_key, load_each, pick
from schoolgraph.loaders.people import school_of
from schoolgraph.sources.memo import ListMemo

if TYPE_CHECKING:
    from schoolgraph.loaders.per_request import Loaders

__all__ = ["SchoolGroups", "batch_groups", "batch_groups_by_school"]


class SchoolGroups:
    """A school's groups, and which of them each student and member of staff is in.

    The two membership indexes are built on first use, each on its own: a large school's
    groups hold tens of thousands of memberships, and most reads (a school's groups, a
    group's members) need neither. Built once per list of groups (see `_INDEXES`), so the
    cost is paid at most once while the list is unchanged.
    """

    __slots__ = ("_by_staff", "_by_student", "by_id")

    def __init__(self, by_id: Mapping[str, Group]) -> None:
        self.by_id = by_id
        self._by_student: Mapping[str, Sequence[Group]] | None = None
        self._by_staff: Mapping[str, Sequence[Group]] | None = None

    @classmethod
    def of(cls, groups: Mapping[str, Group]) -> SchoolGroups:
        return cls(groups)

    @property
    def by_student(self) -> Mapping[str, Sequence[Group]]:
        """Student id -> the groups they are in, in the order of `by_id`."""
        if self._by_student is None:
            self._by_student = _members(self.by_id, "student_ids")
        return self._by_student

    @property
    def by_staff(self) -> Mapping[str, Sequence[Group]]:
        """Staff id -> the groups they lead or teach, in the order of `by_id`."""
        if self._by_staff is None:
            self._by_staff = _members(self.by_id, "staff_ids")
        return self._by_staff


def _members(
    groups: Mapping[str, Group], side: Literal["student_ids", "staff_ids"]
) -> Mapping[str, Sequence[Group]]:
    out: dict[str, list[Group]] = defaultdict(list)
    members = attrgetter(side)
    for group in groups.values():
        for member in members(group):
            out[member].append(group)
    return dict(out)


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
