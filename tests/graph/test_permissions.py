"""Grants and schools, enforced over HTTP: a matrix of accounts x types x fields x operations,
fragments and aliases that cannot get round a denial, and school isolation across lists,
``node``, ``_entities`` and mutations."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from schoolgraph.accounts import AccountService, Grant
from schoolgraph.accounts.models import ROLES
from schoolgraph.accounts.outbox import MemoryOutbox
from schoolgraph.accounts.sqlite import SqliteStore
from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.graph.extensions.permissions import grantable_types
from schoolgraph.graph.schema import build_schema
from tests.accounts.harness import FAST, ApiUser, Harness, WallClock, codes, denied
from tests.conftest import start_serving

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCHEMA = build_schema()
CATALOGUE = grantable_types(SCHEMA)
FROM, TO = "2026-11-16", "2026-11-29"


def global_id(type_name: str, domain_id: str) -> str:
    raw = f"{type_name}:{domain_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def everything() -> list[Grant]:
    """Every type, every field, every action, with the role each needs."""
    role_of = {t: role for role, types in ROLES.items() for t in types}
    return [
        Grant(name, read=True, add=True, update=True, delete=True, role=role_of.get(name))
        for name in CATALOGUE
    ]


ACCOUNTS: Mapping[str, list[Grant]] = {
    "everything": everything(),
    "custom": [
        Grant("School", read=True, read_fields=frozenset({"id", "name"})),
        Grant(
            "Student",
            read=True,
            read_fields=frozenset({"id", "forename", "surname", "school"}),
            role="student-records",
        ),
    ],
    "incomplete": [Grant("School", read=True), Grant("Student", read=True)],
    "switched-off": [
        Grant("School", read=True),
        Grant("Student", enabled=False, read=True, role="student-records"),
    ],
    "writer": [
        Grant(
            "Shift",
            read=True,
            add=True,
            update=True,
            update_fields=frozenset({"start", "finish"}),
            role="workforce",
        )
    ],
    "nothing": [],
    # The README's example account: names and year groups of students, nothing more of them.
    "names-and-years": [
        Grant("School", read=True),
        Grant("Group", read=True),
        Grant(
            "Student",
            read=True,
            read_fields=frozenset({"id", "forename", "surname", "year"}),
            role="student-records",
        ),
        Grant(
            "Staff",
            read=True,
            read_fields=frozenset({"id", "forename", "surname", "displayName"}),
            role="staff-records",
        ),
    ],
    "rota": [Grant("ScheduledShift", read=True, role="workforce")],
}


@dataclass
class World:
    harness: Harness
    users: dict[str, ApiUser]
    schools: list[str]
    """Domain ids of the demo's schools, by name; scoped accounts see the first, and the
    second (with students and staff) is the other school they must not reach."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    clock = WallClock()
    service = AccountService(
        SqliteStore(None), outbox=MemoryOutbox(), clock=clock, catalogue=CATALOGUE, cost=FAST
    )
    app = create_app(Settings(demo_scale="small", anonymous=False), accounts=service)
    url, stop, task = await start_serving(app)
    async with aiohttp.ClientSession() as http:
        harness = Harness(url, app, http, service, clock, MemoryOutbox())
        users = {
            name: await harness.provision(name, schools=["*"], grants=grants)
            for name, grants in ACCOUNTS.items()
        }
        # The demo's schools, as an account that sees them all lists them.
        body = await harness.graphql("{ schools { domainId } }", user=users["everything"])
        schools = [school["domainId"] for school in body["data"]["schools"]]
        users["school-a"] = await harness.provision(
            "school-a", schools=[schools[0]], grants=everything()
        )
        users["school-a+tanda"] = await harness.provision(
            "school-a+tanda", schools=[schools[0], "tanda"], grants=everything()
        )
        yield World(harness, users, schools)
    stop.set()
    await task


async def ask(world: World, account: str, query: str, **variables: Any) -> dict[str, Any]:
    return await world.harness.graphql(query, variables, user=world.users[account])


# -- the matrix ---------------------------------------------------------------------------

