"""``TassChanges``: which students and staff of a TASS company changed since the last poll.

TASS has no change sets; its lists are refreshed by `update_on` (the client's cache asks only
for rows updated since the newest it holds, and reads a list whole every
``full_refresh_every``, which is when deletions show). Each poll marks the company's cached
lists stale, reads them as a query would (so the cache takes the new rows in), and compares
each row's hash with the previous poll's, so a row that came back unchanged never counts. A
member of staff is one employee row and its teacher row: either changing counts. The first
poll of a list takes the cached hashes as its baseline when there are some, else it only
records the baseline.
"""

from __future__ import annotations

from collections.abc import Collection

from schoolgraph.domain import Change, ChangeKind, System, entity_id
from schoolgraph.sources.tass import staff_native_id
from schoolgraph.upstreams import tass as t

__all__ = ["TASS_POLLED_KINDS", "TassChanges"]

TASS_POLLED_KINDS: dict[ChangeKind, tuple[str, ...]] = {
    ChangeKind.STUDENT: ("students",),
    ChangeKind.STAFF: ("employees", "teachers"),
}
"""The kinds of change polled from TASS, and the cached lists each is read from."""


class TassChanges:
    """Row-hash baselines per company and kind, over one client."""

    system = System.TASS
    kinds: Collection[ChangeKind] = tuple(TASS_POLLED_KINDS)

    def __init__(self, client: t.TassClient) -> None:
        self.client = client
        self._baselines: dict[tuple[str, ChangeKind], dict[str, str]] = {}

    async def poll(self, company: str, kinds: Collection[ChangeKind]) -> list[Change]:
        """The changes of ``kinds`` at company ``company`` since its last poll; the baselines
        of other kinds are forgotten (nobody listens: their next poll starts afresh)."""
        school = entity_id(System.TASS, company)
        changes: list[Change] = []
        for kind, resources in TASS_POLLED_KINDS.items():
            if kind not in kinds:
                self._baselines.pop((company, kind), None)
                continue
            before = self._baselines.get((company, kind))
            if before is None:
                before = await self._hashes(company, kind)
            for resource in resources:
                self.client.expire(company, resource)
            after = await self._hashes(company, kind, read=True)
            if after is None:
                continue
            self._baselines[(company, kind)] = after
            if before is None:
                continue
            for native, row_hash in after.items():
                if before.get(native) != row_hash:
                    changes.append(Change(kind, entity_id(System.TASS, company, native), school))
            for native in before.keys() - after.keys():
                changes.append(
                    Change(kind, entity_id(System.TASS, company, native), school, deleted=True)
                )
        return changes

    async def _hashes(
        self, company: str, kind: ChangeKind, *, read: bool = False
    ) -> dict[str, str] | None:
        """Native id -> row hash of ``kind``, from the cached lists (None when they are not
        cached, or the cache is off). With ``read``, the lists are read first."""
        client = self.client
        if kind is ChangeKind.STUDENT:
            if read:
                await client.students(company)
            students = client.snapshot(company, "students")
            return None if students is None else {str(k): h for k, h in students.hashes.items()}
        if not read and client.snapshot(company, "teachers") is None:
            return None
        rows = await client.staff(company)  # cached lists: no upstream read unless stale
        teachers = client.snapshot(company, "teachers")
        if teachers is None:
            return None
        employees = client.snapshot(company, "employees")
        return {staff_native_id(row): _staff_hash(row, employees, teachers) for row in rows}


def _staff_hash(
    row: t.Staff, employees: t.Snapshot[t.Employee] | None, teachers: t.Snapshot[t.Teacher]
) -> str:
    """The hashes of the member's employee row and teacher row (a side it lacks is empty)."""
    employee = row.employee
    teacher = row.teacher
    employee_hash = (
        "" if employee is None or employees is None else employees.hashes.get(employee.code, "")
    )
    teacher_hash = "" if teacher is None else teachers.hashes.get(teacher.code, "")
    return f"{employee_hash}:{teacher_hash}"
