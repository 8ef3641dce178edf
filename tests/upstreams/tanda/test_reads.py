"""Tanda client reads against the simulator: every method, pagination, chunking, windows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from schoolgraph.errors import UpstreamAuthError
from schoolgraph.simulators.tanda.indexes import local_date, org_zone

from .conftest import Clients, Sim, route_count, today

USERS = "/api/v2/users"
SCHEDULES = "/api/v2/schedules"
SHIFTS = "/api/v2/shifts"


async def test_me_and_readiness_name_the_admin(sim: Sim, clients: Clients) -> None:
    client = await clients()
    me = await client.me()
    ready = await client.readiness()
    assert me == ready
    assert me.email == sim.world.credentials.tanda_admin_email
    assert "organisation_admin" in me.permissions
    assert me.organisation_id == 1 and me.valid_subscription
    assert me.zone is not None


async def test_users_match_the_world_with_zones_and_aware_times(sim: Sim, clients: Clients) -> None:
    client = await clients()
    users = await client.users()
    world_users = sim.world.tanda_users
    assert [u.id for u in users] == sorted(i for i, u in world_users.items() if u.active)
    for user in users:
        truth = world_users[user.id]
        assert (user.name, user.email, user.employee_id) == (
            truth.name,
            truth.email,
            truth.employee_id,
        )
        assert user.time_zone == truth.time_zone and user.zone is not None
        assert user.department_ids == tuple(sorted(truth.department_ids))
        assert user.updated_at is not None and user.updated_at.tzinfo is UTC
        assert user.date_of_birth == truth.date_of_birth
    assert await client.inactive_users() == ()


@pytest.mark.parametrize("read_ahead", [1, 2, 3])
async def test_users_are_paginated_transparently(
    sim: Sim, clients: Clients, read_ahead: int
) -> None:
    client = await clients(page_size=10, read_ahead=read_ahead)
    plain = await (await clients(page_size=100)).users(include_inactive=True)
    await sim.stats(reset=True)
    assert await client.users(include_inactive=True) == plain  # same rows, same order
    pages = len(sim.world.tanda_users) // 10 + 1
    asked = route_count(await sim.stats(), "GET", USERS)
    # The pages asked for ahead that turn out to lie past the end are the only extra ones.
    assert pages <= asked <= pages + read_ahead - 1
    if read_ahead == 1:
        assert asked == pages


@pytest.mark.parametrize("read_ahead", [1, 3])
async def test_the_users_list_asks_for_pages_ahead_of_the_last_full_one(
    sim: Sim, clients: Clients, read_ahead: int
) -> None:
    """After a full first page, `read_ahead` pages are open at once; the first page alone."""
    assert len(sim.world.tanda_users) > 20  # five pages of five at least
    await sim.faults(latency_ms=40, paths=[USERS])  # so pages asked together are open together
    client = await clients(page_size=5, read_ahead=read_ahead)
    await client.users()
    [users] = [r for r in (await sim.stats())["routes"] if r["route"] == USERS]
    assert users["peak_in_flight"] == read_ahead


async def test_a_list_narrowed_by_user_ids_is_read_one_page_after_another(
    sim: Sim, clients: Clients
) -> None:
    """Read-ahead is for the lists of the whole organisation (users, teams): a list of 100
    users' shifts is a few pages, and a page asked for past its end would be wasted."""
    await sim.faults(latency_ms=40, paths=[SHIFTS])
    client = await clients(page_size=10, read_ahead=3)
    some = sorted(sim.world.tanda_users)[:50]  # one batch of user ids, one list
    shifts = await client.shifts_for_users(some, today() - timedelta(days=60), today())
    assert len(shifts) > 30  # several pages
    [route] = [r for r in (await sim.stats())["routes"] if r["route"] == SHIFTS]
    assert route["peak_in_flight"] == 1