SHIFT = global_id("Shift", "tanda:1:999999")
OPERATIONS: Mapping[str, str] = {
    "schools.name": "{ schools { name } }",
    "schools.name+urn": "{ schools { name urn } }",
    "students.names": "{ students(first: 1) { totalCount nodes { forename surname } } }",
    "students.dateOfBirth": "{ students(first: 1) { nodes { dateOfBirth } } }",
    "shifts.count": f'{{ shifts(from: "{FROM}", to: "{TO}") {{ totalCount }} }}',
    "updateShift.start": (
        f'mutation {{ updateShift(id: "{SHIFT}", input: {{start: "2026-11-20T09:00:00Z"}}) '
        "{ id } }"
    ),
    "updateShift.breakMinutes": (
        f'mutation {{ updateShift(id: "{SHIFT}", input: {{breakMinutes: 30}}) {{ id }} }}'
    ),
    "approveShifts": f'mutation {{ approveShifts(ids: ["{SHIFT}"]) {{ id }} }}',
    "deleteShift": f'mutation {{ deleteShift(id: "{SHIFT}") }}',
    "createShift.staff": (
        f'mutation {{ createShift(input: {{staffId: "{global_id("Staff", "tanda:1:9")}", '
        'date: "2026-11-20", start: "2026-11-20T09:00:00Z"}) { id } }'
    ),
}
_STUDENTS = {"Query.students", "StudentConnection.nodes"}
_NO_STUDENTS_NAMES = _STUDENTS | {
    "StudentConnection.totalCount",
    "Student.forename",
    "Student.surname",
}
_NO_SHIFTS = {"Query.shifts", "ShiftConnection.totalCount"}
MATRIX: Mapping[tuple[str, str], set[str]] = {
    # (account, operation): the coordinates refused; empty when it may run.
    ("everything", "schools.name"): set(),
    ("everything", "schools.name+urn"): set(),
    ("everything", "students.names"): set(),
    ("everything", "students.dateOfBirth"): set(),
    ("everything", "shifts.count"): set(),
    ("everything", "updateShift.start"): set(),
    ("everything", "updateShift.breakMinutes"): set(),
    ("everything", "approveShifts"): set(),
    ("everything", "deleteShift"): set(),
    ("everything", "createShift.staff"): set(),
    ("custom", "schools.name"): set(),
    ("custom", "schools.name+urn"): {"School.urn"},
    ("custom", "students.names"): set(),
    ("custom", "students.dateOfBirth"): {"Student.dateOfBirth"},
    ("custom", "shifts.count"): _NO_SHIFTS,
    ("custom", "updateShift.start"): {"Mutation.updateShift", "Shift.id"},
    ("custom", "deleteShift"): {"Mutation.deleteShift"},
    ("incomplete", "schools.name"): set(),
    ("incomplete", "students.names"): _NO_STUDENTS_NAMES,
    ("incomplete", "students.dateOfBirth"): _STUDENTS | {"Student.dateOfBirth"},
    ("switched-off", "schools.name+urn"): set(),
    ("switched-off", "students.names"): _NO_STUDENTS_NAMES,
    ("writer", "schools.name"): {"Query.schools", "School.name"},
    ("writer", "students.names"): _NO_STUDENTS_NAMES,
    ("writer", "shifts.count"): set(),
    ("writer", "updateShift.start"): set(),
    ("writer", "updateShift.breakMinutes"): {"Shift.breakMinutes"},
    ("writer", "approveShifts"): {"Shift.status"},
    ("writer", "deleteShift"): {"Mutation.deleteShift"},
    ("writer", "createShift.staff"): {"Staff.id"},  # it may add shifts, not look people up
    ("nothing", "schools.name"): {"Query.schools", "School.name"},
    ("nothing", "shifts.count"): _NO_SHIFTS,
    ("nothing", "updateShift.start"): {"Mutation.updateShift", "Shift.id"},
}


@pytest.mark.parametrize(
    ("account", "operation", "refused"),
    [pytest.param(a, o, r, id=f"{a}-{o}") for (a, o), r in MATRIX.items()],
)
async def test_an_account_reaches_exactly_what_it_was_granted(
    world: World, account: str, operation: str, refused: set[str]
) -> None:
    body = await ask(world, account, OPERATIONS[operation])

    if refused:
        assert denied(body) == refused
    else:
        # It ran: whatever else happened (a made-up shift is not found), nothing was refused.
        assert "FORBIDDEN_FIELD" not in codes(body), body
        assert body.get("data") is not None, body


