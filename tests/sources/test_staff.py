"""Merged staff against the world's ground truth (`TandaUser.mis_staff_id`), messy cases first."""

from __future__ import annotations

import asyncio
from datetime import date

from schoolgraph.domain import SourceRef, Staff, System
from schoolgraph.identity.matching import MatchPolicy, WorkerRecord
from schoolgraph.simulators.dataset import Staff as WorldStaff
from schoolgraph.simulators.dataset import World
from schoolgraph.sources.identity import merge_staff

from .conftest import Sims


def messy(world: World) -> list[WorldStaff]:
    """The world's messy staff, in the order the generator picks them (`_workforce`)."""
    return sorted(
        (s for s in world.staff.values() if world.schools[s.school_id].system == "xporter"),
        key=lambda s: s.id,
    )


def xporter_id(world: World, staff: WorldStaff) -> str:
    return f"xporter:{world.schools[staff.school_id].code}:{staff.id}"


def user_id(world: World, staff: WorldStaff) -> str:
    user = next(u for u in world.tanda_users.values() if u.mis_staff_id == staff.id)
    return f"tanda:1:{user.id}"


async def test_every_tanda_user_joins_the_school_record_the_world_says(sims: Sims) -> None:
    world = sims.world
    staff = (await sims.directory().staff()).value
    by_user = {p.tanda_user_id: p for p in staff.values() if p.tanda_user_id}

    assert len(by_user) == len(world.tanda_users)
    for user in world.tanda_users.values():
        person = by_user[f"tanda:1:{user.id}"]
        if user.mis_staff_id is None:
            assert person.id == f"tanda:1:{user.id}" and person.school_id is None
            continue
        truth = world.staff[user.mis_staff_id]
        school = world.schools[truth.school_id]
        assert person.school_id == f"{school.system}:{school.code}"
        assert person.payroll_number == truth.payroll_number
        assert person.match_rule is not None


async def test_everyone_is_there_once(sims: Sims) -> None:
    world = sims.world
    staff = (await sims.directory().staff()).value

    # Leavers included: Xporter's previous staff, and every TASS employee.
    matched = sum(1 for u in world.tanda_users.values() if u.mis_staff_id is not None)
    assert len(staff) == len(world.staff) + len(world.tanda_users) - matched
    assert all(key == person.id for key, person in staff.items())


async def test_a_tanda_email_differing_only_in_case_is_still_the_same_person(sims: Sims) -> None:
    world = sims.world
    person = messy(world)[0]
    user = next(u for u in world.tanda_users.values() if u.mis_staff_id == person.id)
    assert person.email is not None and user.email is not None
    assert user.email != person.email and user.email.lower() == person.email.lower()

    by_email = await sims.directory(identity=MatchPolicy(keys=())).staff()
    merged = by_email.value[xporter_id(world, person)]

    assert merged.tanda_user_id == user_id(world, person)
    assert merged.match_rule == "email"
    assert merged.sources[1].matched_by == f"email:{person.email.lower()}"


async def test_staff_without_an_email_are_matched_by_employee_id_alone(sims: Sims) -> None:
    world = sims.world
    person = messy(world)[2]
    assert person.email is None

    merged = (await sims.directory().staff()).value[xporter_id(world, person)]

    assert merged.email is None
    assert merged.tanda_user_id == user_id(world, person)
    assert merged.match_rule == "employee_id=staff_code"
    assert merged.sources == (
        SourceRef(System.XPORTER, world.schools[person.school_id].code, str(person.id)),
        SourceRef(
            System.TANDA,
            "1",
            user_id(world, person).rsplit(":", 1)[1],
            f"employee_id=staff_code:{person.code}",
        ),
    )


async def test_without_keys_the_staff_member_with_no_email_stays_split(sims: Sims) -> None:
    world = sims.world
    person = messy(world)[2]

    staff = (await sims.directory(identity=MatchPolicy(keys=())).staff()).value

    assert staff[xporter_id(world, person)].tanda_user_id is None
    assert staff[user_id(world, person)].school_id is None


async def test_two_staff_with_the_same_name_are_two_people(sims: Sims) -> None:
    world = sims.world
    xporter_schools = sorted(s.id for s in world.schools.values() if s.system == "xporter")
    first = sorted(world.staff_of(xporter_schools[0]), key=lambda s: s.id)[1]
    twin = sorted(world.staff_of(xporter_schools[1]), key=lambda s: s.id)[1]
    assert (first.forename, first.surname) == (twin.forename, twin.surname)

    staff = (await sims.directory().staff()).value

    one, other = staff[xporter_id(world, first)], staff[xporter_id(world, twin)]
    assert one.id != other.id and (one.surname, one.forename) == (other.surname, other.forename)
    assert one.tanda_user_id is None or one.tanda_user_id != other.tanda_user_id
    assert one.match_candidates == () and other.match_candidates == ()


async def test_a_leaver_still_active_in_tanda_is_one_inactive_person(sims: Sims) -> None:
    world = sims.world
    leaver = messy(world)[3]
    assert leaver.leaving_date is not None and leaver.leaving_date < world.today
    user = next(u for u in world.tanda_users.values() if u.mis_staff_id == leaver.id)
    assert user.active

    merged = (await sims.directory().staff()).value[xporter_id(world, leaver)]

    assert merged.active is False
    assert merged.leaving_date == leaver.leaving_date
    assert merged.tanda_user_id == f"tanda:1:{user.id}"