async def test_inactive_users_come_from_the_same_list(sim: Sim, clients: Clients) -> None:
    victim = sim.employee()
    sim.world.touch("tanda_users", victim, active=False)
    client = await clients()
    assert victim.id not in {u.id for u in await client.users()}
    assert [u.id for u in await client.inactive_users()] == [victim.id]
    assert victim.id in {u.id for u in await client.users(include_inactive=True)}
    assert route_count(await sim.stats(), "GET", USERS) == 1


async def test_users_by_ids_reads_one_list_and_revalidates_once_for_a_missing_id(
    sim: Sim, clients: Clients
) -> None:
    client = await clients()
    some = sorted(sim.world.tanda_users)[:5]
    found = await client.users_by_ids([*some, 999_999_999])  # cold: one read is enough
    assert sorted(found) == some
    assert route_count(await sim.stats(), "GET", USERS) == 1
    assert await client.user(some[0]) == found[some[0]]
    assert route_count(await sim.stats(), "GET", USERS) == 1
    found = await client.users_by_ids([*some, 999_999_999])
    assert sorted(found) == some
    assert route_count(await sim.stats(), "GET", USERS) == 2  # one revalidation, not more


async def test_teams_and_locations(sim: Sim, clients: Clients) -> None:
    client = await clients()
    teams = await client.teams()
    locations = await client.locations()
    assert [t.id for t in teams] == sorted(sim.world.teams)
    assert [loc.id for loc in locations] == sorted(sim.world.locations)
    team = teams[0]
    truth = sim.world.teams[team.id]
    assert team.location_id == truth.location_id
    assert team.staff == tuple(sorted(truth.user_ids))
    assert all(loc.zone is not None for loc in locations)


async def test_an_employee_sees_the_four_field_team_view(sim: Sim, clients: Clients) -> None:
    client = await clients(sim.login(sim.employee()))
    teams = await client.teams()
    assert teams and all(t.staff is None and t.managers is None for t in teams)
    assert [u.id for u in await client.users()] == [sim.employee().id]


async def test_rosters_current_on_date_and_by_id(sim: Sim, clients: Clients) -> None:
    client = await clients()
    current = await client.current_roster()
    assert current is not None
    assert current.start <= local_date_today(sim) <= current.finish
    assert [d.date for d in current.days] == [current.start + timedelta(days=i) for i in range(7)]
    on_date = await client.roster_on(current.start + timedelta(days=3))
    by_id = await client.roster(current.id)
    assert current == by_id
    # by date, the roster is read without its schedules (one nested schedule asked for)
    assert on_date == dataclasses.replace(current, days=())
    truth = {s.id for s in sim.world.schedules.values() if s.roster_id == current.id}
    assert {s.id for s in current.schedules} == truth
    assert await client.roster_on(date(2001, 1, 1)) is None  # 204: no roster
    assert await client.roster(123) is None  # 404


def local_date_today(sim: Sim) -> date:
    return local_date(datetime.now(UTC), org_zone(sim.world))


async def test_schedules_by_ids_are_chunked_by_100(sim: Sim, clients: Clients) -> None:
    client = await clients()
    ids = sorted(sim.world.schedules)[:150]
    found = await client.schedules_by_ids([*ids, *ids[:10]])  # duplicates are sent once
    assert sorted(found) == ids
    assert route_count(await sim.stats(), "GET", SCHEDULES) == 2
    one = found[ids[0]]
    truth = sim.world.schedules[ids[0]]
    assert one.start == truth.start.replace(microsecond=0)
    assert one.roster_id == truth.roster_id and one.published == (
        truth.last_published_at is not None
    )


async def test_schedules_for_users_are_read_in_seven_day_windows(
    sim: Sim, clients: Clients
) -> None:
    client = await clients()
    rosters = sorted(sim.world.rosters.values(), key=lambda r: r.start)
    start, finish = rosters[0].start, rosters[-1].finish  # 4 weeks
    users = sorted(sim.world.tanda_users)[:20]
    schedules = await client.schedules_for_users(users, start, finish)
    weeks = ((finish - start).days + 1 + 6) // 7
    assert route_count(await sim.stats(), "GET", SCHEDULES) == weeks
    schedule_date = sim.state.index.schedule_date
    truth = {
        s.id
        for s in sim.world.schedules.values()
        if s.user_id in users and start <= schedule_date[s.id] <= finish
    }
    assert {s.id for s in schedules} == truth
    starts = [s.start for s in schedules if s.start is not None]
    assert starts == sorted(starts)