async def test_a_refusal_names_each_coordinate_once_and_runs_nothing(world: World) -> None:
    body = await ask(
        world,
        "custom",
        "{ a: students(first: 1) { nodes { dateOfBirth } } "
        "b: students(first: 2) { nodes { dateOfBirth upn } } }",
    )

    assert [error["extensions"] for error in body["errors"]] == [
        {"code": "FORBIDDEN_FIELD", "field": "Student.dateOfBirth"},
        {"code": "FORBIDDEN_FIELD", "field": "Student.upn"},
    ]
    assert body["errors"][0]["message"] == (
        f"The account {world.users['custom'].code} may not read Student.dateOfBirth."
    )
    assert body["data"] is None


# -- fragments, aliases, node and _entities ------------------------------------------------


async def a_student(world: World) -> str:
    body = await ask(world, "everything", "{ students(first: 1) { nodes { id } } }")
    student_id: str = body["data"]["students"]["nodes"][0]["id"]
    return student_id


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(
            "{ students(first: 1) { nodes { name: forename born: dateOfBirth } } }", id="alias"
        ),
        pytest.param(
            "{ students(first: 1) { nodes { ...S } } } fragment S on Student { dateOfBirth }",
            id="fragment",
        ),
        pytest.param(
            "{ ...Q } fragment Q on Query { students(first: 1) { nodes { ...A } } } "
            "fragment A on Student { ...B } fragment B on Student { x: dateOfBirth }",
            id="nested-fragments",
        ),
        pytest.param(
            "{ students(first: 1) { nodes { ... on Student { ... { dateOfBirth } } } } }",
            id="inline-fragments",
        ),
        pytest.param(
            "{ students(first: 1) { nodes { dateOfBirth @skip(if: true) } } }", id="skipped"
        ),
        pytest.param(
            "query($id: ID!) { node(id: $id) { id ... on Student { dateOfBirth } } }",
            id="node-inline",
        ),
        pytest.param(
            "query($id: ID!) { node(id: $id) { ...N } } fragment N on Node { ... on Student "
            "{ d: dateOfBirth } }",
            id="node-fragment-on-interface",
        ),
        pytest.param(
            "query($id: ID!) { nodes(ids: [$id]) { ... on Student { dateOfBirth } } }",
            id="nodes",
        ),
        pytest.param(
            "query($reps: [_Any!]!) { _entities(representations: $reps) "
            "{ ... on Student { dateOfBirth } } }",
            id="entities",
        ),
    ],
)
async def test_fragments_and_aliases_cannot_get_round_a_denial(world: World, query: str) -> None:
    student = await a_student(world)
    variables: dict[str, Any] = {}
    if "$id" in query:
        variables["id"] = student
    if "$reps" in query:
        variables["reps"] = [{"__typename": "Student", "id": student}]

    body = await ask(world, "custom", query, **variables)

    assert denied(body) == {"Student.dateOfBirth"}


async def test_node_and_entities_need_the_type_their_ids_name(world: World) -> None:
    staff = await ask(world, "everything", "{ staff(first: 1) { nodes { id } } }")
    staff_id = staff["data"]["staff"]["nodes"][0]["id"]
    student = await a_student(world)

    by_node = await ask(world, "custom", "query($id: ID!) { node(id: $id) { id } }", id=staff_id)
    by_entities = await ask(
        world,
        "custom",
        "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        r=[{"__typename": "Staff", "id": staff_id}],
    )
    allowed = await ask(
        world,
        "custom",
        "query($id: ID!) { node(id: $id) { id ... on Staff { payrollNumber } } }",
        id=student,
    )

    assert denied(by_node) == {"Query.node", "Staff.id"}
    assert denied(by_entities) == {"Query._entities"}
    # A Student's id: the Staff fragment can never apply, so it is not refused.
    assert allowed == {"data": {"node": {"id": student}}}


