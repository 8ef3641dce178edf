"""Per-school lookups over the world, rebuilt lazily whenever `world.revision` moves.

One pass over the world's tables builds every school's people, groups, memberships and
timetable, so a request costs O(school) once per revision and O(page) after that (the
rendered tables are cached by the app on the same revision).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..dataset import (
    AttendanceMark,
    Contact,
    Group,
    Period,
    School,
    Staff,
    Student,
    StudentContact,
    TimetableEntry,
    World,
)


@dataclass(slots=True)
class SchoolIndex:
    """What one Xporter school holds, with the joins the renderers need."""

    school: School
    zone: ZoneInfo
    students: dict[int, Student] = field(default_factory=dict)  # on roll and leavers
    staff: dict[int, Staff] = field(default_factory=dict)  # current, future and previous
    groups: dict[int, Group] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    links: list[StudentContact] = field(default_factory=list)
    entries: dict[int, TimetableEntry] = field(default_factory=dict)
    periods: dict[int, Period] = field(default_factory=dict)
    groups_of_student: dict[int, list[Group]] = field(default_factory=lambda: defaultdict(list))
    groups_of_staff: dict[int, list[Group]] = field(default_factory=lambda: defaultdict(list))
    links_of_student: dict[int, list[StudentContact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    links_of_contact: dict[int, list[StudentContact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    family: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    joined: dict[int, int | None] = field(default_factory=dict)  # entry -> next entry, doubles
    _marks: dict[int, list[AttendanceMark]] | None = None

    def on_roll(self, student: Student) -> bool:
        return student.leaving_date is None

    def group_of_type(self, student_id: int, kind: str) -> Group | None:
        return next((g for g in self.groups_of_student.get(student_id, ()) if g.type == kind), None)

    def year_marks(self, world: World) -> dict[int, list[AttendanceMark]]:
        """Session marks of every student from the first term's start to today (cached)."""
        if self._marks is None:
            start = self.school.terms[0][0]
            self._marks = {
                sid: world.attendance(sid, start, world.today) for sid in sorted(self.students)
            }
        return self._marks


class WorldIndex:
    """Every Xporter school's `SchoolIndex`, valid for one world at one revision."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.revision = world.revision
        self.schools: dict[str, SchoolIndex] = {}
        by_id: dict[int, SchoolIndex] = {}
        for school in sorted(world.schools.values(), key=lambda s: s.id):
            if school.system != "xporter":
                continue
            index = SchoolIndex(school, ZoneInfo(school.time_zone))
            self.schools[school.code] = index
            by_id[school.id] = index
        for student in world.students.values():
            if (ix := by_id.get(student.school_id)) is not None:
                ix.students[student.id] = student
                ix.family[student.family_code].append(student.id)
        for staff in world.staff.values():
            if (ix := by_id.get(staff.school_id)) is not None:
                ix.staff[staff.id] = staff
        for group in sorted(world.groups.values(), key=lambda g: g.id):
            if (ix := by_id.get(group.school_id)) is None:
                continue
            ix.groups[group.id] = group
            for sid in group.student_ids:
                if sid in ix.students:
                    ix.groups_of_student[sid].append(group)
            for tid in group.staff_ids:
                if tid in ix.staff:
                    ix.groups_of_staff[tid].append(group)
        for contact in world.contacts.values():
            if (ix := by_id.get(contact.school_id)) is not None:
                ix.contacts[contact.id] = contact
        for link in sorted(world.student_contacts.values(), key=lambda sc: sc.id):
            ix = by_id.get(link.school_id)
            if ix is None or link.student_id not in ix.students:
                continue
            if link.contact_id not in ix.contacts:
                continue
            ix.links.append(link)
            ix.links_of_student[link.student_id].append(link)
            ix.links_of_contact[link.contact_id].append(link)
        for period in world.periods.values():
            if (ix := by_id.get(period.school_id)) is not None:
                ix.periods[period.id] = period
        for entry in world.timetable.values():
            if (ix := by_id.get(entry.school_id)) is not None:
                ix.entries[entry.id] = entry
        for ix in by_id.values():
            ix.joined = _doubles(ix)

    def current(self, world: World) -> bool:
        return world is self.world and world.revision == self.revision


def _doubles(ix: SchoolIndex) -> dict[int, int | None]:
    """Each timetable entry's follow-on entry when the same class has the next period too."""
    order: dict[int, list[Period]] = defaultdict(list)
    for period in ix.periods.values():
        order[period.weekday].append(period)
    next_period: dict[int, int] = {}
    for day_periods in order.values():
        day_periods.sort(key=lambda p: p.start)
        for first, second in itertools.pairwise(day_periods):
            next_period[first.id] = second.id
    by_slot = {(e.group_id, e.period_id): e.id for e in ix.entries.values()}
    return {
        entry.id: by_slot.get((entry.group_id, next_period.get(entry.period_id, -1)))
        for entry in ix.entries.values()
    }
