"""Rosters, planned and worked shifts, timesheets, teams, locations and leave over HTTP."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from yarl import URL

from schoolgraph.bench.queries import ROSTER_WEEK
from schoolgraph.simulators.dataset import World
from tests.graph.conftest import Gateway, global_id


def tanda(world: World, native: int) -> str:
    organisation = next(iter(world.organisation.values()))
    return f"tanda:{organisation.id}:{native}"


async def test_teams_and_locations_are_the_worlds(gateway: Gateway) -> None:
    world = gateway.world
    data = await gateway.data(
        """
        {
          teams { domainId name location { domainId } staff { tandaUserId } }
          locations { domainId name timeZone teams { domainId } }
        }
        """
    )

    assert {t["domainId"] for t in data["teams"]} == {tanda(world, t) for t in world.teams}
    for team in data["teams"]:
        row = next(t for t in world.teams.values() if tanda(world, t.id) == team["domainId"])
        assert team["name"] == row.name
        assert team["location"]["domainId"] == tanda(world, row.location_id)
        assert {s["tandaUserId"] for s in team["staff"]} == {str(u) for u in row.user_ids}
    assert {loc["domainId"] for loc in data["locations"]} == {
        tanda(world, loc) for loc in world.locations
    }
    for location in data["locations"]:
        place = next(
            loc for loc in world.locations.values() if tanda(world, loc.id) == location["domainId"]
        )
        assert location["timeZone"] == place.time_zone
        assert {t["domainId"] for t in location["teams"]} == {
            tanda(world, t.id) for t in world.teams.values() if t.location_id == place.id
        }


ROSTER = """
query ($from: Date!, $to: Date!, $team: ID) {
  currentRoster { id domainId start finish }
  rosters(from: $from, to: $to) { domainId start finish }
  current: currentRoster {
    scheduledShifts(teamId: $team) {
      domainId start finish localStart vacant published
      staff { tandaUserId } team { domainId } roster { domainId }
    }
  }
}
"""


async def test_rosters_and_their_scheduled_shifts(gateway: Gateway) -> None:
    world = gateway.world
    roster = world.roster_containing(world.today)
    assert roster is not None
    team = next(t for t in world.teams.values() if t.user_ids)
    start, end = world.today - timedelta(days=14), world.today + timedelta(days=7)

    data = await gateway.data(
        ROSTER,
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "team": global_id("Team", tanda(world, team.id)),
        },
    )

    assert data["currentRoster"]["domainId"] == tanda(world, roster.id)
    assert (data["currentRoster"]["start"], data["currentRoster"]["finish"]) == (
        roster.start.isoformat(),
        roster.finish.isoformat(),
    )
    assert [r["domainId"] for r in data["rosters"]] == [
        tanda(world, r.id)
        for r in sorted(world.rosters.values(), key=lambda r: r.start)
        if r.start <= end and r.finish >= start
    ]
    schedules = sorted(
        (
            s
            for s in world.schedules.values()
            if s.roster_id == roster.id and s.department_id == team.id
        ),
        key=lambda s: (s.start, s.id),
    )
    shifts = data["current"]["scheduledShifts"]
    assert [s["domainId"] for s in shifts] == [tanda(world, s.id) for s in schedules]
    for answered, schedule in zip(shifts, schedules, strict=True):
        assert answered["start"] == schedule.start.astimezone(UTC).isoformat()
        assert answered["vacant"] is (schedule.user_id is None)
        assert answered["published"] is (schedule.last_published_at is not None)
        assert answered["team"]["domainId"] == tanda(world, team.id)
        assert answered["roster"]["domainId"] == tanda(world, roster.id)
        if schedule.user_id is not None:
            assert answered["staff"]["tandaUserId"] == str(schedule.user_id)
            zone = world.tanda_users[schedule.user_id].time_zone
            local = schedule.start.astimezone(ZoneInfo(zone))
            assert answered["localStart"] == local.isoformat()


async def test_a_roster_weeks_shifts_come_with_their_staff_and_teams_in_one_loop(
    gateway: Gateway, completed_objects: list[str]
) -> None:
    """The bench's roster week: each shift's ``staff`` and ``team`` (declared ``inline``) are
    answered in the loop over the shifts, no shift, person or team completed by graphql-core
    (graph/plain_fields.py); the answers are the world's."""
    world = gateway.world
    roster = world.roster_containing(world.today)
    assert roster is not None
    window = {"from": roster.start.isoformat(), "to": roster.finish.isoformat()}

    data = await gateway.data(ROSTER_WEEK, window)

    (answered,) = data["rosters"]
    schedules = sorted(
        (s for s in world.schedules.values() if s.roster_id == roster.id),
        key=lambda s: (s.start, s.id),
    )
    shifts = answered["scheduledShifts"]
    assert len(shifts) == len(schedules) > 100
    for shift, schedule in zip(shifts, schedules, strict=True):
        assert shift["id"] == global_id("ScheduledShift", tanda(world, schedule.id))
        assert (shift["staff"] is None) is (schedule.user_id is None)
        assert schedule.department_id is not None
        assert shift["team"]["name"] == world.teams[schedule.department_id].name
    assert {"ScheduledShift", "Staff", "Team"}.isdisjoint(completed_objects)


