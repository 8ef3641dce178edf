"""A school's group index: built once per list of groups, its membership indexes on first use."""

from __future__ import annotations

from collections import defaultdict

from schoolgraph.domain import Group
from schoolgraph.loaders.per_request import Loaders
from schoolgraph.sources import Directory
from tests.sources.conftest import Sims


def _school(sims: Sims) -> tuple[str, int]:
    """The domain id and world id of the world's first Xporter school."""
    school = next(s for s in sims.world.schools.values() if s.system == "xporter")
    return f"xporter:{school.code}", school.id


async def test_the_membership_indexes_hold_every_group_of_every_member(
    sims: Sims, directory: Directory
) -> None:
    school_id, _ = _school(sims)
    groups = await directory.groups(school_id)
    by_student: dict[str, list[Group]] = defaultdict(list)
    by_staff: dict[str, list[Group]] = defaultdict(list)
    for group in groups.values():
        for student_id in group.student_ids:
            by_student[student_id].append(group)
        for staff_id in group.staff_ids:
            by_staff[staff_id].append(group)

    index = await Loaders(directory).groups_by_school.load(school_id)

    assert index.by_id is groups
    assert index.by_student == by_student and index.by_staff == by_staff
    assert index.by_student is index.by_student  # built once


async def test_the_index_is_kept_while_the_groups_are_and_follows_a_change(
    sims: Sims, directory: Directory
) -> None:
    school_id, world_school = _school(sims)
    group = next(g for g in sims.world.groups_of(world_school, type="registration"))
    newcomer = next(s for s in sims.world.staff_of(world_school) if s.id not in group.staff_ids)
    group_id = f"{school_id}:{group.id}"
    staff_id = f"{school_id}:{newcomer.id}"

    first = await Loaders(directory).groups_by_school.load(school_id)
    again = await Loaders(directory).groups_by_school.load(school_id)
    assert again is first
    assert group_id not in {g.id for g in first.by_staff.get(staff_id, ())}

    sims.world.touch("groups", group, staff_ids=[*group.staff_ids, newcomer.id])
    sims.xporter.invalidate()  # as a webhook would: the next read is a fresh list
    changed = await Loaders(directory).groups_by_school.load(school_id)

    assert changed is not first
    assert group_id in {g.id for g in changed.by_staff[staff_id]}
    assert changed.by_id[group_id].staff_ids[-1] == staff_id