async def test_only_the_operation_that_runs_is_checked(world: World) -> None:
    document = (
        "query Names { students(first: 1) { nodes { forename } } } "
        "query Births { students(first: 1) { nodes { dateOfBirth } } }"
    )
    payload = {"query": document, "operationName": "Names"}
    harness = world.harness
    headers = world.users["custom"].headers

    async with harness.http.post(harness.url / "graphql", json=payload, headers=headers) as r:
        names = await r.json()
    payload["operationName"] = "Births"
    async with harness.http.post(harness.url / "graphql", json=payload, headers=headers) as r:
        births = await r.json()

    assert "errors" not in names
    assert denied(births) == {"Student.dateOfBirth"}


# -- school isolation ---------------------------------------------------------------------


async def test_lists_hold_only_the_callers_schools(world: World) -> None:
    mine = world.schools[0]
    query = """{
      schools { domainId }
      students(first: 500) { totalCount nodes { school { domainId } } }
      groups(first: 500) { nodes { school { domainId } } }
      staff(first: 500) { nodes { school { domainId } } }
      teams { name }
    }"""

    scoped = (await ask(world, "school-a", query))["data"]
    everyone = (await ask(world, "everything", query))["data"]

    assert scoped["schools"] == [{"domainId": mine}]
    assert len(everyone["schools"]) == len(world.schools) > 1
    for field in ("students", "groups", "staff"):
        schools = {node["school"]["domainId"] for node in scoped[field]["nodes"]}
        assert schools == {mine}, field
        assert len(scoped[field]["nodes"]) < len(everyone[field]["nodes"]), field
    assert scoped["teams"] == []  # no workforce side without "tanda"
    assert everyone["teams"]


async def test_the_workforce_side_comes_with_tanda(world: World) -> None:
    query = f"""{{
      staff(first: 500) {{ nodes {{ school {{ domainId }} }} }}
      shifts(from: "{FROM}", to: "{TO}") {{ totalCount }}
    }}"""

    with_tanda = (await ask(world, "school-a+tanda", query))["data"]
    without = (await ask(world, "school-a", query))["data"]

    staff_schools = {
        node["school"]["domainId"] if node["school"] else None
        for node in with_tanda["staff"]["nodes"]
    }
    assert staff_schools == {world.schools[0], None}  # Tanda-only workers have no school
    assert with_tanda["shifts"]["totalCount"] > 0
    assert without["shifts"]["totalCount"] == 0


async def other_school_student(world: World) -> str:
    other = world.schools[1]
    body = await ask(
        world,
        "everything",
        "query($s: ID!) { students(schoolId: $s, first: 1) { nodes { id domainId } } }",
        s=global_id("School", other),
    )
    student_id: str = body["data"]["students"]["nodes"][0]["id"]
    return student_id


def made_up_school_twin(student_id: str) -> str:
    """The same student number at a school that does not exist."""
    _, domain_id = base64.urlsafe_b64decode(student_id + "==").decode().split(":", 1)
    system, _, rest = domain_id.split(":", 2)
    return global_id("Student", f"{system}:999999:{rest}")


def without_ids(body: dict[str, Any]) -> dict[str, Any]:
    """The answer with school ids blanked, to compare two absences."""
    for error in body.get("errors", ()):
        error["message"] = error["message"].split("'")[0]
    return body


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("query($id: ID!) { node(id: $id) { id } }", id="node"),
        pytest.param("query($id: ID!) { nodes(ids: [$id]) { id } }", id="nodes"),
        pytest.param(
            'query($id: ID!) { _entities(representations: [{__typename: "Student", id: $id}]) '
            "{ ... on Student { id } } }",
            id="entities",
        ),
    ],
)
async def test_another_schools_entity_is_as_absent_as_one_that_never_was(
    world: World, query: str
) -> None:
    theirs = await other_school_student(world)

    seen_by_them = await ask(world, "everything", query, id=theirs)
    seen_by_a = await ask(world, "school-a", query, id=theirs)
    never_was = await ask(world, "school-a", query, id=made_up_school_twin(theirs))

    assert "errors" not in seen_by_them
    assert "FORBIDDEN_FIELD" not in codes(seen_by_a)
    assert seen_by_a["data"] == never_was["data"]
    assert without_ids(seen_by_a) == without_ids(never_was)


