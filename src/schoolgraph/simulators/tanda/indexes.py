"""Lookup tables over the world's workforce records, so list endpoints stay O(result).

Built lazily and kept until `world.revision` moves. While the simulator's world listener is
attached it records which tables changed, and only those tables' indexes are rebuilt (plus
the schedule dates when users, teams or locations change, because a schedule's local date
follows its user's time zone). Without that record, everything is rebuilt.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from ..dataset import Schedule, World

TANDA_TABLES: frozenset[str] = frozenset(
    {
        "organisation",
        "locations",
        "teams",
        "tanda_users",
        "rosters",
        "schedules",
        "timesheets",
        "shifts",
        "leave_requests",
        "leave_balances",
    }
)
_ZONE_TABLES = frozenset({"organisation", "locations", "teams", "tanda_users"})


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A cached ZoneInfo."""
    return ZoneInfo(name)


def org_zone(world: World) -> str:
    org = world.organisation.get(min(world.organisation, default=0))
    return org.time_zone if org is not None else "UTC"


def schedule_zone(world: World, schedule: Schedule) -> str:
    """The time zone a schedule's `date` is read in: its user's, else its team location's."""
    if schedule.user_id is not None:
        user = world.tanda_users.get(schedule.user_id)
        if user is not None:
            return user.time_zone
    if schedule.department_id is not None:
        team = world.teams.get(schedule.department_id)
        location = world.locations.get(team.location_id) if team is not None else None
        if location is not None:
            return location.time_zone
    return org_zone(world)


def local_date(moment: datetime, zone_name: str) -> date:
    return moment.astimezone(zone(zone_name)).date()


class WorldIndex:
    """Id lists keyed by what the endpoints filter on; every list is in ascending id order."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.users: list[int] = []
        self.users_by_email: dict[str, list[int]] = {}
        self.schedules_by_user: dict[int | None, list[int]] = {}
        self.schedules_by_roster: dict[int, list[int]] = {}
        self.schedules_by_date: dict[date, list[int]] = {}
        self.schedule_date: dict[int, date] = {}
        self.shifts_by_user: dict[int, list[int]] = {}
        self.shifts_by_date: dict[date, list[int]] = {}
        self.shifts_by_timesheet: dict[int, list[int]] = {}
        self.timesheets_by_user: dict[int, list[int]] = {}
        self.leave_by_user: dict[int, list[int]] = {}
        self.balances_by_user: dict[int, list[int]] = {}
        self.rosters_by_start: dict[date, int] = {}
        self.rebuild(None)

    def rebuild(self, tables: set[str] | None) -> None:
        """Rebuild the indexes of `tables` (all when None)."""

        def wanted(*names: str) -> bool:
            return tables is None or any(name in tables for name in names)

        if wanted("tanda_users"):
            self._users()
        if wanted("schedules", *_ZONE_TABLES):
            self._schedules()
        if wanted("shifts"):
            self._shifts()
        if wanted("timesheets"):
            by_user: defaultdict[int, list[int]] = defaultdict(list)
            for sheet in sorted(self.world.timesheets.values(), key=lambda t: (t.start, t.id)):
                by_user[sheet.user_id].append(sheet.id)
            self.timesheets_by_user = dict(by_user)
        if wanted("leave_requests"):
            self.leave_by_user = _by_user(self.world.leave_requests)
        if wanted("leave_balances"):
            self.balances_by_user = _by_user(self.world.leave_balances)
        if wanted("rosters"):
            self.rosters_by_start = {}
            for roster_id in sorted(self.world.rosters):
                self.rosters_by_start.setdefault(self.world.rosters[roster_id].start, roster_id)

    def _users(self) -> None:
        self.users = sorted(self.world.tanda_users)
        by_email: defaultdict[str, list[int]] = defaultdict(list)
        for user_id in self.users:
            email = self.world.tanda_users[user_id].email
            if email:
                by_email[email.lower()].append(user_id)
        self.users_by_email = dict(by_email)

    def _schedules(self) -> None:
        world = self.world
        by_user: defaultdict[int | None, list[int]] = defaultdict(list)
        by_roster: defaultdict[int, list[int]] = defaultdict(list)
        by_date: defaultdict[date, list[int]] = defaultdict(list)
        dates: dict[int, date] = {}
        for schedule_id in sorted(world.schedules):
            schedule = world.schedules[schedule_id]
            by_user[schedule.user_id].append(schedule_id)
            by_roster[schedule.roster_id].append(schedule_id)
            day = local_date(schedule.start, schedule_zone(world, schedule))
            dates[schedule_id] = day
            by_date[day].append(schedule_id)
        self.schedules_by_user = dict(by_user)
        self.schedules_by_roster = dict(by_roster)
        self.schedules_by_date = dict(by_date)
        self.schedule_date = dates

    def _shifts(self) -> None:
        by_user: defaultdict[int, list[int]] = defaultdict(list)
        by_date: defaultdict[date, list[int]] = defaultdict(list)
        by_sheet: defaultdict[int, list[int]] = defaultdict(list)
        for shift_id in sorted(self.world.shifts):
            shift = self.world.shifts[shift_id]
            by_user[shift.user_id].append(shift_id)
            by_date[shift.date].append(shift_id)
            by_sheet[shift.timesheet_id].append(shift_id)
        self.shifts_by_user = dict(by_user)
        self.shifts_by_date = dict(by_date)
        self.shifts_by_timesheet = dict(by_sheet)


class _OwnedByUser(Protocol):
    @property
    def user_id(self) -> int: ...


def _by_user(rows: Mapping[int, _OwnedByUser]) -> dict[int, list[int]]:
    out: defaultdict[int, list[int]] = defaultdict(list)
    for row_id in sorted(rows):
        out[rows[row_id].user_id].append(row_id)
    return dict(out)


class IndexCache:
    """Hands out an up-to-date `WorldIndex` for whichever world is current.

    Reads render on several threads at once (`..access`); the first to find the world
    moved rebuilds the index while the others wait for it, so none sees a half-built one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: WorldIndex | None = None
        self._revision = -1
        self._dirty: set[str] = set()
        self._tracking = False

    def track(self, enabled: bool) -> None:
        """Changes are (or stop being) reported through `note_change`."""
        self._tracking = enabled
        self._index = None

    def note_change(self, table: str) -> None:
        if table in TANDA_TABLES:
            self._dirty.add(table)

    def get(self, world: World) -> WorldIndex:
        with self._lock:
            return self._current(world)

    def _current(self, world: World) -> WorldIndex:
        index = self._index
        stale = index is None or index.world is not world
        if index is not None and not stale and world.revision != self._revision:
            if self._tracking:
                index.rebuild(self._dirty)
            else:
                stale = True
        if index is None or stale:
            index = self._index = WorldIndex(world)
        self._revision = world.revision
        self._dirty = set()
        return index
