"""``Staff``: one person across a school MIS and Tanda, with both sides' edges."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.domain import System
from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.arguments import (
    DEFAULT_PAGE_SIZE,
    After,
    First,
    From,
    To,
    date_window,
)
from schoolgraph.graph.configured_schools import check_configured_school
from schoolgraph.graph.connections import (
    Connection,
    SortedRows,
    SortKey,
    check_page,
    paginate_sorted,
)
from schoolgraph.graph.extensions.partial_errors import report_partial
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import decode_id_of, encode_global_id
from schoolgraph.graph.info import Info, already_built, built_once, loaders
from schoolgraph.graph.loading import load_rows, selected, with_references
from schoolgraph.graph.search import STAFF_SEARCH, matches, search_terms
from schoolgraph.graph.time_zones import today_in
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders import SchoolWindow, StaffDay, StaffWindow
from schoolgraph.loaders.outcomes import ALL, UNSETTLED
from schoolgraph.loaders.people import staff_of

if TYPE_CHECKING:
    from schoolgraph.graph.types.group import Group
    from schoolgraph.graph.types.leave import LeaveRequest
    from schoolgraph.graph.types.lesson import Lesson
    from schoolgraph.graph.types.scheduled_shift import ScheduledShift
    from schoolgraph.graph.types.school import School
    from schoolgraph.graph.types.shift import Shift
    from schoolgraph.graph.types.team import Team
    from schoolgraph.graph.types.timesheet import Timesheet

__all__ = ["Staff", "find_staff", "resolve_staff", "staff_now", "staff_sort_key"]


@strawberry.federation.type(
    keys=["id"],
    description=(
        "A person who works at a school: a school MIS staff member, a Tanda user, or both "
        "merged into one (see `sources` and `matchRule`). Fetched by the id of any of their "
        "records (`node`, `nodes`, `_entities`), they answer as they are now, with their "
        "current `id`."
    ),
)
class Staff(Node):
    row: strawberry.Private[domain.Staff]
    id: strawberry.ID = strawberry.field(
        description=(
            "Opaque global id: the MIS record's when the person has one, else their Tanda "
            "user's. The id of any of the person's records fetches them while that record "
            "exists upstream: a Tanda-only worker's id still finds them once the identity "
            "merge joins them to their MIS record, and the answer carries the id they have "
            "now (the MIS record's), not the one asked for. Split again, each id finds the "
            "person holding its record."
        )
    )
    domain_id: str = strawberry.field(
        description=(
            'The composite id behind `id`: the MIS record\'s ("xporter:7109606:110003") when '
            'the person has one, else the Tanda user\'s ("tanda:1:100034").'
        )
    )
    title: str | None
    forename: str | None
    surname: str | None
    display_name: str
    email: str | None
    staff_code: str | None = strawberry.field(description="The MIS staff code.")
    payroll_number: str | None
    job_title: str | None
    is_teacher: bool | None
    active: bool = strawberry.field(
        description="From the MIS when the person has an MIS record, else from Tanda."
    )
    leaving_date: date | None
    time_zone: str | None = strawberry.field(
        description="The IANA zone of the person's shifts: their Tanda user's, else their school's."
    )
    tanda_user_id: str | None = strawberry.field(
        description="The person's Tanda user id, when they have one."
    )
    match_rule: str | None = strawberry.field(
        description=(
            'How the Tanda user was matched to the MIS record ("employee_id=staff_code", '
            '"employee_id=payroll_number", "email"); null when the person is not merged.'
        )
    )
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Staff) -> Staff:
        tanda_ids = [ref.id for ref in row.sources if ref.system is domain.System.TANDA]
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Staff", row.id)),
            domain_id=row.id,
            title=row.title,
            forename=row.forename,
            surname=row.surname,
            display_name=row.display_name,
            email=row.email,
            staff_code=row.staff_code,
            payroll_number=row.payroll_number,
            job_title=row.job_title,
            is_teacher=row.is_teacher,
            active=row.active,
            leaving_date=row.leaving_date,
            time_zone=row.time_zone,
            tanda_user_id=tanda_ids[0] if tanda_ids else None,
            match_rule=row.match_rule,
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Staff | None:
        """The person ``domain_id`` names: theirs, or one of their records' (an id from before
        the identity merge joined or split them); their current id is the answer's."""
        row = await loaders(info).staff.load(domain_id)
        return None if row is None else cls.of(row)

    async def _has_tanda_side(self, info: Info) -> bool:
        """Whether the person is a Tanda user; raises Tanda's error when that is unknown."""
        if self.row.tanda_user_id is not None:
            return True
        everyone = await loaders(info).all_staff.load(ALL)
        error = next((e for e in everyone.errors if e.upstream == System.TANDA), None)
        if error is not None:
            # Tanda could not be read, so "no shifts" would be a guess: answer null, coded.
            raise error
        return False

    @field(
        description=(
            "People this one might be, kept apart because the match was ambiguous (one "
            "Tanda employee id or email fitting several MIS records). Empty when none."
        )
    )
    async def match_candidates(self, info: Info) -> list[Staff]:
        rows = await load_rows(info, loaders(info).staff, self.row.match_candidates)
        return [Staff.of(row) for row in rows]

    @field(description="The person's school; null for a Tanda-only worker.")
    async def school(
        self, info: Info
    ) -> Annotated[School, strawberry.lazy("schoolgraph.graph.types.school")] | None:
        from schoolgraph.graph.types.school import School

        if self.row.school_id is None:
            return None
        return await School.load_node(info, self.row.school_id)

    @field(description="The groups the person tutors or teaches, by type then name.")
    async def groups(
        self, info: Info
    ) -> list[Annotated[Group, strawberry.lazy("schoolgraph.graph.types.group")]] | None:
        from schoolgraph.graph.types.group import Group, group_sort_key

        if self.row.school_id is None:
            return []
        index = await loaders(info).groups_by_school.load(self.row.school_id)
        rows = sorted(index.by_staff.get(self.row.id, ()), key=group_sort_key)
        return [Group.of(row) for row in rows]

    @field(description="The lessons the person teaches from `from` to `to`.")
    async def lessons(
        self, info: Info, from_: From, to: To
    ) -> list[Annotated[Lesson, strawberry.lazy("schoolgraph.graph.types.lesson")]] | None:
        from schoolgraph.graph.types.lesson import Lesson

        window = date_window(from_, to)
        if self.row.school_id is None:
            return []
        timetable = await loaders(info).lessons.load(
            SchoolWindow(self.row.school_id, window.start, window.end)
        )
        return [Lesson.of(lesson) for lesson in timetable.by_staff.get(self.row.id, ())]

    @field(description="The person's planned (rostered) shifts from `from` to `to`, by start.")
    async def scheduled_shifts(
        self, info: Info, from_: From, to: To
    ) -> (
        list[Annotated[ScheduledShift, strawberry.lazy("schoolgraph.graph.types.scheduled_shift")]]
        | None
    ):
        from schoolgraph.graph.types.scheduled_shift import ScheduledShift, scheduled_shift_sort_key

        window = date_window(from_, to)
        if not await self._has_tanda_side(info):
            return []
        rows = await with_references(
            info,
            loaders(info).scheduled_shifts.load(StaffWindow(self.row.id, window.start, window.end)),
            selected(info),
        )
        return [ScheduledShift.of(row) for row in sorted(rows, key=scheduled_shift_sort_key)]

    @field(description="The shifts the person worked from `from` to `to`, by start.")
    async def shifts(
        self, info: Info, from_: From, to: To
    ) -> list[Annotated[Shift, strawberry.lazy("schoolgraph.graph.types.shift")]] | None:
        from schoolgraph.graph.types.shift import Shift, shift_sort_key

        window = date_window(from_, to)
        if not await self._has_tanda_side(info):
            return []
        rows = await with_references(
            info,
            loaders(info).shifts.load(StaffWindow(self.row.id, window.start, window.end)),
            selected(info),
        )
        return [Shift.of(row) for row in sorted(rows, key=shift_sort_key)]

    @field(description="The person's timesheets for the pay period holding `on` (default: today).")
    async def timesheets(
        self, info: Info, on: date | None = None
    ) -> list[Annotated[Timesheet, strawberry.lazy("schoolgraph.graph.types.timesheet")]] | None:
        from schoolgraph.graph.types.timesheet import Timesheet

        if not await self._has_tanda_side(info):
            return []
        day = on if on is not None else today_in(self.row.time_zone)
        rows = await loaders(info).timesheets.load(StaffDay(self.row.id, day))
        return [Timesheet.of(row) for row in sorted(rows, key=lambda row: (row.start, row.id))]

    @field(description="The person's leave requests overlapping `from` to `to`.")
    async def leave_requests(
        self, info: Info, from_: From, to: To
    ) -> list[Annotated[LeaveRequest, strawberry.lazy("schoolgraph.graph.types.leave")]] | None:
        from schoolgraph.graph.types.leave import LeaveRequest

        window = date_window(from_, to)
        if not await self._has_tanda_side(info):
            return []
        rows = await loaders(info).leave_requests.load(
            StaffWindow(self.row.id, window.start, window.end)
        )
        return [LeaveRequest.of(row) for row in sorted(rows, key=lambda row: (row.start, row.id))]

    @field(description="The Tanda teams the person belongs to.")
    async def teams(
        self, info: Info
    ) -> list[Annotated[Team, strawberry.lazy("schoolgraph.graph.types.team")]] | None:
        from schoolgraph.graph.types.team import Team

        if not self.row.team_ids and not await self._has_tanda_side(info):
            return []
        teams = await loaders(info).teams.load(ALL)
        return [Team.of(teams[team_id]) for team_id in self.row.team_ids if team_id in teams]