async def test_another_school_by_id_is_not_found_like_a_made_up_one(world: World) -> None:
    query = "query($id: ID!) { school(id: $id) { name } node(id: $id) { id } }"

    theirs = await ask(world, "school-a", query, id=global_id("School", world.schools[-1]))
    made_up = await ask(world, "school-a", query, id=global_id("School", "xporter:999999"))

    assert theirs["data"] == made_up["data"] == {"school": None, "node": None}
    assert codes(theirs) == codes(made_up) == ["NOT_FOUND", "NOT_FOUND"]
    assert without_ids(theirs) == without_ids(made_up)


async def test_mutations_cannot_reach_another_school_or_the_workforce(world: World) -> None:
    shifts = await ask(
        world,
        "everything",
        f'{{ shifts(from: "{FROM}", to: "{TO}", first: 1) {{ nodes {{ id }} }} }}',
    )
    real_shift = shifts["data"]["shifts"]["nodes"][0]["id"]
    other_staff = await ask(
        world,
        "everything",
        "query($s: ID!) { school(id: $s) { staff { id } } }",
        s=global_id("School", world.schools[1]),
    )
    their_staff = other_staff["data"]["school"]["staff"][0]["id"]
    update = "mutation($id: ID!) { updateShift(id: $id, input: {breakMinutes: 15}) { id } }"
    create = (
        'mutation($staff: ID!) { createShift(input: {staffId: $staff, date: "2026-11-20", '
        'start: "2026-11-20T09:00:00Z", finish: "2026-11-20T12:00:00Z"}) { id } }'
    )
    made_up_staff = global_id("Staff", "xporter:999999:1")

    real = without_ids(await ask(world, "school-a", update, id=real_shift))
    fake = without_ids(await ask(world, "school-a", update, id=SHIFT))
    theirs = await ask(world, "school-a+tanda", create, staff=their_staff)
    nobody = await ask(world, "school-a+tanda", create, staff=made_up_staff)

    assert real["data"] == fake["data"] == {"updateShift": None}
    assert codes(real) == codes(fake) == ["NOT_FOUND"]
    assert theirs["data"] == nobody["data"] == {"createShift": None}
    assert codes(theirs) == codes(nobody) == ["BAD_USER_INPUT"]
    assert theirs["errors"][0]["message"].replace(their_staff, "X") == (
        nobody["errors"][0]["message"].replace(made_up_staff, "X")
    )


# -- arguments filter only on what the caller may read ------------------------------------


async def test_student_search_looks_only_in_the_fields_the_caller_may_read(world: World) -> None:
    query = "query($s: String) { students(search: $s, first: 500) { totalCount nodes { id } } }"
    everyone = await ask(
        world, "everything", "{ students(first: 500) { nodes { id surname upn } } }"
    )
    student = next(s for s in everyone["data"]["students"]["nodes"] if s["upn"])
    upn_prefix = student["upn"][:5]

    by_upn_all = await ask(world, "everything", query, s=student["upn"])
    by_prefix = await ask(world, "names-and-years", query, s=upn_prefix)
    by_upn = await ask(world, "names-and-years", query, s=student["upn"])
    by_surname = await ask(world, "names-and-years", query, s=student["surname"])

    assert by_upn_all["data"]["students"]["nodes"] == [{"id": student["id"]}]
    assert by_prefix["data"]["students"] == by_upn["data"]["students"]
    assert by_upn["data"]["students"] == {"totalCount": 0, "nodes": []}
    assert {"id": student["id"]} in by_surname["data"]["students"]["nodes"]


