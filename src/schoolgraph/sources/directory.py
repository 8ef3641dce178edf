"""The directory: every read and write the graph needs, in the unified domain model.

One `Directory` per app, built from the configured clients and shared across requests. Each
upstream may be absent (not configured): its schools are simply not there, and the workforce
side answers empty without Tanda. The connectors' caches make repeated calls cheap, and the
adapters map a list to domain objects once per connector list object, so a warm read costs a
few dictionary lookups.

Errors are `SchoolgraphError`s (upstream ones carry `.upstream`). Reads that span upstreams
(`schools()`, `staff()`) answer a `Partial`: what the available upstreams gave, and one error
per upstream (or school) that failed.

Merged Staff (`identity.py`) are recomputed only when one of their inputs changed: every
school's staff list and Tanda's user list, each compared by identity (the connectors return
the same tuple for an unchanged list), plus today's date (which decides who has left).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from schoolgraph.domain import (
    AttendanceMark,
    Contact,
    Group,
    LeaveRequest,
    Lesson,
    Location,
    Partial,
    Roster,
    ScheduledShift,
    School,
    Shift,
    Staff,
    Student,
    StudentContact,
    System,
    Team,
    Timesheet,
    split_id,
)
from schoolgraph.errors import BadRequestError, NotFoundError, SchoolgraphError
from schoolgraph.identity.holders import holder_of
from schoolgraph.identity.matching import MatchPolicy
from schoolgraph.sources.identity import (
    MergedStaff,
    SchoolStaff,
    merge_staff,
    school_staff,
    with_tanda_side,
)
from schoolgraph.sources.memo import ListMemo
from schoolgraph.sources.tanda import TandaSource, Worker
from schoolgraph.sources.tass import TassSource
from schoolgraph.sources.xporter import XporterSource
from schoolgraph.upstreams.tanda import TandaClient, User
from schoolgraph.upstreams.tass import TassClient
from schoolgraph.upstreams.xporter import XporterClient

__all__ = ["Directory", "id_prefix"]

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Merge:
    """One generation of merged staff."""

    merged: MergedStaff
    errors: tuple[SchoolgraphError, ...]
    tanda_error: SchoolgraphError | None


@dataclass(frozen=True, slots=True)
class _Schools:
    """The school side of one generation of merged staff."""

    staff: SchoolStaff
    errors: tuple[SchoolgraphError, ...]


class Directory:
    """Reads and writes over the configured upstreams, in the domain model.

    Args:
        tanda: the Tanda client, or None when Tanda is not configured.
        xporter: the Xporter client, or None.
        tass: the TASS client, or None.
        today: the current date (decides who is on roll and who has left).
        identity: which keys match school staff to Tanda users; staff code, then payroll
            number, then email by default.
    """

    def __init__(
        self,
        tanda: TandaClient | None,
        xporter: XporterClient | None,
        tass: TassClient | None,
        *,
        today: Callable[[], date] = date.today,
        identity: MatchPolicy | None = None,
    ) -> None:
        self.tanda_client = tanda
        self.xporter_client = xporter
        self.tass_client = tass
        self._tanda = TandaSource(tanda) if tanda is not None else None
        self._xporter = XporterSource(xporter) if xporter is not None else None
        self._tass = TassSource(tass) if tass is not None else None
        self._today = today
        self._policy = identity or MatchPolicy()
        self._merges = ListMemo()  # "merge" and its "schools" side, per generation of lists
        self._people: tuple[str, tuple[User, ...]] | None = None

    # -- health ---------------------------------------------------------------------------

    async def readiness(self) -> Mapping[str, str]:
        """Upstream name -> ``"ok"`` or the error code it failed with (configured ones only)."""
        checks: dict[str, Awaitable[object]] = {}
        if self.tanda_client is not None:
            checks["tanda"] = self.tanda_client.readiness()
        if self.xporter_client is not None:
            checks["xporter"] = self.xporter_client.readiness()
        if self.tass_client is not None:
            checks["tass"] = self.tass_client.readiness()
        results = await asyncio.gather(*checks.values(), return_exceptions=True)
        out: dict[str, str] = {}
        for name, result in zip(checks, results, strict=True):
            if isinstance(result, SchoolgraphError):
                out[name] = result.code
            elif isinstance(result, BaseException):
                raise result
            elif isinstance(result, Mapping):  # per school: the first failure, if any
                out[name] = next((v for v in result.values() if v != "ok"), "ok")
            else:
                out[name] = "ok"
        return out

    # -- schools --------------------------------------------------------------------------

    async def schools(self) -> Partial[Sequence[School]]:
        """Every configured school; a school whose upstream fails contributes an error."""
        reads: list[Awaitable[School]] = []
        if self._xporter is not None:
            reads.extend(self._xporter.school(e) for e in self._xporter.tenants)
        if self._tass is not None:
            reads.extend(self._tass.school(c) for c in self._tass.tenants)
        schools, errors = _settle(await asyncio.gather(*reads, return_exceptions=True))
        return Partial(tuple(schools), errors)

    def school_ids(self) -> tuple[str, ...]:
        """Every configured school's id, in the order of :meth:`schools`, from configuration
        alone: no upstream is asked, so a list over every school (its students, its groups)
        reads each school's rows at once instead of waiting for the slowest upstream's
        school details."""
        ids: list[str] = []
        if self._xporter is not None:
            ids.extend(self._xporter.school_id(e) for e in self._xporter.tenants)
        if self._tass is not None:
            ids.extend(self._tass.school_id(c) for c in self._tass.tenants)
        return tuple(ids)

    async def school(self, school_id: str) -> School | None:
        found = self._find_school(school_id)
        if found is None:
            return None
        source, tenant = found
        return await source.school(tenant)

    def _find_school(self, school_id: str) -> tuple[XporterSource | TassSource, str] | None:
        parts = split_id(school_id)
        if parts is None or parts[2]:
            return None
        system, tenant, _ = parts
        source: XporterSource | TassSource | None = None
        if system is System.XPORTER:
            source = self._xporter
        elif system is System.TASS:
            source = self._tass
        if source is None or tenant not in source.tenants:
            return None
        return source, tenant

    def _school_of(self, school_id: str) -> tuple[XporterSource | TassSource, str]:
        found = self._find_school(school_id)
        if found is None:
            raise NotFoundError(f"School '{school_id}' is not a configured school.")
        return found

    # -- students, groups, contacts -------------------------------------------------------

    async def students(self, school_id: str) -> Mapping[str, Student]:
        """The school's students on roll, by Student id."""
        source, tenant = self._school_of(school_id)
        if isinstance(source, TassSource):
            return await source.students(tenant, self._today())
        return await source.students(tenant)

    async def student(self, student_id: str) -> Student | None:
        """One student read by id where the upstream reads by id (Xporter ``/Students/{id}``);
        TASS students come out of the school's list (its per-student read is not wired)."""
        source, tenant = self._school_of(id_prefix(student_id))
        parts = split_id(student_id)
        if isinstance(source, XporterSource) and parts is not None:
            return await source.student(tenant, parts[2])
        return (await self.students(id_prefix(student_id))).get(student_id)

    async def groups(self, school_id: str) -> Mapping[str, Group]:
        source, tenant = self._school_of(school_id)
        if isinstance(source, TassSource):
            return await source.groups(tenant, self._today())
        return await source.groups(tenant)

    async def contacts(self, school_id: str) -> Mapping[str, Contact]:
        source, tenant = self._school_of(school_id)
        return await source.contacts(tenant)

    async def student_contacts(self, school_id: str) -> Sequence[StudentContact]:
        source, tenant = self._school_of(school_id)
        return await source.student_contacts(tenant)

    async def lessons(self, school_id: str, start: date, end: date) -> Sequence[Lesson]:
        """The school's lessons on the school-local dates ``start`` to ``end`` inclusive."""
        _check_range(start, end)
        source, tenant = self._school_of(school_id)
        return await source.lessons(tenant, start, end)

    # -- one student's groups, contacts and lessons ---------------------------------------
    # Where the upstream offers it (Xporter), by the student's id and out of lists narrowed to
    # the columns the domain needs, a fixed number of reads whatever the student's number of
    # groups and contacts, instead of the school's full lists; elsewhere out of the lists.

    async def groups_of_student(self, student_id: str) -> Sequence[Group]:
        """The groups ``student_id`` is in (any order)."""
        school_id = id_prefix(student_id)
        source, tenant = self._school_of(school_id)
        parts = split_id(student_id)
        if isinstance(source, XporterSource) and parts is not None:
            return await source.groups_of_student(tenant, parts[2])
        groups = await self.groups(school_id)
        return tuple(group for group in groups.values() if student_id in group.student_ids)

    async def contacts_of_student(
        self, student_id: str
    ) -> tuple[Sequence[StudentContact], Mapping[str, Contact]]:
        """``student_id``'s links to contacts, and those contacts by Contact id."""
        school_id = id_prefix(student_id)
        source, tenant = self._school_of(school_id)
        parts = split_id(student_id)
        if isinstance(source, XporterSource) and parts is not None:
            return await source.contacts_of_student(tenant, parts[2])
        contacts, links = await asyncio.gather(
            self.contacts(school_id), self.student_contacts(school_id)
        )
        mine = tuple(link for link in links if link.student_id == student_id)
        return mine, {
            link.contact_id: contacts[link.contact_id]
            for link in mine
            if link.contact_id in contacts
        }

    async def lessons_of_student(self, student_id: str, start: date, end: date) -> Sequence[Lesson]:
        """``student_id``'s lessons on the school-local dates ``start`` to ``end`` inclusive
        (any order)."""
        _check_range(start, end)
        school_id = id_prefix(student_id)
        source, tenant = self._school_of(school_id)
        parts = split_id(student_id)
        if isinstance(source, XporterSource) and parts is not None:
            return await source.lessons_of_student(tenant, parts[2], start, end)
        groups, lessons = await asyncio.gather(
            self.groups_of_student(student_id), self.lessons(school_id, start, end)
        )
        mine = {group.id for group in groups}
        return tuple(lesson for lesson in lessons if lesson.group_id in mine)

    async def attendance(
        self,
        school_id: str,
        start: date,
        end: date,
        student_ids: Collection[str] | None = None,
    ) -> Sequence[AttendanceMark]:
        """Session marks from ``start`` to ``end`` inclusive, of every student or of some."""
        _check_range(start, end)
        source, tenant = self._school_of(school_id)
        return await source.attendance(tenant, start, end, student_ids)

    # -- staff ----------------------------------------------------------------------------

    async def staff(self) -> Partial[Mapping[str, Staff]]:
        """Every person: MIS staff of every school (leavers too) and every Tanda user, merged."""
        merge = await self._merged()
        return Partial(merge.merged.staff, merge.errors)

    async def staff_member(self, staff_id: str) -> Staff | None:
        """One person read by id where the upstream reads by id (Xporter ``/Staff/{id}``),
        with the Tanda side the identity merge gives them; anyone else out of the merge. An
        id of one of a person's records that is not their id now (a Tanda-only worker's,
        since merged) finds them, as :meth:`staff` lists them."""
        merge = await self._merged()
        merged = holder_of(merge.merged.staff, staff_id)
        if merged is not None:
            staff_id = merged.id  # the person's id now: their MIS record, read by id below
        parts = split_id(staff_id)
        found = self._find_school(id_prefix(staff_id)) if parts is not None else None
        if parts is None or found is None:
            return merged
        source, tenant = found
        if not isinstance(source, XporterSource):
            return merged
        person = await source.staff_member(tenant, parts[2], self._today())
        if person is None or merged is None:
            return person
        return with_tanda_side(person, merged)

    async def _merged(self) -> _Merge:
        today = self._today()
        # The school side is built as soon as the school lists are in (one request each),
        # while Tanda's users are still coming page by page: the match is all that is left
        # once the last page arrives.
        schools, people = await asyncio.gather(
            self._school_staff(today), _attempt(self._tanda_people())
        )
        inputs = (schools, None if isinstance(people, SchoolgraphError) else people)
        return self._merges.get(
            "merge", inputs, lambda: self._merge(schools, people), values=(today,)
        )

    def _merge(
        self, schools: _Schools, people: tuple[str, tuple[User, ...]] | SchoolgraphError | None
    ) -> _Merge:
        errors = list(schools.errors)
        workers: Sequence[Worker] = ()
        tanda_error: SchoolgraphError | None = None
        if isinstance(people, SchoolgraphError):
            errors.append(people)
            tanda_error = people
        elif people is not None and self._tanda is not None:
            tanda_tenant, users = people
            workers = self._tanda.workers(tanda_tenant, users)
        merged = merge_staff(schools.staff, workers, self._policy)
        return _Merge(merged, tuple(errors), tanda_error)

    async def _school_staff(self, today: date) -> _Schools:
        """Every school's staff list (leavers too), as the school side of the merge; the same
        object while every list is the same object and the date the same."""
        xporter, tass = self._xporter, self._tass
        x_tenants = xporter.tenants if xporter is not None else ()
        t_tenants = tass.tenants if tass is not None else ()
        x_rows, t_rows = await asyncio.gather(
            asyncio.gather(*(_attempt(xporter.staff_rows(e)) for e in x_tenants if xporter)),
            asyncio.gather(*(_attempt(tass.staff_rows(c)) for c in t_tenants if tass)),
        )

        def build() -> _Schools:
            errors: list[SchoolgraphError] = []
            mis: list[Staff] = []
            for estab, rows in zip(x_tenants, x_rows, strict=True):
                if isinstance(rows, SchoolgraphError):
                    errors.append(rows)
                elif xporter is not None:
                    mis.extend(xporter.staff(estab, rows, today))
            for company, found in zip(t_tenants, t_rows, strict=True):
                if isinstance(found, SchoolgraphError):
                    errors.append(found)
                elif tass is not None:
                    mis.extend(tass.staff(company, found, today))
            return _Schools(school_staff(mis, self._policy), tuple(errors))

        inputs = tuple(None if isinstance(r, SchoolgraphError) else r for r in (*x_rows, *t_rows))
        return self._merges.get("schools", inputs, build, values=(today,))

    async def _tanda_people(self) -> tuple[str, tuple[User, ...]] | None:
        """Tanda's organisation and users; the same pair object while the users list is."""
        if self._tanda is None:
            return None
        tenant, users = await asyncio.gather(self._tanda.tenant(), self._tanda.users())
        held = self._people
        if held is not None and held[0] == tenant and held[1] is users:
            return held
        self._people = (tenant, users)
        return self._people

    # -- the workforce side (Tanda) -------------------------------------------------------

    async def _workforce(self) -> tuple[TandaSource, str, MergedStaff] | None:
        """Tanda, its organisation and the merged staff; None when Tanda is not configured."""
        if self._tanda is None:
            return None
        merge = await self._merge_with_tanda()
        # The organisation was read for the merge, and the source keeps it: no request.
        return self._tanda, await self._tanda.tenant(), merge.merged

    async def _merge_with_tanda(self) -> _Merge:
        """The identity merge; its Tanda error when it could not read Tanda."""
        merge = await self._merged()
        if merge.tanda_error is not None:
            raise merge.tanda_error
        return merge

    async def _tanda_tenant(self) -> tuple[TandaSource, str] | None:
        """Tanda and its organisation, for reads that need no person mapped (rosters,
        locations): they start at once rather than after the identity merge's reads."""
        if self._tanda is None:
            return None
        return self._tanda, await self._tanda.tenant()

    async def _writer(self) -> tuple[TandaSource, str, MergedStaff]:
        found = await self._workforce()
        if found is None:
            raise BadRequestError("Tanda is not configured, so shifts cannot be changed.")
        return found

    @staticmethod
    def _users(
        tanda: TandaSource, tenant: str, index: MergedStaff, staff_ids: Collection[str] | None
    ) -> set[int] | None:
        """Tanda user ids of the given Staff ids (None: everyone); people without a Tanda user
        contribute nothing. A Tanda user's own id is accepted for a merged person too."""
        if staff_ids is None:
            return None
        users: set[int] = set()
        for staff_id in staff_ids:
            user = index.user_of_staff.get(staff_id)
            if user is None:
                native = tanda.native(tenant, staff_id)
                user = native if native is not None and native in index.staff_of_user else None
            if user is not None:
                users.add(user)
        return users

    async def teams(self) -> Mapping[str, Team]:
        return await self._alongside_merge(
            lambda tanda, tenant, merged: tanda.teams(tenant, merged), {}
        )

    async def locations(self) -> Mapping[str, Location]:
        found = await self._tanda_tenant()
        if found is None:
            return {}
        tanda, tenant = found
        return await tanda.locations(tenant)

    async def rosters(self, start: date, end: date) -> Sequence[Roster]:
        """The rosters (weeks) overlapping ``start`` to ``end``."""
        _check_range(start, end)
        found = await self._tanda_tenant()
        if found is None:
            return []
        tanda, tenant = found
        return await tanda.rosters(tenant, start, end)

    async def roster(self, roster_id: str) -> Roster | None:
        found = await self._tanda_tenant()
        if found is None:
            return None
        tanda, tenant = found
        return await tanda.roster(tenant, roster_id)

    async def current_roster(self) -> Roster | None:
        found = await self._tanda_tenant()
        if found is None:
            return None
        tanda, tenant = found
        return await tanda.current_roster(tenant)

    async def _of_staff(
        self,
        staff_ids: Collection[str] | None,
        read: Callable[
            [TandaSource, str, MergedStaff | Awaitable[MergedStaff], set[int] | None],
            Awaitable[Sequence[T]],
        ],
    ) -> Sequence[T]:
        """A workforce read of some staff (None: everyone); no request when none of them has
        a Tanda user."""
        if staff_ids is None:
            return await self._of_everyone(read)
        found = await self._workforce()
        if found is None:
            return []
        tanda, tenant, index = found
        users = self._users(tanda, tenant, index, staff_ids)
        if users is not None and not users:
            return []
        return await read(tanda, tenant, index, users)

    async def _of_everyone(
        self,
        read: Callable[
            [TandaSource, str, MergedStaff | Awaitable[MergedStaff], set[int] | None],
            Awaitable[Sequence[T]],
        ],
    ) -> Sequence[T]:
        """A workforce read of everyone: it names no person, so it is asked for alongside
        the identity merge (:meth:`_alongside_merge`)."""
        return await self._alongside_merge(
            lambda tanda, tenant, merged: read(tanda, tenant, merged, None), []
        )

    async def _alongside_merge(
        self,
        read: Callable[[TandaSource, str, Awaitable[MergedStaff]], Awaitable[V]],
        without_tanda: V,
    ) -> V:
        """A Tanda read that asks for nothing by person (everyone's shifts, the teams) but
        maps its rows' people through the identity merge: it is asked for alongside the
        merge rather than after it, and takes the merge when both are in. The merge's error,
        when there is one, is the answer, as it would be had the read waited for it."""
        found = await self._tanda_tenant()
        if found is None:
            return without_tanda
        tanda, tenant = found
        merged = asyncio.ensure_future(self._merged_index())
        answer = asyncio.ensure_future(read(tanda, tenant, merged))
        index, answered = await asyncio.gather(merged, answer, return_exceptions=True)
        if isinstance(index, BaseException):
            raise index
        if isinstance(answered, BaseException):
            raise answered
        return answered

    async def _merged_index(self) -> MergedStaff:
        return (await self._merge_with_tanda()).merged

    async def scheduled_shifts(
        self, staff_ids: Collection[str] | None, start: date, end: date
    ) -> Sequence[ScheduledShift]:
        """Scheduled shifts starting (local date) from ``start`` to ``end`` inclusive, of the
        given Staff (None: everyone visible); vacant ones only with ``staff_ids`` None."""
        _check_range(start, end)
        return await self._of_staff(
            staff_ids, lambda t, tenant, i, users: t.scheduled_shifts(tenant, i, users, start, end)
        )

    async def scheduled_shifts_by_ids(self, ids: Collection[str]) -> Mapping[str, ScheduledShift]:
        found = await self._workforce()
        if found is None:
            return {}
        tanda, tenant, index = found
        return await tanda.scheduled_shifts_by_ids(tenant, index, ids)

    async def shifts(
        self, staff_ids: Collection[str] | None, start: date, end: date
    ) -> Sequence[Shift]:
        """Worked shifts dated ``start`` to ``end`` inclusive, of the given Staff (None: all)."""
        _check_range(start, end)
        return await self._of_staff(
            staff_ids, lambda t, tenant, i, users: t.shifts(tenant, i, users, start, end)
        )

    async def shifts_by_ids(self, ids: Collection[str]) -> Mapping[str, Shift]:
        found = await self._workforce()
        if found is None:
            return {}
        tanda, tenant, index = found
        return await tanda.shifts_by_ids(tenant, index, ids)

    async def timesheets(self, staff_ids: Collection[str] | None, on: date) -> Sequence[Timesheet]:
        """The timesheets holding the date ``on``, of the given Staff (None: everyone)."""
        return await self._of_staff(
            staff_ids, lambda t, tenant, i, users: t.timesheets(tenant, i, users, on)
        )

    async def leave_requests(
        self, staff_ids: Collection[str] | None, start: date, end: date
    ) -> Sequence[LeaveRequest]:
        """Leave requests overlapping ``start`` to ``end``, of the given Staff (None: all)."""
        _check_range(start, end)
        return await self._of_staff(
            staff_ids, lambda t, tenant, i, users: t.leave_requests(tenant, i, users, start, end)
        )

    # -- writes (Tanda) -------------------------------------------------------------------

    async def create_shift(
        self,
        staff_id: str,
        date: date,
        start: datetime,
        finish: datetime | None,
        team_id: str | None = None,
        break_minutes: int | None = None,
    ) -> Shift:
        """Record a worked shift (``finish`` None: still clocked in)."""
        tanda, tenant, index = await self._writer()
        return await tanda.create_shift(
            tenant, index, staff_id, date, start, finish, team_id, break_minutes
        )

    async def update_shift(self, shift_id: str, **changes: Any) -> Shift:
        """Change some of a shift's `date`, `start`, `finish`, `team_id`, `break_minutes`,
        `status`; the fields not given are left as they are."""
        tanda, tenant, index = await self._writer()
        return await tanda.update_shift(tenant, index, shift_id, changes)

    async def approve_shifts(self, ids: Collection[str]) -> Sequence[Shift]:
        tanda, tenant, index = await self._writer()
        return await tanda.approve_shifts(tenant, index, ids)

    async def delete_shift(self, shift_id: str) -> None:
        tanda, tenant, _ = await self._writer()
        await tanda.delete_shift(tenant, shift_id)

    async def create_scheduled_shift(
        self,
        staff_id: str | None,
        start: datetime,
        finish: datetime,
        team_id: str | None = None,
        break_minutes: int | None = None,
    ) -> ScheduledShift:
        """Plan a shift in the roster of its week (``staff_id`` None: a vacant shift)."""
        tanda, tenant, index = await self._writer()
        return await tanda.create_scheduled_shift(
            tenant, index, staff_id, start, finish, team_id, break_minutes
        )

    async def update_scheduled_shift(
        self, scheduled_shift_id: str, **changes: Any
    ) -> ScheduledShift:
        """Change some of `staff_id` (None: vacant), `start`, `finish`, `team_id`,
        `break_minutes`; the fields not given are left as they are."""
        tanda, tenant, index = await self._writer()
        return await tanda.update_scheduled_shift(tenant, index, scheduled_shift_id, changes)

    async def publish_scheduled_shifts(self, ids: Collection[str]) -> Sequence[ScheduledShift]:
        """Publish scheduled shifts; answers those Tanda published (it skips ones the
        credentials may not change)."""
        tanda, tenant, index = await self._writer()
        return await tanda.publish_scheduled_shifts(tenant, index, ids)


def _settle(results: Sequence[T | BaseException]) -> tuple[list[T], tuple[SchoolgraphError, ...]]:
    """Values and errors of a gather; anything outside the error tree is a bug and raised."""
    values: list[T] = []
    errors: list[SchoolgraphError] = []
    for result in results:
        if isinstance(result, SchoolgraphError):
            errors.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            values.append(result)
    return values, tuple(errors)


async def _attempt(call: Awaitable[T]) -> T | SchoolgraphError:
    """The value of ``call``, or the error it failed with (other exceptions propagate)."""
    try:
        return await call
    except SchoolgraphError as error:
        return error


def id_prefix(domain_id: str) -> str:
    """The school of an MIS entity's id: ``"xporter:7109606:150001"`` -> ``"xporter:7109606"``."""
    return ":".join(domain_id.split(":", 2)[:2])


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise BadRequestError(f"The date range {start} to {end} ends before it starts.")