async def test_agency_workers_are_staff_from_tanda_alone(sims: Sims) -> None:
    world = sims.world
    agency = [u for u in world.tanda_users.values() if u.mis_staff_id is None and not u.is_admin]
    assert agency

    staff = (await sims.directory().staff()).value

    for user in agency:
        person = staff[f"tanda:1:{user.id}"]
        assert person.school_id is None and person.staff_code is None
        assert person.display_name == user.name and person.email == user.email
        assert person.sources == (SourceRef(System.TANDA, "1", str(user.id)),)
        team_ids = {f"tanda:1:{t}" for t in user.department_ids}
        assert set(person.team_ids) == team_ids


async def test_merged_staff_are_cached_until_an_input_changes(sims: Sims) -> None:
    directory = sims.directory()

    first = await directory.staff()
    second = await directory.staff()
    sims.xporter.invalidate()  # as a webhook would: the next read is a fresh list
    third = await directory.staff()

    assert first.value is second.value
    assert third.value is not first.value and third.value == first.value


async def test_the_school_side_is_built_while_tandas_users_are_still_coming(sims: Sims) -> None:
    """The school staff lists come in one request each and Tanda's users in a chain of pages,
    so the school side of the merge is built before the last page: held here by a hang on
    Tanda's users, released once the school side is there."""
    directory = sims.directory()
    await sims.faults("tanda", hang=True, paths=["/api/v2/users"])
    read = asyncio.create_task(directory.staff())
    try:
        async with asyncio.timeout(10):
            while directory._merges.held("schools") is None:  # what the test is about
                assert not read.done()
                await asyncio.sleep(0.01)
        side = directory._merges.held("schools").staff
        assert len(side.by_key) == len(sims.world.staff)
    finally:
        await sims.faults("tanda", clear=True)
    merged = await read

    assert not read.cancelled() and not merged.errors
    assert {p.id for p in side.by_key.values()} <= set(merged.value)


async def test_the_school_side_is_kept_while_the_school_lists_are(sims: Sims) -> None:
    directory = sims.directory()

    await directory.staff()
    side = directory._merges.held("schools")
    sims.tanda.invalidate()  # Tanda's users read afresh: only the match is done again
    again = await directory.staff()
    assert directory._merges.held("schools") is side
    sims.xporter.invalidate()  # a school list read afresh: the school side is built again
    third = await directory.staff()

    assert directory._merges.held("schools") is not side
    assert third.value == again.value


def _staff(id: str, **fields: object) -> Staff:
    system, tenant, native = id.split(":")
    values: dict[str, object] = {
        "id": id,
        "school_id": f"{system}:{tenant}" if system != "tanda" else None,
        "tanda_user_id": id if system == "tanda" else None,
        "title": None,
        "forename": "Sam",
        "surname": "Lee",
        "display_name": "Sam Lee",
        "email": None,
        "staff_code": None,
        "payroll_number": None,
        "job_title": None,
        "is_teacher": None,
        "active": True,
        "leaving_date": None,
        "time_zone": None,
        "team_ids": (),
        "match_rule": None,
        "match_candidates": (),
        "sources": (SourceRef(System(system), tenant, native),),
    }
    values.update(fields)
    return Staff(**values)  # type: ignore[arg-type]


def test_an_employee_id_naming_staff_in_two_schools_is_not_guessed() -> None:
    one = _staff("xporter:1:10", staff_code="ABR")
    two = _staff("xporter:2:20", staff_code="ABR")
    worker = _staff("tanda:1:5", leaving_date=date(2026, 1, 1))

    merged = merge_staff([one, two], [(WorkerRecord("5", "ABR", None), worker)], MatchPolicy())

    assert set(merged.staff) == {"xporter:1:10", "xporter:2:20", "tanda:1:5"}
    assert merged.staff["tanda:1:5"].match_candidates == ("xporter:1:10", "xporter:2:20")
    assert merged.staff["xporter:1:10"].match_candidates == ("tanda:1:5",)
    assert merged.user_of_staff == {"tanda:1:5": 5}


def test_a_merged_person_is_the_school_record_with_the_tanda_side_joined() -> None:
    school = _staff(
        "xporter:1:10",
        title="Ms",
        email=None,
        staff_code="ABR",
        payroll_number="P10",
        job_title="Teacher",
        is_teacher=True,
        active=False,
        leaving_date=date(2026, 7, 31),
        time_zone="Europe/London",
    )
    user = _staff(
        "tanda:1:5",
        forename="Samantha",
        email="s.lee@example.org",
        time_zone="Australia/Brisbane",
        team_ids=("tanda:1:7",),
    )

    merged = merge_staff([school], [(WorkerRecord("5", "ABR", None), user)], MatchPolicy())

    person = merged.staff["xporter:1:10"]
    joined = {
        "tanda_user_id": "tanda:1:5",
        "email": "s.lee@example.org",
        "time_zone": "Australia/Brisbane",
        "team_ids": ("tanda:1:7",),
        "match_rule": "employee_id=staff_code",
        "sources": (
            SourceRef(System.XPORTER, "1", "10"),
            SourceRef(System.TANDA, "1", "5", matched_by="employee_id=staff_code:ABR"),
        ),
    }
    for name in Staff.__struct_fields__:
        assert getattr(person, name) == joined.get(name, getattr(school, name)), name
    assert merged.user_of_staff == {"xporter:1:10": 5}
