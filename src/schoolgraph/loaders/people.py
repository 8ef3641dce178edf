"""Students, staff and contacts: one list read per school (or one for every person).

The MIS APIs have no batch-by-id parameter, so a school's whole list is read once per request
(the connectors' caches make that a revalidation) and indexed in memory: the number of
upstream requests follows the number of schools a query touches, never its rows.

Without batching (``Loaders(batch=False)``, the bench's naive baseline) a student or a member
of staff is read by id where the upstream offers that read, as a resolver without
dataloaders would.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schoolgraph.domain import Contact, Partial, Staff, Student, StudentContact
from schoolgraph.errors import SchoolgraphError
from schoolgraph.identity.holders import holder_of
from schoolgraph.loaders.outcomes import (
    ALL,
    All,
    Outcome,
    gather_per_key,
    id_prefix,
    load_each,
    missing,
    pick,
)
from schoolgraph.sources.memo import ListMemo

if TYPE_CHECKING:
    from schoolgraph.loaders.per_request import Loaders

__all__ = [
    "SchoolContacts",
    "batch_all_staff",
    "batch_contacts_by_school",
    "batch_staff",
    "batch_students",
    "batch_students_by_school",
    "school_of",
    "staff_of",
    "students_of",
]


def school_of(domain_id: str) -> str:
    """The school of an MIS entity: ``"xporter:7109606:150001"`` -> ``"xporter:7109606"``."""
    return id_prefix(domain_id, 2)


async def batch_students_by_school(
    loaders: Loaders, keys: list[str]
) -> list[Outcome[Mapping[str, Student]]]:
    return await gather_per_key(keys, loaders.directory.students)


async def batch_students(loaders: Loaders, keys: list[str]) -> list[Outcome[Student | None]]:
    """A school's students out of one read of its list; a student asked for alone (a
    student's page) read by id, which does not wait for thousands of rows to arrive and be
    parsed. Without batching (the naive baseline) every student is read by id."""
    if not loaders.batch:
        return await gather_per_key(keys, loaders.directory.student)
    per_school = Counter(school_of(key) for key in dict.fromkeys(keys))
    alone = [key for key in keys if per_school[school_of(key)] == 1]
    listed = {school_of(key) for key in keys if per_school[school_of(key)] > 1}
    by_id, by_school = await asyncio.gather(
        gather_per_key(alone, loaders.directory.student),
        load_each(loaders.students_by_school, listed),
    )
    read_alone = dict(zip(alone, by_id, strict=True))
    return [
        read_alone[key] if key in read_alone else pick(by_school[school_of(key)], key)
        for key in keys
    ]


async def students_of(
    loaders: Loaders, school_id: str, student_ids: Sequence[str]
) -> Mapping[str, Student]:
    """The students of ``school_id`` among ``student_ids`` (a group's members), by id.

    One read of the school, indexed; without batching (the naive baseline) one load per
    student, each its own read.

    Raises:
        SchoolgraphError: the school, or a student, could not be read.
    """
    if loaders.batch:
        return await loaders.students_by_school.load(school_id)
    found = await load_each(loaders.student, student_ids)
    for row in found.values():
        if isinstance(row, SchoolgraphError):
            raise row
    return {key: row for key, row in found.items() if isinstance(row, Student)}


@dataclass(frozen=True, slots=True)
class SchoolContacts:
    """A school's contacts, and the links between them and its students."""

    by_id: Mapping[str, Contact]
    by_student: Mapping[str, Sequence[StudentContact]]
    by_contact: Mapping[str, Sequence[StudentContact]]

    @classmethod
    def of(cls, contacts: Mapping[str, Contact], links: Sequence[StudentContact]) -> SchoolContacts:
        by_student: dict[str, list[StudentContact]] = defaultdict(list)
        by_contact: dict[str, list[StudentContact]] = defaultdict(list)
        for link in links:
            by_student[link.student_id].append(link)
            by_contact[link.contact_id].append(link)
        return cls(contacts, dict(by_student), dict(by_contact))


_INDEXES = ListMemo()
"""Each school's contact index, rebuilt only when the directory hands out other lists."""


async def batch_contacts_by_school(
    loaders: Loaders, keys: list[str]
) -> list[Outcome[SchoolContacts]]:
    async def read(school_id: str) -> SchoolContacts:
        contacts, links = await asyncio.gather(
            loaders.directory.contacts(school_id), loaders.directory.student_contacts(school_id)
        )
        return _INDEXES.get(
            school_id, (contacts, links), lambda: SchoolContacts.of(contacts, links)
        )

    return await gather_per_key(keys, read)


async def batch_all_staff(
    loaders: Loaders, keys: list[All]
) -> list[Outcome[Partial[Mapping[str, Staff]]]]:
    # Directory.staff() does not raise for a down upstream: the failure is in the Partial.
    staff = await loaders.directory.staff()
    return [staff for _ in keys]


async def batch_staff(loaders: Loaders, keys: list[str]) -> list[Outcome[Staff | None]]:
    """One answer per Staff id, out of one read of everyone: the person (the one holding the
    record the id names, when it is not their id now: see :func:`staff_of`), ``None``, or
    the error of the upstream that holds them when that upstream could not be read."""
    if not loaders.batch:  # the naive baseline: each person read by id
        return await gather_per_key(keys, loaders.directory.staff_member)
    staff = await loaders.all_staff.load(ALL)
    return [staff_of(staff, key) for key in keys]


def staff_of(everyone: Partial[Mapping[str, Staff]], staff_id: str) -> Outcome[Staff | None]:
    """``staff_id``'s person in a read of everyone: the person with that id, else the one
    holding the upstream record it names (a Tanda-only worker's id still finds them once
    they are merged with their MIS record), as they are now; ``None`` when no one does."""
    return holder_of(everyone.value, staff_id) or missing(staff_id, everyone.errors)
