"""Staff over HTTP: one person across MIS and Tanda, their groups, lessons and workforce side."""

from __future__ import annotations

from datetime import UTC, timedelta

from yarl import URL

from schoolgraph.simulators.dataset import TandaUser, World
from tests.graph.conftest import Gateway, global_id

ALL_STAFF = """
{
  staff(first: 500) {
    totalCount
    nodes {
      domainId displayName matchRule tandaUserId
      sources { system tenant upstreamId matchedBy }
      matchCandidates { domainId }
    }
  }
}
"""


def tanda_id(world: World, user: TandaUser) -> str:
    organisation = next(iter(world.organisation.values()))
    return f"tanda:{organisation.id}:{user.id}"


def mis_id(world: World, staff_id: int) -> str:
    staff = world.staff[staff_id]
    school = world.schools[staff.school_id]
    assert school.system == "xporter"
    return f"xporter:{school.code}:{staff.id}"


async def test_every_merge_is_the_same_person_in_truth(gateway: Gateway) -> None:
    world = gateway.world
    nodes = (await gateway.data(ALL_STAFF))["staff"]["nodes"]

    users = {str(user.id): user for user in world.tanda_users.values()}
    merged = [n for n in nodes if len(n["sources"]) == 2]
    assert merged, "the demo world merges school staff with their Tanda users"
    for node in merged:
        mis, tanda = node["sources"]
        assert tanda["system"] == "TANDA" and tanda["matchedBy"] is not None
        assert node["matchRule"] is not None and tanda["matchedBy"].startswith(node["matchRule"])
        user = users[tanda["upstreamId"]]
        assert node["tandaUserId"] == tanda["upstreamId"]
        # The world's ground truth, never served by any simulator.
        if mis["system"] == "XPORTER":
            assert user.mis_staff_id == int(mis["upstreamId"])

    # Every Tanda user is exactly one person; Tanda-only workers are Staff too.
    tanda_refs = [
        ref["upstreamId"] for n in nodes for ref in n["sources"] if ref["system"] == "TANDA"
    ]
    assert sorted(tanda_refs) == sorted(users)
    assert len(nodes) == len({n["domainId"] for n in nodes})


async def test_an_ambiguous_match_stays_split_and_shows_its_candidates(gateway: Gateway) -> None:
    world = gateway.world
    # Give a teacher of the second school the staff code of a merged teacher of the first:
    # the Tanda user whose employee_id is that code now fits two people.
    user = next(
        u
        for u in world.tanda_users.values()
        if u.mis_staff_id is not None
        and u.employee_id == world.staff[u.mis_staff_id].code
        and world.schools[world.staff[u.mis_staff_id].school_id].system == "xporter"
    )
    first = world.staff[user.mis_staff_id or 0]
    other = next(
        s
        for s in world.staff.values()
        if s.school_id != first.school_id
        and world.schools[s.school_id].system == "xporter"
        and not any(u.mis_staff_id == s.id for u in world.tanda_users.values())
    )
    world.touch("staff", other, code=first.code)
    world.touch("tanda_users", user, email=None)  # no email to fall back on

    nodes = {n["domainId"]: n for n in (await gateway.data(ALL_STAFF))["staff"]["nodes"]}

    worker = nodes[tanda_id(world, user)]
    assert [ref["system"] for ref in worker["sources"]] == ["TANDA"]
    assert worker["matchRule"] is None
    assert {c["domainId"] for c in worker["matchCandidates"]} == {
        mis_id(world, first.id),
        mis_id(world, other.id),
    }
    assert [ref["system"] for ref in nodes[mis_id(world, first.id)]["sources"]] == ["XPORTER"]


STAFF_EDGES = """
query ($id: ID!, $from: Date!, $to: Date!, $on: Date!) {
  node(id: $id) {
    ... on Staff {
      domainId
      school { domainId }
      groups { domainId }
      lessons(from: $from, to: $to) { start group { domainId } }
      teams { domainId name }
      shifts(from: $from, to: $to) {
        domainId date start finish status
        staff { domainId } team { domainId } timesheet { domainId }
      }
      scheduledShifts(from: $from, to: $to) { domainId start finish staff { domainId } }
      timesheets(on: $on) { domainId start finish status }
      leaveRequests(from: $from, to: $to) { domainId start finish leaveType }
    }
  }
}
"""