def staff_now(info: Info, staff_id: str) -> Staff | Awaitable[Staff | None] | None:
    """The person with ``staff_id``: at once when the request has read everyone (see
    :func:`~schoolgraph.graph.loading.with_references`), else an awaitable of them.

    Raises:
        SchoolgraphError: the upstream that holds the person could not be read.
    """
    built = already_built(info, "Staff", staff_id, Staff)
    if built is not None:  # built for an earlier shift (4,392 shifts, 1,000 people)
        return built
    everyone = loaders(info).all_staff.settled(ALL)
    if everyone is UNSETTLED:
        return Staff.load_node(info, staff_id)
    row = staff_of(everyone, staff_id)
    if isinstance(row, SchoolgraphError):
        raise row
    return None if row is None else built_once(info, "Staff", row.id, lambda: Staff.of(row))


def staff_sort_key(row: domain.Staff) -> SortKey:
    return (
        (row.surname or row.display_name).casefold(),
        (row.forename or "").casefold(),
        row.id,
    )


_BY_NAME: SortedRows[domain.Staff] = SortedRows(staff_sort_key)


async def find_staff(
    info: Info,
    *,
    school_id: str | None = None,
    search: str | None = None,
    team_id: str | None = None,
    is_teacher: bool | None = None,
) -> list[domain.Staff]:
    """Every person who passes the filters given, by surname.

    People held by an upstream that cannot be read are left out and its error reported
    against the field.
    """
    return [row for _, row in await _find_staff(info, school_id, search, team_id, is_teacher)]


