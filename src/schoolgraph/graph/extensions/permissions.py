"""``Permissions``: before an operation runs, every field it selects is checked against the
caller's grants; if anything is not granted, nothing runs.

The walk covers the operation as it will execute: fragments (spread or inline, each type
condition narrowing the possible types), aliases (a field is checked by its name, never its
alias), ``node(id:)``/``nodes(ids:)`` (the types the ids name) and ``_entities`` (the
``__typename`` of each representation). Each refused coordinate becomes one
``FORBIDDEN_FIELD`` error with ``extensions.field`` = ``"Type.field"``. A field under
``@skip``/``@include`` is checked whether or not it would run.

What a coordinate needs:

- ``Query.<field>`` and ``Subscription.<field>``: read on the type it returns (a
  connection's node type, a change's ``node`` type); ``node``,
  ``nodes`` and ``_entities`` need read on each type their arguments name;
- ``Mutation.<field>``: add, update or delete on its type (:data:`MUTATION_RULES`); an update
  with custom update fields may change only those (each input field maps to a field of the
  type: ``teamId`` changes ``team``); naming a Staff or Team in the input (``staffId``,
  ``teamId``) needs read on it, refused as ``Staff.id``/``Team.id``;
- ``<Type>.<field>`` of a grantable type: read, with the field among the read fields;
- fields of connections, edges and changes (``ShiftChange``...): read on their node type;
  ``PageInfo``: nothing;
- admin fields (:mod:`schoolgraph.graph.admin`) and their types: the admin flag;
- ``__typename``, introspection and ``_service``: nothing (introspection is configuration's
  business, ``SCHOOLGRAPH_INTROSPECTION``).

The check runs per request for the request's caller; nothing is cached across callers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_argument_values,
    get_named_type,
    get_operation_ast,
)
from graphql.execution.values import VariableValues, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.schema import Schema
from strawberry.schema.base import BaseSchema
from strawberry.types.graphql import OperationType

from schoolgraph.accounts.models import Action, Caller
from schoolgraph.context import Context
from schoolgraph.errors import ForbiddenFieldError, SchoolgraphError
from schoolgraph.graph.admin import ADMIN_MUTATION_FIELDS, ADMIN_QUERY_FIELDS, ADMIN_TYPES
from schoolgraph.graph.extensions.schema_memo import per_schema
from schoolgraph.graph.ids import decode_global_id

__all__ = [
    "ARGUMENT_RULES",
    "FREE_ARGUMENTS",
    "MUTATION_RULES",
    "MutationRule",
    "Permissions",
    "denied_coordinates",
    "grantable_types",
]

_FREE_ROOT_FIELDS = frozenset({"_service"})
_NARROWING_ROOT_FIELDS = frozenset({"node", "nodes", "_entities"})
_FREE_TYPES = frozenset({"PageInfo", "_Service"})


@dataclass(frozen=True, slots=True)
class MutationRule:
    """What a mutation needs: an action on a type, and which fields of it an update changes.

    Attributes:
        inputs: Input field of ``input`` -> the type's field it changes (updates only).
        touches: Fields of the type the mutation always changes (approving: ``status``).
        refers: Input field of ``input`` -> the type whose id it takes; naming one needs read
            on that type (the mutation looks it up, and its errors would describe it).
    """

    type_name: str
    action: Action
    inputs: Mapping[str, str] = field(default_factory=dict)
    touches: tuple[str, ...] = ()
    refers: Mapping[str, str] = field(default_factory=dict)


_PEOPLE = {"staffId": "Staff", "teamId": "Team"}

MUTATION_RULES: Mapping[str, MutationRule] = {
    "createShift": MutationRule("Shift", "add", refers=_PEOPLE),
    "updateShift": MutationRule(
        "Shift",
        "update",
        inputs={
            "date": "date",
            "start": "start",
            "finish": "finish",
            "teamId": "team",
            "breakMinutes": "breakMinutes",
        },
        refers=_PEOPLE,
    ),
    "approveShifts": MutationRule("Shift", "update", touches=("status",)),
    "deleteShift": MutationRule("Shift", "delete"),
    "createScheduledShift": MutationRule("ScheduledShift", "add", refers=_PEOPLE),
    "updateScheduledShift": MutationRule(
        "ScheduledShift",
        "update",
        inputs={
            "staffId": "staff",
            "start": "start",
            "finish": "finish",
            "teamId": "team",
            "breakMinutes": "breakMinutes",
        },
        refers=_PEOPLE,
    ),
    "publishScheduledShifts": MutationRule(
        "ScheduledShift", "update", touches=("publishedAt", "published")
    ),
}
"""Every non-admin mutation and what it needs; a mutation missing here is refused to every
caller with grants (a test checks that none is missing)."""

_SCHOOL_STUDENTS = "Student.school | School.students"
_STUDENT_FILTERS = {
    "groupId": ("Group", "Student.groups | Group.students"),
    "year": ("Student.year",),
    "updatedSince": ("Student.updatedAt",),
}
_SCHOOL_STAFF = "Staff.school | School.staff"
_STAFF_FILTERS = {"isTeacher": ("Staff.isTeacher",)}
_GROUP_FILTERS = {
    "type": ("Group.type",),
    "year": ("Group.year",),
}
_LESSON_DAYS = {"from": ("Lesson.start",), "to": ("Lesson.start",)}
_SHIFT_DAYS = {"from": ("Shift.date",), "to": ("Shift.date",)}
_SCHEDULED_DAYS = {"from": ("ScheduledShift.start",), "to": ("ScheduledShift.start",)}
_LEAVE_DAYS = {
    "from": ("LeaveRequest.start", "LeaveRequest.finish"),
    "to": ("LeaveRequest.start", "LeaveRequest.finish"),
}
_SHIFT_TEAM = ("Team", "Shift.team")
_SCHEDULED_TEAM = ("Team", "ScheduledShift.team")

ARGUMENT_RULES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "Query.students": {"schoolId": ("School", _SCHOOL_STUDENTS), **_STUDENT_FILTERS},
    "School.students": _STUDENT_FILTERS,
    "Query.staff": {
        "schoolId": ("School", _SCHOOL_STAFF),
        "teamId": ("Team", "Staff.teams | Team.staff"),
        **_STAFF_FILTERS,
    },
    "School.staff": _STAFF_FILTERS,
    "Query.groups": {"schoolId": ("School", "Group.school | School.groups"), **_GROUP_FILTERS},
    "School.groups": _GROUP_FILTERS,
    "Student.groups": {"type": ("Group.type",)},
    "Query.shifts": {
        **_SHIFT_DAYS,
        "staffIds": ("Staff", "Shift.staff | Staff.shifts"),
        "teamId": _SHIFT_TEAM,
        "status": ("Shift.status",),
    },
    "Query.scheduledShifts": {
        **_SCHEDULED_DAYS,
        "staffIds": ("Staff", "ScheduledShift.staff | Staff.scheduledShifts"),
        "teamId": _SCHEDULED_TEAM,
    },
    "Roster.scheduledShifts": {"teamId": _SCHEDULED_TEAM},
    "Query.rosters": {
        "from": ("Roster.start", "Roster.finish"),
        "to": ("Roster.start", "Roster.finish"),
    },
    "Query.leaveRequests": {**_LEAVE_DAYS, "status": ("LeaveRequest.status",)},
    "Group.lessons": _LESSON_DAYS,
    "Staff.lessons": _LESSON_DAYS,
    "Student.timetable": _LESSON_DAYS,
    "Student.attendance": {"from": ("AttendanceMark.date",), "to": ("AttendanceMark.date",)},
    "Staff.shifts": _SHIFT_DAYS,
    "Staff.scheduledShifts": _SCHEDULED_DAYS,
    "Staff.leaveRequests": _LEAVE_DAYS,
    "Staff.timesheets": {"on": ("Timesheet.start", "Timesheet.finish")},
    "Subscription.shiftChanged": {
        **_SHIFT_DAYS,
        "staffId": ("Staff", "Shift.staff | Staff.shifts"),
        "teamId": _SHIFT_TEAM,
    },
    "Subscription.scheduledShiftChanged": {
        "rosterId": ("Roster", "ScheduledShift.roster | Roster.scheduledShifts"),
        "teamId": _SCHEDULED_TEAM,
    },
    "Subscription.studentChanged": {"schoolId": ("School", _SCHOOL_STUDENTS)},
    "Subscription.staffChanged": {"schoolId": ("School", _SCHOOL_STAFF)},
}
"""Field coordinate -> argument -> what giving it a value needs: read on each entry, an entry
being a type (naming one by id), a ``Type.field`` the argument filters on, or alternatives
``A | B`` (a relation, readable from either end). A test checks that every argument of the
schema is here or in :data:`FREE_ARGUMENTS`."""

FREE_ARGUMENTS: Mapping[str, str] = {
    "first": "the page size",
    "after": "a cursor this list issued",
    "search": "matches only the fields the caller may read (graph.search.SearchFields)",
    "id": "the object itself, which needs read on its type",
    "ids": "the objects themselves, which need read on their type",
    "representations": "the objects themselves, which need read on their type",
    "input": "checked by MUTATION_RULES",
    "Subscription.groupMembershipChanged(groupId:)": "the group itself, the change's node",
}
"""Arguments (by name, or by coordinate for one field's) that need nothing more than the field
they belong to, and why."""


@dataclass(frozen=True, slots=True)
class _Rules:
    """What the schema says about coordinates, worked out once per schema."""

    grantable: Mapping[str, frozenset[str]]
    node_types: Mapping[str, str]
    """Connection or edge type -> the type of its nodes."""
    root_targets: Mapping[str, str]
    """Query or subscription field -> the grantable type it returns (a connection's or a
    change's node type)."""


def _is_structural(type_: GraphQLObjectType) -> str | None:
    """The node type of a connection or edge type, else None."""
    for name, field_name in (("Connection", "nodes"), ("Edge", "node"), ("Change", "node")):
        if type_.name.endswith(name) and field_name in type_.fields:
            return str(get_named_type(type_.fields[field_name].type).name)
    return None


@per_schema
def _rules(schema: GraphQLSchema) -> _Rules:
    root_types = (schema.query_type, schema.mutation_type, schema.subscription_type)
    roots = {t.name for t in root_types if t is not None}
    node_types: dict[str, str] = {}
    grantable: dict[str, frozenset[str]] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        node_type = _is_structural(type_)
        if node_type is not None:
            node_types[type_.name] = node_type
        elif type_.name not in roots | _FREE_TYPES | ADMIN_TYPES:
            grantable[type_.name] = frozenset(type_.fields)
    targets: dict[str, str] = {}
    for root in (schema.query_type, schema.subscription_type):
        for name, field_def in root.fields.items() if root is not None else ():
            named = get_named_type(field_def.type).name
            target = node_types.get(named, named)
            if target in grantable:
                targets[name] = target
    return _Rules(grantable, node_types, targets)


def grantable_types(schema: BaseSchema | GraphQLSchema) -> dict[str, frozenset[str]]:
    """Every type a grant may name, with its fields: the object types of the schema except
    the roots, connections and edges, ``PageInfo`` and the admin types."""
    if isinstance(schema, GraphQLSchema):
        graphql_schema = schema
    elif isinstance(schema, Schema):
        graphql_schema = schema._schema
    else:
        raise TypeError(f"Cannot read the types of {schema!r}.")
    return dict(_rules(graphql_schema).grantable)


@dataclass(frozen=True, slots=True)
class Denial:
    """A refused coordinate, why, and where the operation first selects it."""

    coordinate: str
    message: str
    node: FieldNode


class _Walk:
    """One walk over one operation for one caller."""

    def __init__(
        self,
        schema: GraphQLSchema,
        caller: Caller,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.rules = _rules(schema)
        self.caller = caller
        self.fragments = fragments
        self.variables = variables
        self.denied: dict[str, Denial] = {}
        self._seen: set[tuple[str, frozenset[str]]] = set()
        # A caller with every grant can only be refused admin fields: the roots suffice.
        self.deep = caller.grants is not None

    @property
    def who(self) -> str:
        caller = self.caller
        return f"The account {caller.account}" if caller.account is not None else "This caller"

    def deny(self, coordinate: str, message: str, node: FieldNode) -> None:
        self.denied.setdefault(coordinate, Denial(coordinate, message, node))

    def _possible(self, type_: GraphQLCompositeType) -> frozenset[str]:
        if isinstance(type_, GraphQLObjectType):
            return frozenset({type_.name})
        return frozenset(t.name for t in self.schema.get_possible_types(type_))

    def selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLCompositeType,
        possible: frozenset[str],
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent, possible)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition is not None
                    else parent
                )
                if isinstance(
                    condition, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
                ):
                    narrowed = possible & self._possible(condition)
                    self.selections(selection.selection_set, condition, narrowed)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition = self.schema.get_type(fragment.type_condition.name.value)
                if not isinstance(
                    condition, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
                ):
                    continue
                narrowed = possible & self._possible(condition)
                key = (selection.name.value, narrowed)
                if key in self._seen:  # the same fragment in the same place: same answer
                    continue
                self._seen.add(key)
                self.selections(fragment.selection_set, condition, narrowed)

    def _owners(
        self, name: str, parent: GraphQLCompositeType, possible: frozenset[str]
    ) -> Iterator[tuple[GraphQLObjectType, GraphQLField]]:
        """The object types a field selected on ``parent`` may be resolved on: those still
        possible there (none, under a fragment whose type cannot apply)."""
        for type_name in sorted(possible):
            type_ = self.schema.get_type(type_name)
            if isinstance(type_, GraphQLObjectType) and name in type_.fields:
                yield type_, type_.fields[name]

    def field(
        self, node: FieldNode, parent: GraphQLCompositeType, possible: frozenset[str]
    ) -> None:
        name = node.name.value
        if name.startswith("__"):
            return
        children: frozenset[str] | None = None
        returned: GraphQLCompositeType | None = None
        for owner, field_def in self._owners(name, parent, possible):
            narrowed = self.check(owner, name, field_def, node)
            self._filters(owner, name, field_def, node)
            if narrowed is not None:
                children = narrowed if children is None else children | narrowed
            named = get_named_type(field_def.type)
            if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
                returned = named
        if node.selection_set is None or returned is None or not self.deep:
            return
        self.selections(
            node.selection_set,
            returned,
            children if children is not None else self._possible(returned),
        )

    def check(
        self, owner: GraphQLObjectType, name: str, field_def: GraphQLField, node: FieldNode
    ) -> frozenset[str] | None:
        """Refuse ``owner.name`` if it is not granted; the types its result may have when its
        arguments say (``node``, ``_entities``)."""
        caller = self.caller
        coordinate = f"{owner.name}.{name}"
        if owner is self.schema.query_type or owner is self.schema.subscription_type:
            if name in ADMIN_QUERY_FIELDS:
                self._admin(coordinate, node)
                return None
            if name in _FREE_ROOT_FIELDS:
                return None
            if name in _NARROWING_ROOT_FIELDS:
                return self._narrow(coordinate, name, field_def, node)
            target = self.rules.root_targets.get(name)
            if target is not None and not caller.may(target, "read"):
                self.deny(
                    coordinate,
                    f"{self.who} may not read {target}, so may not select {coordinate}.",
                    node,
                )
            return None
        if owner is self.schema.mutation_type:
            if name in ADMIN_MUTATION_FIELDS:
                self._admin(coordinate, node)
            else:
                self._mutation(coordinate, name, field_def, node)
            return None
        if owner.name in ADMIN_TYPES:
            self._admin(coordinate, node)
            return None
        if not self.deep:
            return None
        node_type = self.rules.node_types.get(owner.name)
        if node_type is not None:
            if not caller.may(node_type, "read"):
                self.deny(
                    coordinate,
                    f"{self.who} may not read {node_type}, so may not select {coordinate}.",
                    node,
                )
            return None
        if owner.name in self.rules.grantable and not caller.may_read(owner.name, name):
            self.deny(coordinate, f"{self.who} may not read {coordinate}.", node)
        return None

    def _admin(self, coordinate: str, node: FieldNode) -> None:
        if not self.caller.admin:
            self.deny(coordinate, f"{coordinate} is for admin accounts only.", node)

    def _arguments(self, field_def: GraphQLField, node: FieldNode) -> dict[str, Any] | None:
        try:
            return get_argument_values(field_def, node, self.variables)
        except GraphQLError:  # execution reports it, before the field's resolver runs
            return None

    def _reads(self, need: str) -> bool:
        """Whether the caller may read ``need``: a type, a ``Type.field`` or ``A | B``."""
        for alternative in need.split(" | "):
            type_name, _, field_name = alternative.partition(".")
            if field_name and self.caller.may_read(type_name, field_name):
                return True
            if not field_name and self.caller.may(type_name, "read"):
                return True
        return False

    def _filters(
        self, owner: GraphQLObjectType, name: str, field_def: GraphQLField, node: FieldNode
    ) -> None:
        """Refuse the arguments of ``owner.name`` that filter on what the caller may not read
        (:data:`ARGUMENT_RULES`); nothing more when the field itself is refused."""
        coordinate = f"{owner.name}.{name}"
        filters = ARGUMENT_RULES.get(coordinate)
        if filters is None or not self.deep or coordinate in self.denied:
            return
        arguments = self._arguments(field_def, node)
        if arguments is None:
            return
        for argument, needs in filters.items():
            if arguments.get(argument) is None:
                continue
            missing = next((need for need in needs if not self._reads(need)), None)
            if missing is not None:
                target = f"{coordinate}({argument}:)"
                self.deny(
                    target,
                    f"{self.who} may not read {missing.replace(' | ', ' or ')}, "
                    f"so may not use {target}.",
                    node,
                )

    def _narrow(
        self, coordinate: str, name: str, field_def: GraphQLField, node: FieldNode
    ) -> frozenset[str] | None:
        arguments = self._arguments(field_def, node)
        if arguments is None:
            return None
        named: list[str] = []
        if name == "_entities":
            for representation in arguments.get("representations") or ():
                if isinstance(representation, Mapping):
                    named.append(str(representation.get("__typename")))
        else:
            ids = [arguments["id"]] if name == "node" else list(arguments.get("ids") or ())
            for global_id in ids:
                try:
                    named.append(decode_global_id(str(global_id))[0])
                except SchoolgraphError:  # the resolver says so, for that id alone
                    continue
        types = frozenset(
            t for t in named if isinstance(self.schema.get_type(t), GraphQLObjectType)
        )
        for type_name in sorted(types):
            if self.deep and not self.caller.may(type_name, "read"):
                self.deny(
                    coordinate,
                    f"{self.who} may not read {type_name}, so may not select {coordinate} "
                    f"for a {type_name}.",
                    node,
                )
        return types

    def _mutation(
        self, coordinate: str, name: str, field_def: GraphQLField, node: FieldNode
    ) -> None:
        caller = self.caller
        if caller.grants is None:
            return
        rule = MUTATION_RULES.get(name)
        if rule is None:
            self.deny(coordinate, f"{coordinate} is not open to API accounts.", node)
            return
        if not caller.may(rule.type_name, rule.action):
            self.deny(
                coordinate,
                f"{self.who} may not {rule.action} {rule.type_name}, so may not run {coordinate}.",
                node,
            )
            return
        arguments = self._arguments(field_def, node) or {}
        given = arguments.get("input")
        given = given if isinstance(given, Mapping) else {}
        for key, referred in rule.refers.items():
            if given.get(key) is not None and not caller.may(referred, "read"):
                self.deny(
                    f"{referred}.id",
                    f"{self.who} may not read {referred}, so may not name one in {coordinate}.",
                    node,
                )
        if rule.action != "update":
            return
        changed = [*rule.touches, *(rule.inputs[key] for key in given if key in rule.inputs)]
        for type_field in dict.fromkeys(changed):
            if not caller.may_update(rule.type_name, type_field):
                target = f"{rule.type_name}.{type_field}"
                self.deny(
                    target, f"{self.who} may not update {target} (through {coordinate}).", node
                )


def denied_coordinates(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    caller: Caller,
) -> list[Denial]:
    """What ``caller`` may not select in the operation, in the order it first selects it.

    Answers nothing when the operation cannot run anyway (no such operation, variables that
    do not fit): execution refuses it before any resolver, with its own error.
    """
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return []
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {})
    )
    if isinstance(coerced, list):
        return []
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    if root is None:
        return []
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    walk = _Walk(schema, caller, fragments, coerced)
    walk.selections(operation.selection_set, root, frozenset({root.name}))
    return list(walk.denied.values())


class Permissions(SchemaExtension):
    """Refuse an operation that selects anything its caller is not granted.

    Reads the caller from the :class:`~schoolgraph.context.Context`; an operation run without
    one (``schema.execute`` in a test) is not checked.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if isinstance(context.context, Context) and context.graphql_document is not None:
            denied = denied_coordinates(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                context.context.caller,
            )
            if denied:
                errors = [_error(denial) for denial in denied]
                if context.operation_type is OperationType.SUBSCRIPTION:
                    # strawberry subscribes whatever the result; raising stops it, and the
                    # client gets the first refusal as the stream's one result.
                    raise errors[0]
                # A result set before execution makes strawberry skip it.
                context.result = GraphQLExecutionResult(data=None, errors=errors)
        yield


def _error(denial: Denial) -> GraphQLError:
    error = ForbiddenFieldError(denial.message)
    return GraphQLError(
        denial.message,
        nodes=[denial.node],
        original_error=error,
        extensions={**error.to_extensions(), "field": denial.coordinate},
    )
