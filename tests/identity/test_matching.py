"""Matching school staff to Tanda users: keys first, then email, never names, never a guess."""

from __future__ import annotations

from datetime import date

import pytest

from schoolgraph.identity.matching import (
    MatchPolicy,
    StaffRecord,
    WorkerRecord,
    index_staff,
    match_people,
)
from schoolgraph.simulators.dataset import World, generate_world


def staff(
    id: str,
    *,
    school: str = "s1",
    code: str | None = None,
    payroll: str | None = None,
    email: str | None = None,
) -> StaffRecord:
    return StaffRecord("xporter", school, id, code, payroll, email)


def test_employee_id_equal_to_the_staff_code_matches() -> None:
    result = match_people([staff("1", code="ABR")], [WorkerRecord("u1", "ABR", None)])
    [person] = result.people
    assert person.worker is not None and person.worker.id == "u1"
    assert person.provenance is not None
    assert (person.provenance.rule, person.provenance.value) == ("employee_id=staff_code", "ABR")


def test_payroll_number_matches_when_the_code_does_not() -> None:
    result = match_people(
        [staff("1", code="ABR", payroll="P01")], [WorkerRecord("u1", "P01", None)]
    )
    person = result.by_worker["u1"]
    assert person.staff is not None and person.provenance is not None
    assert person.provenance.rule == "employee_id=payroll_number"


def test_email_matches_case_insensitively() -> None:
    result = match_people(
        [staff("1", email="a.brown@school.uk")], [WorkerRecord("u1", None, " A.Brown@School.UK ")]
    )
    person = result.by_worker["u1"]
    assert person.staff is not None and person.provenance is not None
    assert (person.provenance.rule, person.provenance.value) == ("email", "a.brown@school.uk")


def test_a_code_shared_by_two_schools_is_ambiguous_not_guessed() -> None:
    result = match_people(
        [staff("1", school="s1", code="ABR"), staff("2", school="s2", code="ABR")],
        [WorkerRecord("u1", "ABR", None)],
    )
    worker = result.by_worker["u1"]
    assert worker.staff is None and worker.ambiguous
    assert sorted(s.id for s in worker.staff_candidates) == ["1", "2"]
    assert all(p.worker is None for p in result.people if p.staff is not None)


def test_email_resolves_what_an_ambiguous_code_could_not() -> None:
    result = match_people(
        [
            staff("1", school="s1", code="ABR", email="x@a.uk"),
            staff("2", school="s2", code="ABR", email="y@b.uk"),
        ],
        [WorkerRecord("u1", "ABR", "Y@B.uk")],
    )
    person = result.by_worker["u1"]
    assert person.staff is not None and person.staff.id == "2"
    assert result.by_staff[("xporter", "s1", "1")].worker_candidates == []


def test_names_never_merge_people() -> None:
    result = match_people([staff("1")], [WorkerRecord("u1", None, None)])
    assert len(result.people) == 2


def test_email_can_be_switched_off() -> None:
    result = match_people(
        [staff("1", email="a@b.c")],
        [WorkerRecord("u1", None, "a@b.c")],
        MatchPolicy(use_email=False),
    )
    assert len(result.people) == 2


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(7, "demo", date(2026, 11, 23))


def _records(world: World) -> tuple[list[StaffRecord], list[WorkerRecord]]:
    staff_records = [
        StaffRecord(
            world.schools[s.school_id].system,
            world.schools[s.school_id].code,
            str(s.id),
            s.code,
            s.payroll_number,
            s.email,
        )
        for s in world.staff.values()
    ]
    workers = [WorkerRecord(str(u.id), u.employee_id, u.email) for u in world.tanda_users.values()]
    return staff_records, workers


def test_the_world_matches_without_a_single_wrong_merge(world: World) -> None:
    result = match_people(*_records(world))
    truth = {str(u.id): u.mis_staff_id for u in world.tanda_users.values()}
    merged = [p for p in result.people if p.staff and p.worker]
    assert merged
    for person in merged:
        assert person.worker is not None and person.staff is not None
        assert truth[person.worker.id] == int(person.staff.id)
    # Everyone the world says is one person is merged, or left split with the right candidate.
    for worker_id, staff_id in truth.items():
        if staff_id is None:
            continue
        person = result.by_worker[worker_id]
        if person.staff is None:
            assert str(staff_id) in {s.id for s in person.staff_candidates}


def test_the_worlds_messy_cases(world: World) -> None:
    result = match_people(*_records(world))
    users = {u.mis_staff_id: u for u in world.tanda_users.values() if u.mis_staff_id}
    no_email = next(s for s in world.staff.values() if s.email is None)
    person = result.by_worker[str(users[no_email.id].id)]
    assert person.staff is not None and person.staff.id == str(no_email.id)
    leaver = next(s for s in world.staff.values() if s.leaving_date)
    assert result.by_worker[str(users[leaver.id].id)].staff is not None
    # Workers who exist only in Tanda are people too.
    agency = [u for u in world.tanda_users.values() if u.mis_staff_id is None]
    assert all(result.by_worker[str(u.id)].staff is None for u in agency)


@pytest.mark.parametrize(
    "policy",
    [MatchPolicy(), MatchPolicy(keys=("payroll_number",)), MatchPolicy(use_email=False)],
    ids=["default", "payroll-only", "no-email"],
)
def test_a_staff_index_built_ahead_matches_as_the_records_do(
    world: World, policy: MatchPolicy
) -> None:
    records, workers = _records(world)

    direct = match_people(records, workers, policy)
    indexed = match_people(index_staff(records, policy), workers)

    assert indexed == direct
    assert [p.provenance for p in indexed.people] == [p.provenance for p in direct.people]


def test_a_staff_index_refuses_another_policy() -> None:
    index = index_staff([staff("1", code="ABR")], MatchPolicy(use_email=False))

    with pytest.raises(ValueError, match="another match policy"):
        match_people(index, [WorkerRecord("u1", "ABR", None)], MatchPolicy())
    assert match_people(index, [], MatchPolicy(use_email=False)).people