async def test_shifts_by_ids_and_for_users_are_paginated(sim: Sim, clients: Clients) -> None:
    client = await clients()
    shifts = await client.shifts_for_users(None, date(2000, 1, 1), today() + timedelta(days=30))
    assert [s.id for s in shifts] == sorted(sim.world.shifts)
    pages = len(sim.world.shifts) // 100 + 1
    assert route_count(await sim.stats(), "GET", SHIFTS) == pages
    some = [s.id for s in shifts[:120]]
    by_id = await client.shifts_by_ids(some)
    assert sorted(by_id) == some
    assert by_id[some[0]] == shifts[0]
    users = sorted({s.user_id for s in shifts})[:3]
    mine = await client.shifts_for_users(users, date(2000, 1, 1), today())
    assert {s.id for s in mine} == {
        s.id for s in sim.world.shifts.values() if s.user_id in users and s.date <= today()
    }


async def test_shift_times_are_aware_utc_and_dates_are_local(sim: Sim, clients: Clients) -> None:
    client = await clients()
    truth = next(s for s in sim.world.shifts.values() if s.start is not None and s.finish)
    shift = (await client.shifts_by_ids([truth.id]))[truth.id]
    assert shift.start is not None and shift.start.tzinfo is UTC
    assert shift.start == truth.start.replace(microsecond=0) if truth.start else False
    assert shift.date == truth.date
    assert shift.status == truth.status and shift.approved == (truth.status == "APPROVED")


async def test_timesheets_current_on_date_and_for_a_user(sim: Sim, clients: Clients) -> None:
    client = await clients()
    current = await client.current_timesheets()
    assert current
    sheet = current[0]
    assert sheet.start <= today() + timedelta(days=1) and sheet.finish >= today() - timedelta(1)
    assert {s.id for s in sheet.shifts} == {
        s.id for s in sim.world.shifts.values() if s.timesheet_id == sheet.id
    }
    on_date = await client.timesheets_on(sheet.start)
    assert sheet.id in {t.id for t in on_date}
    mine = await client.timesheet_for_user(sheet.user_id, sheet.start)
    assert mine == next(t for t in on_date if t.id == sheet.id)
    assert await client.timesheet_for_user(sheet.user_id) is not None
    assert await client.timesheet_for_user(sheet.user_id, date(2001, 1, 1)) is None


async def test_leave_requests_and_balances(sim: Sim, clients: Clients) -> None:
    client = await clients()
    everything = await client.leave_requests(start=date(2000, 1, 1), finish=date(2100, 1, 1))
    assert [r.id for r in everything] == sorted(sim.world.leave_requests)
    first = everything[0]
    assert first.daily_breakdown and first.daily_breakdown[0].date == first.start
    assert await client.leave_requests(ids=[first.id]) == (first,)
    by_user = await client.leave_requests(
        user_ids=[first.user_id], start=first.start, finish=first.finish
    )
    assert first in by_user and all(r.user_id == first.user_id for r in by_user)
    users = sorted(sim.world.tanda_users)
    balances = await client.leave_balances(users)
    assert [b.id for b in balances] == sorted(sim.world.leave_balances)
    assert route_count(await sim.stats(), "GET", "/api/v2/leave_balances") == 1


async def test_organisation_header_is_sent(sim: Sim, clients: Clients) -> None:
    good = await clients(organisation_id=1)
    assert (await good.me()).organisation_id == 1
    wrong = await clients(organisation_id=999)
    with pytest.raises(UpstreamAuthError, match="HTTP 403"):
        await wrong.me()
    assert good.tenant != wrong.tenant