async def test_a_merged_teachers_edges_match_both_systems(gateway: Gateway) -> None:
    world = gateway.world
    organisation = next(iter(world.organisation.values()))
    user = next(
        u
        for u in sorted(world.tanda_users.values(), key=lambda u: u.id)
        if u.mis_staff_id is not None
        and world.schools[world.staff[u.mis_staff_id].school_id].system == "xporter"
        and any(s.user_id == u.id for s in world.shifts.values())
        and world.groups_of_staff(u.mis_staff_id)
    )
    staff = world.staff[user.mis_staff_id or 0]
    school = world.schools[staff.school_id]
    start, end = world.today - timedelta(days=20), world.today + timedelta(days=6)

    def tanda(native: int) -> str:
        return f"tanda:{organisation.id}:{native}"

    node = (
        await gateway.data(
            STAFF_EDGES,
            {
                "id": global_id("Staff", mis_id(world, staff.id)),
                "from": start.isoformat(),
                "to": end.isoformat(),
                "on": world.today.isoformat(),
            },
        )
    )["node"]

    assert node["school"]["domainId"] == f"xporter:{school.code}"
    assert {g["domainId"] for g in node["groups"]} == {
        f"xporter:{school.code}:{g.id}" for g in world.groups_of_staff(staff.id)
    }
    lessons = world.lessons(school.id, start, end, staff_id=staff.id)
    assert [answered["start"] for answered in node["lessons"]] == [
        lesson.start.astimezone(UTC).isoformat() for lesson in lessons
    ]
    assert {t["domainId"] for t in node["teams"]} == {tanda(t) for t in user.department_ids}

    shifts = sorted(
        (s for s in world.shifts.values() if s.user_id == user.id and start <= s.date <= end),
        key=lambda s: (s.start or s.finish, s.id),
    )
    assert [s["domainId"] for s in node["shifts"]] == [tanda(s.id) for s in shifts]
    for answered, shift in zip(node["shifts"], shifts, strict=True):
        assert answered["date"] == shift.date.isoformat()
        assert answered["status"] == shift.status
        assert answered["staff"]["domainId"] == mis_id(world, staff.id)
        assert answered["timesheet"]["domainId"] == tanda(shift.timesheet_id)
        expected_team = tanda(shift.department_id) if shift.department_id else None
        assert (answered["team"] or {}).get("domainId") == expected_team

    assert {s["domainId"] for s in node["scheduledShifts"]} <= {
        tanda(s.id) for s in world.schedules.values() if s.user_id == user.id
    }
    assert node["scheduledShifts"], "a merged teacher with shifts is rostered in the window"

    timesheets = [
        t
        for t in world.timesheets.values()
        if t.user_id == user.id and t.start <= world.today <= t.finish
    ]
    assert [t["domainId"] for t in node["timesheets"]] == [tanda(t.id) for t in timesheets]

    leave = [
        r
        for r in world.leave_requests.values()
        if r.user_id == user.id and r.start <= end and r.finish >= start
    ]
    assert {r["domainId"] for r in node["leaveRequests"]} == {tanda(r.id) for r in leave}


async def test_a_tanda_only_worker_has_no_school_side(gateway: Gateway) -> None:
    world = gateway.world
    user = next(
        u
        for u in world.tanda_users.values()
        if u.mis_staff_id is None and not u.is_admin and u.department_ids
    )
    node = (
        await gateway.data(
            """
            query ($id: ID!, $d: Date!) {
              node(id: $id) {
                ... on Staff {
                  school { id } groups { id } lessons(from: $d, to: $d) { id }
                  sources { system } teams { domainId }
                }
              }
            }
            """,
            {"id": global_id("Staff", tanda_id(world, user)), "d": world.today.isoformat()},
        )
    )["node"]

    assert node["school"] is None
    assert node["groups"] == [] and node["lessons"] == []
    assert node["sources"] == [{"system": "TANDA"}]
    assert len(node["teams"]) == len(user.department_ids)


async def test_staff_filters(gateway: Gateway) -> None:
    world = gateway.world
    school = next(s for s in world.schools.values() if s.system == "xporter")
    team = next(t for t in world.teams.values() if t.user_ids)
    organisation = next(iter(world.organisation.values()))

    data = await gateway.data(
        """
        query ($school: ID!, $team: ID!, $name: String!) {
          ofSchool: staff(schoolId: $school, first: 500) { totalCount nodes { domainId isTeacher } }
          teachers: staff(schoolId: $school, isTeacher: true, first: 500) { nodes { isTeacher } }
          ofTeam: staff(teamId: $team, first: 500) { nodes { teams { domainId } } }
          blank: staff(search: "  ", first: 1) { totalCount }
          everyone: staff(first: 1) { totalCount }
          named: staff(search: $name, first: 500) { nodes { surname forename displayName } }
        }
        """,
        {
            "school": global_id("School", f"xporter:{school.code}"),
            "team": global_id("Team", f"tanda:{organisation.id}:{team.id}"),
            "name": world.staff[min(world.staff)].surname.upper(),
        },
    )

    assert {n["domainId"] for n in data["ofSchool"]["nodes"]} == {
        f"xporter:{school.code}:{s.id}" for s in world.staff.values() if s.school_id == school.id
    }
    assert data["teachers"]["nodes"] and all(n["isTeacher"] for n in data["teachers"]["nodes"])
    assert len(data["teachers"]["nodes"]) < data["ofSchool"]["totalCount"]
    team_id = f"tanda:{organisation.id}:{team.id}"
    assert data["ofTeam"]["nodes"]
    assert all(team_id in {t["domainId"] for t in n["teams"]} for n in data["ofTeam"]["nodes"])
    assert data["blank"]["totalCount"] == data["everyone"]["totalCount"]
    surname = world.staff[min(world.staff)].surname.casefold()
    assert data["named"]["nodes"]
    for node in data["named"]["nodes"]:
        assert (
            surname
            in " ".join(
                (node["surname"] or "", node["forename"] or "", node["displayName"])
            ).casefold()
        )


async def test_a_schools_staff_do_not_wait_for_its_details(gateway: Gateway) -> None:
    """``staff(schoolId:)`` checks the school against configuration, as ``students`` does:
    the school's details (Xporter's SchoolInfo) are not read, so a slow upstream holding them
    does not hold up its staff."""
    world = gateway.world
    school = next(s for s in world.schools.values() if s.system == "xporter")
    url = URL(gateway.simulators.urls["xporter"]) / "__sim" / "stats"
    async with gateway.http.get(url, params={"reset": "true"}):
        pass

    data = await gateway.data(
        "query ($id: ID!) { staff(schoolId: $id, first: 1) { totalCount } }",
        {"id": global_id("School", f"xporter:{school.code}")},
    )

    assert data["staff"]["totalCount"] == sum(
        1 for s in world.staff.values() if s.school_id == school.id
    )
    async with gateway.http.get(url) as response:
        routes = {row["route"] for row in (await response.json())["routes"]}
    assert "/api/v1/School/{estab}/Staff" in routes
    assert "/api/v1/School/{estab}/SchoolInfo" not in routes
