"""Merged Staff: school MIS staff and Tanda users joined by `identity.matching.match_people`.

The adapters hand over domain `Staff` (MIS ones, and Tanda-only ones with the `WorkerRecord`
each was built from); this module joins them and records how: `match_rule`, the Tanda ref's
`matched_by` (``"<rule>:<value>"``), and `match_candidates` for people left split because a
key or email pointed at more than one candidate.

A merged person keeps the MIS record's id, names, `active` and leaving date (a leaver who is
still an active Tanda user has left the school); Tanda adds the user id, teams and time zone,
and the email when the MIS has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from msgspec.structs import replace

from schoolgraph.domain import SourceRef, Staff
from schoolgraph.identity.matching import (
    MatchPolicy,
    Provenance,
    StaffIndex,
    StaffRecord,
    WorkerRecord,
    index_staff,
    match_people,
)

__all__ = ["MergedStaff", "SchoolStaff", "merge_staff", "school_staff", "with_tanda_side"]


@dataclass(frozen=True, slots=True)
class MergedStaff:
    """Every person once, and the lookups between merged Staff ids and Tanda user ids.

    Attributes:
        staff: merged Staff id -> Staff, MIS people first.
        user_of_staff: merged Staff id -> native Tanda user id, for people with a Tanda user.
        staff_of_user: native Tanda user id -> merged Staff id.
    """

    staff: Mapping[str, Staff]
    user_of_staff: Mapping[str, int]
    staff_of_user: Mapping[int, str]


@dataclass(frozen=True, slots=True)
class SchoolStaff:
    """The school side of the merge: every school's MIS staff (unmerged) by matching key,
    and their matching records indexed (`StaffIndex`).

    The school lists come in one request each, long before Tanda's last page of users, so
    the directory builds this while the users are still on their way.
    """

    by_key: Mapping[tuple[str, str, str], Staff]
    index: StaffIndex


def school_staff(mis: Iterable[Staff], policy: MatchPolicy) -> SchoolStaff:
    """`SchoolStaff` of MIS staff of every school (unmerged: `tanda_user_id` is None); the
    first source ref of each names its system, tenant and native id."""
    records: list[StaffRecord] = []
    by_key: dict[tuple[str, str, str], Staff] = {}
    for person in mis:
        ref = person.sources[0]
        record = StaffRecord(
            system=ref.system.value,
            school=ref.tenant,
            id=ref.id,
            staff_code=person.staff_code,
            payroll_number=person.payroll_number,
            email=person.email,
        )
        records.append(record)
        by_key[record.key] = person
    return SchoolStaff(MappingProxyType(by_key), index_staff(records, policy))


def merge_staff(
    mis: Sequence[Staff] | SchoolStaff,
    workers: Sequence[tuple[WorkerRecord, Staff]],
    policy: MatchPolicy,
) -> MergedStaff:
    """Join MIS staff and Tanda users into people.

    Args:
        mis: MIS staff of every school (as `school_staff` takes them), or their
            `SchoolStaff` built under ``policy``.
        workers: each Tanda user's matching record (its `id` the native user id) and the
            Tanda-only Staff built from it.
        policy: which keys count, and whether email may match.
    """
    side = mis if isinstance(mis, SchoolStaff) else school_staff(mis, policy)
    by_key = side.by_key
    worker_staff = {record.id: person for record, person in workers}
    matching = match_people(side.index, (record for record, _ in workers), policy)

    staff: dict[str, Staff] = {}
    user_of_staff: dict[str, int] = {}
    staff_of_user: dict[int, str] = {}
    for found in matching.people:
        if found.staff is not None:
            base = by_key[found.staff.key]
            if found.worker is not None and found.provenance is not None:
                person = _joined(base, worker_staff[found.worker.id], found.provenance)
                user_of_staff[person.id] = int(found.worker.id)
                staff_of_user[int(found.worker.id)] = person.id
            elif found.worker_candidates:
                person = replace(
                    base,
                    match_candidates=tuple(worker_staff[w.id].id for w in found.worker_candidates),
                )
            else:
                person = base
        elif found.worker is not None:
            tanda = worker_staff[found.worker.id]
            person = tanda
            if found.staff_candidates:
                person = replace(
                    tanda,
                    match_candidates=tuple(by_key[s.key].id for s in found.staff_candidates),
                )
            user_of_staff[person.id] = int(found.worker.id)
            staff_of_user[int(found.worker.id)] = person.id
        else:  # pragma: no cover - match_people never yields an empty person
            continue
        staff[person.id] = person
    return MergedStaff(
        MappingProxyType(staff), MappingProxyType(user_of_staff), MappingProxyType(staff_of_user)
    )


def _joined(base: Staff, tanda: Staff, provenance: Provenance) -> Staff:
    """One person out of an MIS record and the Tanda user matched to it.

    Built field by field rather than with `replace`, which reads the fields of
    the class on every call: a merge joins hundreds of people.
    """
    ref = tanda.sources[0]
    rule = provenance.rule
    return Staff(
        id=base.id,
        school_id=base.school_id,
        tanda_user_id=tanda.id,
        title=base.title,
        forename=base.forename,
        surname=base.surname,
        display_name=base.display_name,
        email=base.email or tanda.email,
        staff_code=base.staff_code,
        payroll_number=base.payroll_number,
        job_title=base.job_title,
        is_teacher=base.is_teacher,
        active=base.active,
        leaving_date=base.leaving_date,
        time_zone=tanda.time_zone or base.time_zone,
        team_ids=tanda.team_ids,
        match_rule=rule,
        match_candidates=base.match_candidates,
        sources=(
            *base.sources,
            SourceRef(ref.system, ref.tenant, ref.id, f"{rule}:{provenance.value}"),
        ),
    )


def with_tanda_side(mis: Staff, merged: Staff) -> Staff:
    """``mis`` (one MIS record, read on its own) with what the merge joined to the same person:
    their Tanda user, teams and time zone, and any candidates left split."""
    if merged.tanda_user_id is None:
        return replace(mis, match_candidates=merged.match_candidates)
    return replace(
        mis,
        tanda_user_id=merged.tanda_user_id,
        email=mis.email or merged.email,
        team_ids=merged.team_ids,
        time_zone=merged.time_zone,
        match_rule=merged.match_rule,
        match_candidates=merged.match_candidates,
        sources=(*mis.sources, *merged.sources[1:]),
    )
