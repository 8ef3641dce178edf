"""The bench's queries, what their answers hold, and the ids they are asked about.

Five queries, the shapes a school app asks for (issue 8), plus ``dashboard-year``: the
school dashboard over one year's groups only, a seventh of its rows, to show that upstream
requests follow the schools and windows a query touches, not its rows. ``TRIVIAL`` is the
floor every request pays (``{ __typename }``).

The ids come from the gateway itself (:func:`discover`), so the bench needs nothing of the
simulated world but what a client could see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp

from schoolgraph.bench.critical_path import Needs, Route

__all__ = ["QUERIES", "TRIVIAL", "BenchQuery", "Fixture", "discover"]

TRIVIAL = "{ __typename }"

BIG_LIST_PAGES = 10
"""The big list is 10 pages of 500 students (the most one ``students`` page holds)."""
BIG_LIST_FIELDS = "id domainId forename surname preferredForename gender dateOfBirth year upn email"


@dataclass(frozen=True, slots=True)
class Fixture:
    """The ids and dates the queries are asked about."""

    today: date
    school_id: str
    year: int
    roster_start: date
    roster_finish: date
    student_id: str
    staff_ids: tuple[str, ...]
    student_cursors: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class BenchQuery:
    """One query of the bench.

    Attributes:
        name: its key in the report (``dashboard``).
        title: what it asks, for the table.
        document: the GraphQL document.
        variables: its variables for a fixture.
        needs: its data dependencies (see :mod:`schoolgraph.bench.critical_path`).
        rows: how many rows an answer holds (objects of the list it is about).
    """

    name: str
    title: str
    document: str
    variables: Callable[[Fixture], dict[str, Any]]
    needs: Needs
    rows: Callable[[Any], int]
    check: bool = False
    """Not one of the five: a companion run that checks a property of another query."""

    def body(self, fixture: Fixture) -> dict[str, Any]:
        return {"query": self.document, "variables": self.variables(fixture)}


# Everything the identity merge reads: a person's Staff id and Tanda user id need it.
MERGE: tuple[Route, ...] = (
    ("xporter", "/api/v1/School/{estab}/Staff"),
    ("tass", "/api/{cmpy_code}/employees"),
    ("tass", "/api/{cmpy_code}/teachers"),
    ("tass", "/tassweb/api/"),
    ("tanda", "/api/v2/users"),
)
WORKFORCE: tuple[Route, ...] = (
    ("tanda", "/api/v2/schedules"),
    ("tanda", "/api/v2/shifts"),
    ("tanda", "/api/v2/timesheets"),
    ("tanda", "/api/v2/leave"),
)

DASHBOARD = """
query SchoolDashboard($school: ID!, $from: Date!, $to: Date!, $year: Int) {
  school(id: $school) {
    name
    groups(type: REGISTRATION, year: $year) {
      id
      name
      students { id displayName year }
      staff {
        id
        displayName
        scheduledShifts(from: $from, to: $to) { id start finish }
        shifts(from: $from, to: $to) { id start finish status }
      }
    }
  }
}
"""

ROSTER_WEEK = """
query RosterWeek($from: Date!, $to: Date!) {
  rosters(from: $from, to: $to) {
    id
    start
    finish
    scheduledShifts {
      id
      start
      finish
      breakMinutes
      published
      staff { id displayName }
      team { id name }
    }
  }
}
"""

STUDENT_DETAIL = """
query StudentDetail($id: ID!, $weekFrom: Date!, $weekTo: Date!, $monthFrom: Date!, $to: Date!) {
  node(id: $id) {
    ... on Student {
      id
      displayName
      year
      groups { id name type }
      contacts { relationship priority contact { id forename surname email mobile } }
      timetable(from: $weekFrom, to: $weekTo) { id start end room subject }
      attendance(from: $monthFrom, to: $to) { date session code present }
    }
  }
}
"""

ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Staff { id displayName email staffCode active }
  }
}
"""


def _big_list() -> str:
    pages = "\n".join(
        f"  p{n}: students(first: 500, after: $after{n}) {{ nodes {{ {BIG_LIST_FIELDS} }} }}"
        for n in range(BIG_LIST_PAGES)
    )
    arguments = ", ".join(f"$after{n}: String" for n in range(BIG_LIST_PAGES))
    return f"query BigList({arguments}) {{\n{pages}\n}}\n"


BIG_LIST = _big_list()


def _dashboard_rows(data: Any) -> int:
    groups = data["school"]["groups"]
    return sum(
        1
        + len(group["students"])
        + sum(
            1 + len(person["scheduledShifts"]) + len(person["shifts"]) for person in group["staff"]
        )
        for group in groups
    )


def _dashboard(fixture: Fixture, *, year: int | None = None) -> dict[str, Any]:
    return {
        "school": fixture.school_id,
        "from": (fixture.today - timedelta(days=6)).isoformat(),
        "to": fixture.today.isoformat(),
        "year": year,
    }


def _roster_rows(data: Any) -> int:
    return sum(len(roster["scheduledShifts"]) for roster in data["rosters"])


