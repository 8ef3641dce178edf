"""The root ``Query`` type: one field per entry point, resolved in the entity's module."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

import strawberry

from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.admin import AdminQuery
from schoolgraph.graph.arguments import MAX_PAGE_SIZE, BadUserInputError
from schoolgraph.graph.connections import Connection
from schoolgraph.graph.ids import decode_global_id
from schoolgraph.graph.info import Info
from schoolgraph.graph.service import Service, resolve_service
from schoolgraph.graph.types.contact import Contact
from schoolgraph.graph.types.group import Group, resolve_groups
from schoolgraph.graph.types.leave import LeaveRequest, resolve_leave_requests
from schoolgraph.graph.types.location import Location, resolve_locations
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.roster import (
    Roster,
    resolve_current_roster,
    resolve_roster,
    resolve_rosters,
)
from schoolgraph.graph.types.scheduled_shift import ScheduledShift, resolve_scheduled_shifts
from schoolgraph.graph.types.school import School, resolve_school, resolve_schools
from schoolgraph.graph.types.shift import Shift, resolve_shifts
from schoolgraph.graph.types.staff import Staff, resolve_staff
from schoolgraph.graph.types.student import Student, resolve_students
from schoolgraph.graph.types.team import Team, resolve_teams

__all__ = ["NODE_TYPES", "Query"]

NODE_TYPES: Mapping[str, Callable[[Info, str], Awaitable[Node | None]]] = {
    "Contact": Contact.load_node,
    "Group": Group.load_node,
    "Location": Location.load_node,
    "Roster": Roster.load_node,
    "ScheduledShift": ScheduledShift.load_node,
    "School": School.load_node,
    "Shift": Shift.load_node,
    "Staff": Staff.load_node,
    "Student": Student.load_node,
    "Team": Team.load_node,
}
"""How ``node(id:)`` fetches each type that implements ``Node``."""


async def _node(info: Info, global_id: str, *, field: str) -> Node | None:
    type_name, domain_id = decode_global_id(global_id, field=field)
    load = NODE_TYPES.get(type_name)
    if load is None:
        raise BadUserInputError(
            f"Argument '{field}' is the id of a {type_name}, which node() cannot fetch; "
            "read it through its parent instead.",
            field=field,
        )
    return await load(info, domain_id)


async def resolve_node(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
) -> Node | None:
    return await _node(info, id, field="id")


async def resolve_nodes(
    info: Info,
    ids: Annotated[
        list[strawberry.ID], strawberry.argument(description=f"At most {MAX_PAGE_SIZE} ids.")
    ],
) -> list[Node | None]:
    if len(ids) > MAX_PAGE_SIZE:
        raise BadUserInputError(
            f"Argument 'ids' holds {len(ids)} ids; at most {MAX_PAGE_SIZE} are allowed.",
            field="ids",
        )
    results = await asyncio.gather(
        *(_node(info, global_id, field="ids") for global_id in ids), return_exceptions=True
    )
    answers: list[Any] = []
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, SchoolgraphError):
            raise result
        # An error instance in the list fails that item alone (graphql-core raises it at
        # the item's path); the other ids still answer.
        answers.append(result)
    return answers


@strawberry.type(description="Every read starts here.")
class Query(AdminQuery):
    service: Service = strawberry.field(
        resolver=resolve_service, description="This gateway: its version, mode and upstreams."
    )
    node: Node | None = strawberry.field(
        resolver=resolve_node,
        description="The object with this global id; null when it no longer exists.",
    )
    nodes: list[Node | None] = strawberry.field(
        resolver=resolve_nodes,
        description="The objects with these global ids, in order; null where one does not exist.",
    )
    schools: list[School] = strawberry.field(
        resolver=resolve_schools,
        description="Every school the gateway reads, by name.",
    )
    school: School | None = strawberry.field(resolver=resolve_school, description="One school.")
    students: Connection[Student] | None = strawberry.field(
        resolver=resolve_students, description="Students, by surname, a page at a time."
    )
    staff: Connection[Staff] | None = strawberry.field(
        resolver=resolve_staff,
        description="Staff across schools and Tanda, one entry per person, by surname.",
    )
    groups: Connection[Group] | None = strawberry.field(
        resolver=resolve_groups, description="Groups, by type then name, a page at a time."
    )
    rosters: list[Roster] | None = strawberry.field(
        resolver=resolve_rosters, description="Rosters overlapping `from` to `to`, by start."
    )
    roster: Roster | None = strawberry.field(resolver=resolve_roster, description="One roster.")
    current_roster: Roster | None = strawberry.field(
        resolver=resolve_current_roster, description="The roster of the current week."
    )
    shifts: Connection[Shift] | None = strawberry.field(
        resolver=resolve_shifts, description="Worked shifts from `from` to `to`, by start."
    )
    scheduled_shifts: Connection[ScheduledShift] | None = strawberry.field(
        resolver=resolve_scheduled_shifts,
        description="Planned shifts from `from` to `to`, by start.",
    )
    teams: list[Team] | None = strawberry.field(
        resolver=resolve_teams, description="Every Tanda team, by name."
    )
    locations: list[Location] | None = strawberry.field(
        resolver=resolve_locations, description="Every Tanda location, by name."
    )
    leave_requests: list[LeaveRequest] | None = strawberry.field(
        resolver=resolve_leave_requests,
        description="Leave requests overlapping `from` to `to`, by start.",
    )
