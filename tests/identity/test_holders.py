"""Who holds a record: a person found by the id of any of their records, whatever the merge."""

from __future__ import annotations

from types import MappingProxyType

from schoolgraph.domain import SourceRef, Staff, System
from schoolgraph.identity.holders import holder_of, record_holders
from schoolgraph.identity.matching import MatchPolicy, WorkerRecord
from schoolgraph.sources.identity import merge_staff


def _staff(domain_id: str, *, staff_code: str | None = None) -> Staff:
    system, tenant, native = domain_id.split(":")
    return Staff(
        id=domain_id,
        school_id=None if system == "tanda" else f"{system}:{tenant}",
        tanda_user_id=domain_id if system == "tanda" else None,
        title=None,
        forename="Sam",
        surname="Lee",
        display_name="Sam Lee",
        email=None,
        staff_code=staff_code,
        payroll_number=None,
        job_title=None,
        is_teacher=None,
        active=True,
        leaving_date=None,
        time_zone=None,
        team_ids=(),
        match_rule=None,
        match_candidates=(),
        sources=(SourceRef(System(system), tenant, native),),
    )


SCHOOL = _staff("xporter:1:10", staff_code="ABR")
WORKER = _staff("tanda:1:5")


def _merged(employee_id: str | None) -> MappingProxyType[str, Staff]:
    """The school record and the Tanda user, merged when ``employee_id`` is the staff code."""
    policy = MatchPolicy()
    merged = merge_staff([SCHOOL], [(WorkerRecord("5", employee_id, None), WORKER)], policy)
    return MappingProxyType(dict(merged.staff))


def test_a_tanda_users_id_finds_the_person_they_were_merged_into() -> None:
    split, merged = _merged(None), _merged("ABR")

    assert holder_of(split, "tanda:1:5") is split["tanda:1:5"]
    assert holder_of(merged, "tanda:1:5") is merged["xporter:1:10"]
    assert holder_of(merged, "xporter:1:10") is merged["xporter:1:10"]
    assert record_holders(merged) == {"tanda:1:5": "xporter:1:10"}
    assert record_holders(split) == {}


def test_an_id_no_record_has_finds_no_one() -> None:
    merged = _merged("ABR")

    assert holder_of(merged, "tanda:1:6") is None
    assert holder_of(merged, "tanda:2:5") is None  # another Tanda organisation's user 5
    assert holder_of(merged, "xporter:1:11") is None


def test_the_holders_follow_the_read_they_are_asked_about() -> None:
    merged, split = _merged("ABR"), _merged(None)

    assert holder_of(merged, "tanda:1:5") is merged["xporter:1:10"]
    assert holder_of(split, "tanda:1:5") is split["tanda:1:5"]  # not the last read's index
    assert holder_of(merged, "tanda:1:5") is merged["xporter:1:10"]