def _student_rows(data: Any) -> int:
    student = data["node"]
    return 1 + sum(len(student[name]) for name in ("groups", "contacts", "timetable", "attendance"))


def _student(fixture: Fixture) -> dict[str, Any]:
    return {
        "id": fixture.student_id,
        "weekFrom": (fixture.today - timedelta(days=6)).isoformat(),
        "weekTo": fixture.today.isoformat(),
        "monthFrom": (fixture.today - timedelta(days=30)).isoformat(),
        "to": fixture.today.isoformat(),
    }


def _big_list_rows(data: Any) -> int:
    return sum(len(page["nodes"]) for page in data.values())


QUERIES: tuple[BenchQuery, ...] = (
    BenchQuery(
        "dashboard",
        "school dashboard: one school's form groups, their students and staff, the staff's "
        "scheduled and worked shifts of the week",
        DASHBOARD,
        _dashboard,
        # A tutor's shifts need the tutor (the group) and their Tanda user (the merge).
        dict.fromkeys(WORKFORCE, (("xporter", "/api/v1/School/{estab}/Groups"), *MERGE)),
        _dashboard_rows,
    ),
    BenchQuery(
        "dashboard-year",
        "the same over one year's form groups (a seventh of the rows): the same requests",
        DASHBOARD,
        lambda fixture: _dashboard(fixture, year=fixture.year),
        dict.fromkeys(WORKFORCE, (("xporter", "/api/v1/School/{estab}/Groups"), *MERGE)),
        _dashboard_rows,
        check=True,
    ),
    BenchQuery(
        "roster-week",
        "roster week: this week's roster, every scheduled shift with its staff and team",
        ROSTER_WEEK,
        lambda fixture: {
            "from": fixture.roster_start.isoformat(),
            "to": fixture.roster_finish.isoformat(),
        },
        # The roster's shifts are read for the roster's own week.
        {("tanda", "/api/v2/schedules"): (("tanda", "/api/v2/rosters"),)},
        _roster_rows,
    ),
    BenchQuery(
        "student",
        "student detail: one student's groups, contacts, week's timetable, month's attendance",
        STUDENT_DETAIL,
        _student,
        {},  # every read is named by the student's id and school, both in the query
        _student_rows,
    ),
    BenchQuery(
        "entities",
        "entities: _entities for 500 Staff representations (federation)",
        ENTITIES,
        lambda fixture: {
            "representations": [{"__typename": "Staff", "id": i} for i in fixture.staff_ids]
        },
        {},
        lambda data: len(data["_entities"]),
    ),
    BenchQuery(
        "big-list",
        f"big list: {BIG_LIST_PAGES * 500:,} students x 10 scalar fields "
        f"({BIG_LIST_PAGES} pages of 500 in one request)",
        BIG_LIST,
        lambda fixture: {f"after{n}": cursor for n, cursor in enumerate(fixture.student_cursors)},
        {},
        _big_list_rows,
    ),
)


async def _data(http: aiohttp.ClientSession, url: str, query: str, **variables: Any) -> Any:
    async with http.post(url, json={"query": query, "variables": variables}) as response:
        body = await response.json()
    if response.status != 200 or body.get("errors"):
        raise RuntimeError(f"The bench's set-up query failed: {body.get('errors') or body}")
    return body["data"]


async def discover(http: aiohttp.ClientSession, url: str, today: date) -> Fixture:
    """The ids the queries ask about, read through the gateway at ``url``."""
    data = await _data(
        http,
        url,
        """{
          schools { id system name }
          currentRoster { start finish }
          staff(first: 500) { nodes { id } }
        }""",
    )
    school = next(s for s in data["schools"] if s["system"] == "XPORTER")
    roster = data["currentRoster"] or {
        "start": (today - timedelta(days=today.weekday())).isoformat(),
        "finish": (today + timedelta(days=6 - today.weekday())).isoformat(),
    }
    found = await _data(
        http,
        url,
        """query ($school: ID!) {
          school(id: $school) {
            groups(type: YEAR) { year }
            students(first: 1) { nodes { id } }
          }
        }""",
        school=school["id"],
    )
    years = sorted(group["year"] for group in found["school"]["groups"] if group["year"])
    cursors: list[str | None] = [None]
    while len(cursors) < BIG_LIST_PAGES:
        page = await _data(
            http,
            url,
            "query ($after: String) { students(first: 500, after: $after) "
            "{ pageInfo { endCursor hasNextPage } } }",
            after=cursors[-1],
        )
        info = page["students"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        cursors.append(info["endCursor"])
    return Fixture(
        today=today,
        school_id=school["id"],
        year=years[len(years) // 2],
        roster_start=date.fromisoformat(roster["start"]),
        roster_finish=date.fromisoformat(roster["finish"]),
        student_id=found["school"]["students"]["nodes"][0]["id"],
        staff_ids=tuple(node["id"] for node in data["staff"]["nodes"]),
        student_cursors=tuple(cursors),
    )


def by_name() -> Mapping[str, BenchQuery]:
    return {query.name: query for query in QUERIES}