ROSTERS = "query ($from: Date!, $to: Date!) { rosters(from: $from, to: $to) { domainId } }"


async def test_a_roster_week_is_one_read_and_each_other_week_one_more(gateway: Gateway) -> None:
    world = gateway.world
    roster = world.roster_containing(world.today)
    assert roster is not None

    async def rosters(start: date, end: date) -> tuple[list[str], int]:
        await gateway.sim_requests()  # resets the counters
        data = await gateway.data(ROSTERS, {"from": start.isoformat(), "to": end.isoformat()})
        url = URL(gateway.simulators.urls["tanda"]) / "__sim" / "stats"
        async with gateway.http.get(url) as response:
            routes = (await response.json())["routes"]
        reads = sum(r["count"] for r in routes if r["route"] == "/api/v2/rosters/on/{date}")
        return [r["domainId"] for r in data["rosters"]], reads

    def truth(start: date, end: date) -> list[str]:
        weeks = sorted(world.rosters.values(), key=lambda r: r.start)
        return [tanda(world, r.id) for r in weeks if r.start <= end and r.finish >= start]

    week = (roster.start, roster.finish)  # the roster's own week: one read
    assert await rosters(*week) == (truth(*week), 1)
    shifted = (roster.start + timedelta(days=3), roster.finish + timedelta(days=3))
    assert await rosters(*shifted) == (truth(*shifted), 2)  # two weeks, the second after
    weeks = (roster.start - timedelta(days=13), roster.start + timedelta(days=1))
    assert len(truth(*weeks)) == 3
    assert await rosters(*weeks) == (truth(*weeks), 3)  # 15 days over 3 weeks: a read each


SHIFTS = """
query ($from: Date!, $to: Date!, $staff: [ID!], $team: ID, $status: ShiftStatus, $first: Int) {
  shifts(from: $from, to: $to, staffIds: $staff, teamId: $team, status: $status, first: $first) {
    totalCount
    nodes {
      domainId date status
      team { domainId } location { domainId timeZone }
      timesheet { domainId status shifts { domainId } staff { tandaUserId } }
    }
  }
}
"""