@pytest.mark.parametrize("field", ["email", "staffCode"])
async def test_staff_search_looks_only_in_the_fields_the_caller_may_read(
    world: World, field: str
) -> None:
    query = "query($s: String) { staff(search: $s, first: 500) { totalCount nodes { id } } }"
    everyone = await ask(
        world, "everything", f"{{ staff(first: 500) {{ nodes {{ id displayName {field} }} }} }}"
    )
    person = next(p for p in everyone["data"]["staff"]["nodes"] if p[field])

    by_field_all = await ask(world, "everything", query, s=person[field])
    by_field = await ask(world, "names-and-years", query, s=person[field])
    by_name = await ask(world, "names-and-years", query, s=person["displayName"])

    assert {"id": person["id"]} in by_field_all["data"]["staff"]["nodes"]
    assert by_field["data"]["staff"] == {"totalCount": 0, "nodes": []}
    assert {"id": person["id"]} in by_name["data"]["staff"]["nodes"]


async def test_a_filter_on_a_field_the_caller_may_not_read_is_refused_as_the_argument(
    world: World,
) -> None:
    query = (
        "query($since: DateTime) { students(updatedSince: $since) { totalCount } "
        "schools { students(updatedSince: $since) { totalCount } } }"
    )

    refused = await ask(world, "names-and-years", query, since="2026-10-01T17:43:00Z")
    unfiltered = await ask(world, "names-and-years", query, since=None)
    full = await ask(world, "everything", query, since="2026-10-01T17:43:00Z")

    assert [error["extensions"] for error in refused["errors"]] == [
        {"code": "FORBIDDEN_FIELD", "field": "Query.students(updatedSince:)"},
        {"code": "FORBIDDEN_FIELD", "field": "School.students(updatedSince:)"},
    ]
    assert refused["errors"][0]["message"] == (
        f"The account {world.users['names-and-years'].code} may not read Student.updatedAt, "
        "so may not use Query.students(updatedSince:)."
    )
    assert refused["data"] is None
    assert "errors" not in unfiltered
    assert "errors" not in full


async def test_naming_staff_in_a_filter_needs_read_on_staff(world: World) -> None:
    everyone = await ask(world, "everything", "{ staff(first: 1) { nodes { id } } }")
    staff_id = everyone["data"]["staff"]["nodes"][0]["id"]
    query = (
        f'query($ids: [ID!]) {{ scheduledShifts(from: "{FROM}", to: "{TO}", staffIds: $ids) '
        "{ totalCount } }"
    )

    named = await ask(world, "rota", query, ids=[staff_id])
    everyones = await ask(world, "rota", query, ids=None)
    full = await ask(world, "everything", query, ids=[staff_id])

    assert denied(named) == {"Query.scheduledShifts(staffIds:)"}
    assert named["errors"][0]["message"].startswith(
        f"The account {world.users['rota'].code} may not read Staff, "
    )
    assert everyones["data"]["scheduledShifts"]["totalCount"] > 0
    assert "errors" not in full


FILTERS: Mapping[str, tuple[str, str, set[str]]] = {
    # name: (account, query, the arguments refused)
    "year-readable": ("names-and-years", "{ students(year: 9) { totalCount } }", set()),
    "year-unreadable": (
        "custom",
        "{ students(year: 9) { totalCount } }",
        {"Query.students(year:)"},
    ),
    "school-through-student": (
        "custom",
        f'{{ students(schoolId: "{global_id("School", "xporter:1")}") {{ totalCount }} }}',
        set(),
    ),
    "school-through-school": (
        "names-and-years",
        f'{{ students(schoolId: "{global_id("School", "xporter:1")}") {{ totalCount }} }}',
        set(),
    ),
    "readme-example": (
        "names-and-years",
        '{ groups(type: TEACHING, year: 9, search: "Ma") { totalCount } }',
        set(),
    ),
    "scheduled-days": (
        "custom",
        f'{{ scheduledShifts(from: "{FROM}", to: "{TO}") {{ totalCount }} }}',
        {"Query.scheduledShifts", "ScheduledShiftConnection.totalCount"},
    ),
}


@pytest.mark.parametrize(
    ("account", "query", "refused"),
    [pytest.param(*case, id=name) for name, case in FILTERS.items()],
)
async def test_each_filter_needs_read_on_what_it_filters_on(
    world: World, account: str, query: str, refused: set[str]
) -> None:
    body = await ask(world, account, query)

    if refused:
        assert denied(body) == refused
    else:
        assert "FORBIDDEN_FIELD" not in codes(body), body
