"""Rosters, shifts, timesheets and leave of a set of staff, against the world; then writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from schoolgraph.domain import Staff
from schoolgraph.errors import BadRequestError
from schoolgraph.simulators.dataset import World
from schoolgraph.simulators.tanda.indexes import local_date, schedule_zone
from schoolgraph.sources import Directory

from .conftest import TODAY, Sims

WEEK = (date(2026, 11, 16), date(2026, 11, 22))


def native(domain_id: str) -> int:
    return int(domain_id.rsplit(":", 1)[1])


async def some_staff(directory: Directory, world: World) -> dict[str, Staff]:
    """Two Xporter people and one TASS person with Tanda users, the leaver, an agency worker,
    and one person with no Tanda user (who contributes nothing)."""
    staff = (await directory.staff()).value.values()
    with_user = [p for p in staff if p.tanda_user_id and p.school_id]
    picked = [p for p in with_user if p.school_id and p.school_id.startswith("xporter")][:2]
    picked += [p for p in with_user if p.school_id == "tass:01"][:1]
    picked += [p for p in with_user if not p.active][:1]
    picked += [p for p in staff if p.school_id is None and p.display_name != "Admin"][:1]
    picked += [p for p in staff if p.tanda_user_id is None][:1]
    assert len(picked) == 6
    return {p.id: p for p in picked}


def users_of(people: dict[str, Staff]) -> dict[int, str]:
    return {native(p.tanda_user_id): p.id for p in people.values() if p.tanda_user_id}


async def test_scheduled_shifts_of_some_staff_map_to_the_right_people(sims: Sims) -> None:
    world, directory = sims.world, sims.directory()
    people = await some_staff(directory, world)
    users = users_of(people)

    shifts = await directory.scheduled_shifts(list(people), *WEEK)

    expected = {
        s.id: users[s.user_id]
        for s in world.schedules.values()
        if s.user_id in users and WEEK[0] <= local_date(s.start, schedule_zone(world, s)) <= WEEK[1]
    }
    assert expected
    assert {native(s.id): s.staff_id for s in shifts} == expected
    for shift in shifts:
        truth = world.schedules[native(shift.id)]
        assert shift.start == truth.start and shift.finish == truth.finish
        assert shift.roster_id == f"tanda:1:{truth.roster_id}"


async def test_everyones_scheduled_shifts_include_vacant_ones(sims: Sims) -> None:
    world = sims.world

    shifts = await sims.directory().scheduled_shifts(None, *WEEK)

    expected = {
        s.id
        for s in world.schedules.values()
        if WEEK[0] <= local_date(s.start, schedule_zone(world, s)) <= WEEK[1]
    }
    assert {native(s.id) for s in shifts} == expected


async def test_everyones_scheduled_shifts_are_built_while_tandas_users_are_still_coming(
    sims: Sims,
) -> None:
    """A week of everyone's schedules is read alongside the identity merge, whose last page
    of users comes long after: the shifts are built from the schedules as they arrive (held
    here by a hang on Tanda's users), and only their staff are set after the merge."""
    world, directory = sims.world, sims.directory()
    tanda = directory._tanda
    assert tanda is not None
    await tanda.tenant()  # the organisation, read from `/users/me`, which the hang would hold
    await sims.faults("tanda", hang=True, paths=["/api/v2/users"])
    read = asyncio.create_task(directory.scheduled_shifts(None, *WEEK))
    try:
        async with asyncio.timeout(10):
            while not len(tanda._unassigned_schedules):  # what the test is about
                assert not read.done()
                await asyncio.sleep(0.01)
    finally:
        await sims.faults("tanda", clear=True)
    shifts = await read

    staff = (await directory.staff()).value.values()
    users = {native(p.tanda_user_id): p.id for p in staff if p.tanda_user_id}
    expected = {
        s.id: users.get(s.user_id, f"tanda:1:{s.user_id}") if s.user_id is not None else None
        for s in world.schedules.values()
        if WEEK[0] <= local_date(s.start, schedule_zone(world, s)) <= WEEK[1]
    }
    assert {native(s.id): s.staff_id for s in shifts} == expected
    assert sum(1 for s in shifts if s.staff_id in users.values()) > len(shifts) / 2


async def test_shifts_timesheets_and_leave_of_some_staff(sims: Sims) -> None:
    world, directory = sims.world, sims.directory()
    people = await some_staff(directory, world)
    users = users_of(people)
    leave_window = (TODAY - timedelta(days=60), TODAY + timedelta(days=60))

    shifts = await directory.shifts(list(people), *WEEK)
    sheets = await directory.timesheets(list(people), TODAY)
    leave = await directory.leave_requests(list(people), *leave_window)

    assert {native(s.id): s.staff_id for s in shifts} == {
        s.id: users[s.user_id]
        for s in world.shifts.values()
        if s.user_id in users and WEEK[0] <= s.date <= WEEK[1]
    }
    assert {native(t.id): t.staff_id for t in sheets} == {
        t.id: users[t.user_id]
        for t in world.timesheets.values()
        if t.user_id in users and t.start <= TODAY <= t.finish
    }
    assert {native(x.id): x.staff_id for x in leave} == {
        x.id: users[x.user_id]
        for x in world.leave_requests.values()
        if x.user_id in users and x.start <= leave_window[1] and x.finish >= leave_window[0]
    }
    for shift in shifts:
        truth = world.shifts[native(shift.id)]
        assert shift.timesheet_id == f"tanda:1:{truth.timesheet_id}"
        assert shift.status == truth.status and shift.date == truth.date


async def test_staff_without_a_tanda_user_have_no_shifts(sims: Sims) -> None:
    directory = sims.directory()
    staff = (await directory.staff()).value.values()
    nobody = [p.id for p in staff if p.tanda_user_id is None][:3]

    assert await directory.shifts(nobody, *WEEK) == []
    assert await directory.scheduled_shifts(nobody, *WEEK) == []
    assert await directory.timesheets(nobody, TODAY) == []


async def test_teams_locations_and_rosters(sims: Sims) -> None:
    world, directory = sims.world, sims.directory()
    staff = (await directory.staff()).value
    person_of_user = {native(p.tanda_user_id): p.id for p in staff.values() if p.tanda_user_id}

    teams = await directory.teams()
    locations = await directory.locations()
    rosters = await directory.rosters(*WEEK)
    current = await directory.current_roster()

    assert {native(t) for t in teams} == set(world.teams)
    for team in teams.values():
        truth = world.teams[native(team.id)]
        assert team.location_id in locations
        assert set(team.staff_ids) == {person_of_user[u] for u in truth.user_ids}
    assert [(r.start, r.finish) for r in rosters] == [(WEEK[0], WEEK[1])]
    assert current is not None and current.start <= TODAY <= current.finish
    assert await directory.roster(current.id) == current


async def test_a_created_shift_is_read_back_and_can_be_changed_and_deleted(sims: Sims) -> None:
    directory = sims.directory()
    staff = (await directory.staff()).value.values()
    person = next(p for p in staff if p.tanda_user_id and p.school_id == "xporter:7109606")
    zone = ZoneInfo("Europe/London")
    start = datetime(2026, 11, 23, 9, 0, tzinfo=zone)
    finish = datetime(2026, 11, 23, 17, 0, tzinfo=zone)
    await directory.shifts([person.id], TODAY, TODAY)  # warm the cache first

    created = await directory.create_shift(person.id, TODAY, start, finish, break_minutes=30)

    assert created.staff_id == person.id and created.break_minutes == 30
    assert created.start == start.astimezone(UTC)
    assert created.id in {s.id for s in await directory.shifts([person.id], TODAY, TODAY)}

    later = finish + timedelta(hours=1)
    updated = await directory.update_shift(created.id, finish=later)
    assert updated.finish == later.astimezone(UTC) and updated.break_minutes == 30
    (approved,) = await directory.approve_shifts([created.id])
    assert approved.status == "APPROVED"
    assert (await directory.shifts_by_ids([created.id]))[created.id].status == "APPROVED"

    await directory.delete_shift(created.id)
    assert created.id not in {s.id for s in await directory.shifts([person.id], TODAY, TODAY)}


async def test_a_scheduled_shift_is_created_made_vacant_and_published(sims: Sims) -> None:
    directory = sims.directory()
    staff = (await directory.staff()).value.values()
    person = next(p for p in staff if p.tanda_user_id and p.school_id)
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    finish = start + timedelta(hours=6)
    day = date(2026, 11, 26)

    created = await directory.create_scheduled_shift(person.id, start, finish, break_minutes=20)

    assert (created.staff_id, created.break_minutes) == (person.id, 20)
    assert created.id in {s.id for s in await directory.scheduled_shifts([person.id], day, day)}
    vacant = await directory.update_scheduled_shift(created.id, staff_id=None)
    assert vacant.staff_id is None
    (published,) = await directory.publish_scheduled_shifts([created.id])
    assert published.published_at is not None
    assert (await directory.scheduled_shifts_by_ids([created.id]))[created.id].staff_id is None


async def test_writes_are_validated_field_by_field(sims: Sims) -> None:
    directory = sims.directory()
    staff = (await directory.staff()).value.values()
    person = next(p for p in staff if p.tanda_user_id)
    nobody = next(p for p in staff if p.tanda_user_id is None)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    with pytest.raises(BadRequestError, match="finish"):
        await directory.create_shift(person.id, TODAY, start, start - timedelta(hours=1))
    with pytest.raises(BadRequestError, match="break_minutes"):
        await directory.create_shift(
            person.id, TODAY, start, start + timedelta(hours=1), break_minutes=90
        )
    with pytest.raises(BadRequestError, match="no Tanda user"):
        await directory.create_shift(nobody.id, TODAY, start, start + timedelta(hours=1))
    with pytest.raises(BadRequestError, match="team_id"):
        await directory.create_shift(
            person.id, TODAY, start, start + timedelta(hours=1), team_id="xporter:1:2"
        )
    with pytest.raises(BadRequestError, match="colour"):
        await directory.update_shift("tanda:1:1", colour="red")
    with pytest.raises(BadRequestError, match="shift_id"):
        await directory.update_shift("xporter:1:1", status="APPROVED")