async def test_worked_shifts_filtered_by_window_team_and_status(gateway: Gateway) -> None:
    world = gateway.world
    start, end = world.today - timedelta(days=6), world.today
    team = next(t for t in world.teams.values() if t.user_ids)
    in_window = [s for s in world.shifts.values() if start <= s.date <= end]

    everything = (
        await gateway.data(SHIFTS, {"from": start.isoformat(), "to": end.isoformat(), "first": 500})
    )["shifts"]
    of_team = (
        await gateway.data(
            SHIFTS,
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "team": global_id("Team", tanda(world, team.id)),
                "status": "APPROVED",
                "first": 500,
            },
        )
    )["shifts"]

    assert {s["domainId"] for s in everything["nodes"]} == {tanda(world, s.id) for s in in_window}
    assert everything["totalCount"] == len(in_window)
    assert {s["domainId"] for s in of_team["nodes"]} == {
        tanda(world, s.id)
        for s in in_window
        if s.department_id == team.id and s.status == "APPROVED"
    }
    for node in everything["nodes"]:
        shift = next(s for s in in_window if tanda(world, s.id) == node["domainId"])
        timesheet = world.timesheets[shift.timesheet_id]
        assert node["timesheet"]["domainId"] == tanda(world, timesheet.id)
        assert node["timesheet"]["status"] == timesheet.status.upper()
        assert node["timesheet"]["staff"]["tandaUserId"] == str(shift.user_id)
        assert {s["domainId"] for s in node["timesheet"]["shifts"]} == {
            tanda(world, s.id) for s in world.shifts.values() if s.timesheet_id == timesheet.id
        }
        if shift.department_id is not None:
            location = world.locations[world.teams[shift.department_id].location_id]
            assert node["location"] == {
                "domainId": tanda(world, location.id),
                "timeZone": location.time_zone,
            }


async def test_scheduled_shifts_of_some_people(gateway: Gateway) -> None:
    world = gateway.world
    roster = world.roster_containing(world.today)
    assert roster is not None
    users = sorted(
        {s.user_id for s in world.schedules.values() if s.user_id and s.roster_id == roster.id}
    )[:3]
    staff_ids = [
        global_id("Staff", tanda(world, u))
        if world.tanda_users[u].mis_staff_id is None
        else global_id("Staff", mis(world, world.tanda_users[u].mis_staff_id or 0))
        for u in users
    ]

    data = await gateway.data(
        """
        query ($from: Date!, $to: Date!, $staff: [ID!]) {
          scheduledShifts(from: $from, to: $to, staffIds: $staff, first: 500) {
            totalCount nodes { domainId staff { tandaUserId } }
          }
        }
        """,
        {"from": roster.start.isoformat(), "to": roster.finish.isoformat(), "staff": staff_ids},
    )

    nodes = data["scheduledShifts"]["nodes"]
    assert nodes
    assert {n["staff"]["tandaUserId"] for n in nodes} <= {str(u) for u in users}
    assert {n["domainId"] for n in nodes} <= {
        tanda(world, s.id) for s in world.schedules.values() if s.user_id in users
    }


def mis(world: World, staff_id: int) -> str:
    staff = world.staff[staff_id]
    school = world.schools[staff.school_id]
    native = str(staff.id) if school.system == "xporter" else None
    assert native is not None, "pick Xporter staff in tests that need their id"
    return f"{school.system}:{school.code}:{native}"


async def test_leave_requests_overlapping_a_window(gateway: Gateway) -> None:
    world = gateway.world
    start, end = world.today - timedelta(days=30), world.today + timedelta(days=30)

    data = await gateway.data(
        """
        query ($from: Date!, $to: Date!) {
          all: leaveRequests(from: $from, to: $to) { domainId start finish staff { tandaUserId } }
          approved: leaveRequests(from: $from, to: $to, status: "approved") { domainId }
        }
        """,
        {"from": start.isoformat(), "to": end.isoformat()},
    )

    overlapping = [r for r in world.leave_requests.values() if r.start <= end and r.finish >= start]
    assert {r["domainId"] for r in data["all"]} == {tanda(world, r.id) for r in overlapping}
    assert {r["domainId"] for r in data["approved"]} == {
        tanda(world, r.id) for r in overlapping if r.status == "approved"
    }
    for node in data["all"]:
        row = next(r for r in overlapping if tanda(world, r.id) == node["domainId"])
        assert node["staff"]["tandaUserId"] == str(row.user_id)