async def _find_staff(
    info: Info,
    school_id: str | None,
    search: str | None,
    team_id: str | None,
    is_teacher: bool | None,
) -> list[tuple[SortKey, domain.Staff]]:
    terms = search_terms(search)
    searched = STAFF_SEARCH.values_for(info.context.caller)
    staff = await loaders(info).all_staff.load(ALL)
    report_partial(info, staff.errors)
    return [
        (key, row)
        for key, row in _BY_NAME.of(["everyone"], [staff.value])
        if (school_id is None or row.school_id == school_id)
        and (team_id is None or team_id in row.team_ids)
        and (is_teacher is None or row.is_teacher is is_teacher)
        and matches(terms, *searched(row))
    ]


async def resolve_staff(
    info: Info,
    school_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this school's staff.")
    ] = None,
    search: Annotated[str | None, strawberry.argument(description=STAFF_SEARCH.description)] = None,
    team_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only members of this team.")
    ] = None,
    is_teacher: Annotated[
        bool | None, strawberry.argument(description="Only teachers (true) or only others.")
    ] = None,
    first: First = DEFAULT_PAGE_SIZE,
    after: After = None,
) -> Connection[Staff] | None:
    check_page("Staff", first, after)
    school = decode_id_of("School", school_id, field="schoolId") if school_id else None
    if school is not None:
        check_configured_school(info, school)  # NOT_FOUND, as for students
    rows = await _find_staff(
        info,
        school,
        search,
        decode_id_of("Team", team_id, field="teamId") if team_id else None,
        is_teacher,
    )
    return paginate_sorted(rows, kind="Staff", node=Staff.of, first=first, after=after)
