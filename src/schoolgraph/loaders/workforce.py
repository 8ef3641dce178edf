"""The workforce side (Tanda): batched by date window over every person asked about.

Tanda's list endpoints take ``user_ids`` and a date range, so the keys of one dispatch are
grouped by window and each window costs one Directory read for all its people (the connector
chunks ids and splits long windows into Tanda's 7-day slices). :data:`EVERYONE` in a key asks
for every visible person; a window that holds it is read once, unfiltered.

A window is read for everyone who works where the people asked work (:func:`colleagues`):
the staff of their schools, and every Tanda-only worker when one of those is asked. The
connector sends 100 ids a request and Tanda answers 100 rows a page, so reading exactly the
people asked would cost more requests the more of a school's people a query shows; reading
the school's people costs the same for a form tutor as for the whole staff room. (Reading the
whole organisation's window instead costs the same for every query too, but pages through
every shift of the organisation: at the ``large`` scale 68 requests and a chain of 33 pages
where a school's people cost 35 requests; see the README's Benchmarks.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Hashable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

from schoolgraph.domain import (
    LeaveRequest,
    Location,
    Roster,
    ScheduledShift,
    Shift,
    Team,
    Timesheet,
)
from schoolgraph.errors import SchoolgraphError
from schoolgraph.loaders.outcomes import ALL, All, Outcome, gather_per_key

if TYPE_CHECKING:
    from schoolgraph.loaders.per_request import Loaders

__all__ = [
    "EVERYONE",
    "StaffDay",
    "StaffWindow",
    "Window",
    "batch_current_roster",
    "batch_leave_requests",
    "batch_locations",
    "batch_rosters",
    "batch_rosters_in_window",
    "batch_scheduled_shifts",
    "batch_scheduled_shifts_by_id",
    "batch_shifts",
    "batch_shifts_by_id",
    "batch_teams",
    "batch_timesheets",
    "colleagues",
]

EVERYONE = "*"
"""The ``staff_id`` of a key that asks about every person the gateway can see."""


class Window(NamedTuple):
    """Days from ``start`` to ``end`` inclusive."""

    start: date
    end: date


class StaffWindow(NamedTuple):
    """One person's (or :data:`EVERYONE`'s) rows from ``start`` to ``end`` inclusive."""

    staff_id: str
    start: date
    end: date


class StaffDay(NamedTuple):
    """One person's (or :data:`EVERYONE`'s) timesheets covering ``on``."""

    staff_id: str
    on: date


class _OwnedRow(Protocol):
    @property
    def staff_id(self) -> str | None: ...


R = TypeVar("R", bound=_OwnedRow)
G = TypeVar("G", bound=Hashable)


async def colleagues(loaders: Loaders, asked: Collection[str]) -> list[str]:
    """The people asked, and everyone with a Tanda user who works where they work: the staff
    of their schools, and the Tanda-only workers when one of them is asked.

    Without batching (the naive baseline) only the people asked: widening is batching.
    """
    if not loaders.batch:
        return sorted(asked)
    staff = (await loaders.all_staff.load(ALL)).value
    places = {staff[i].school_id for i in asked if i in staff}
    around = (row.id for row in staff.values() if row.tanda_user_id and row.school_id in places)
    return sorted({*asked, *around})


async def _per_person(
    loaders: Loaders,
    staff_ids: Sequence[str],
    groups: Sequence[G],
    group_of: Sequence[G],
    read: Callable[[G, Collection[str] | None], Awaitable[Sequence[R]]],
) -> list[Outcome[Sequence[R]]]:
    """Read each group (a window) once for all its people and their colleagues; split the
    rows per key."""
    people: dict[G, set[str]] = defaultdict(set)
    for staff_id, group in zip(staff_ids, group_of, strict=True):
        people[group].add(staff_id)

    async def read_group(group: G) -> Mapping[str | None, list[R]]:
        asked = people[group]
        rows = await read(group, None if EVERYONE in asked else await colleagues(loaders, asked))
        by_person: dict[str | None, list[R]] = defaultdict(list)
        for row in rows:
            by_person[row.staff_id].append(row)
            by_person[EVERYONE].append(row)
        return by_person

    read_groups = dict(zip(groups, await gather_per_key(groups, read_group), strict=True))
    answers: list[Outcome[Sequence[R]]] = []
    for staff_id, group in zip(staff_ids, group_of, strict=True):
        rows = read_groups[group]
        answers.append(rows if isinstance(rows, SchoolgraphError) else rows.get(staff_id, []))
    return answers


async def _per_window(
    loaders: Loaders,
    keys: Sequence[StaffWindow],
    read: Callable[[Collection[str] | None, date, date], Awaitable[Sequence[R]]],
) -> list[Outcome[Sequence[R]]]:
    windows = [Window(key.start, key.end) for key in keys]
    return await _per_person(
        loaders,
        [key.staff_id for key in keys],
        list(dict.fromkeys(windows)),
        windows,
        lambda window, staff_ids: read(staff_ids, window.start, window.end),
    )


async def batch_scheduled_shifts(
    loaders: Loaders, keys: list[StaffWindow]
) -> list[Outcome[Sequence[ScheduledShift]]]:
    return await _per_window(loaders, keys, loaders.directory.scheduled_shifts)


async def batch_shifts(loaders: Loaders, keys: list[StaffWindow]) -> list[Outcome[Sequence[Shift]]]:
    return await _per_window(loaders, keys, loaders.directory.shifts)


async def batch_leave_requests(
    loaders: Loaders, keys: list[StaffWindow]
) -> list[Outcome[Sequence[LeaveRequest]]]:
    return await _per_window(loaders, keys, loaders.directory.leave_requests)


async def batch_timesheets(
    loaders: Loaders, keys: list[StaffDay]
) -> list[Outcome[Sequence[Timesheet]]]:
    """One read per pay period the keys touch, not one per day asked about.

    Tanda answers the timesheets holding one day; a pay period spans 7 or 14 days, so the
    read for a period's first day asked about also answers that person's later days in it.
    Days are read in order, and a day whose people are all answered already is skipped.
    """
    everyone = any(key.staff_id == EVERYONE for key in keys)
    people = None if everyone else sorted({key.staff_id for key in keys})
    known: dict[str, Timesheet] = {}
    failed: dict[date, SchoolgraphError] = {}

    def holding(staff_id: str, day: date) -> list[Timesheet]:
        return [
            row
            for row in known.values()
            if (staff_id == EVERYONE or row.staff_id == staff_id) and row.start <= day <= row.finish
        ]

    for day in sorted({key.on for key in keys}):
        asked = {key.staff_id for key in keys if key.on == day}
        if EVERYONE not in asked and all(holding(staff_id, day) for staff_id in asked):
            continue
        try:
            rows = await loaders.directory.timesheets(people, day)
        except SchoolgraphError as problem:
            failed[day] = problem
            continue
        known.update((row.id, row) for row in rows)

    answers: list[Outcome[Sequence[Timesheet]]] = []
    for key in keys:
        rows = holding(key.staff_id, key.on)
        day_error = failed.get(key.on)
        answers.append(day_error if day_error is not None and not rows else rows)
    return answers


async def batch_scheduled_shifts_by_id(
    loaders: Loaders, keys: list[str]
) -> list[Outcome[ScheduledShift | None]]:
    return await _by_ids(keys, loaders.directory.scheduled_shifts_by_ids)


async def batch_shifts_by_id(loaders: Loaders, keys: list[str]) -> list[Outcome[Shift | None]]:
    return await _by_ids(keys, loaders.directory.shifts_by_ids)


V = TypeVar("V")


async def _by_ids(
    keys: list[str], read: Callable[[Collection[str]], Awaitable[Mapping[str, V]]]
) -> list[Outcome[V | None]]:
    try:
        rows = await read(list(dict.fromkeys(keys)))
    except SchoolgraphError as error:
        return [error for _ in keys]
    return [rows.get(key) for key in keys]


async def batch_teams(loaders: Loaders, keys: list[All]) -> list[Outcome[Mapping[str, Team]]]:
    return await gather_per_key(keys, lambda _: loaders.directory.teams())


async def batch_locations(
    loaders: Loaders, keys: list[All]
) -> list[Outcome[Mapping[str, Location]]]:
    return await gather_per_key(keys, lambda _: loaders.directory.locations())


async def batch_rosters_in_window(
    loaders: Loaders, keys: list[Window]
) -> list[Outcome[Sequence[Roster]]]:
    return await gather_per_key(keys, lambda key: loaders.directory.rosters(key.start, key.end))


async def batch_rosters(loaders: Loaders, keys: list[str]) -> list[Outcome[Roster | None]]:
    # Tanda reads rosters one at a time; a query meets one roster per week it spans.
    return await gather_per_key(keys, loaders.directory.roster)


async def batch_current_roster(loaders: Loaders, keys: list[All]) -> list[Outcome[Roster | None]]:
    return await gather_per_key(keys, lambda _: loaders.directory.current_roster())
