"""What an operation would cost, measured from its document before anything runs.

:func:`measure` walks the operation to run (fragments expanded) against the schema and
returns its :class:`Measure`:

- ``depth``: the most fields nested in one another (``{ schools { name } }`` is 2);
- ``aliases``: aliased fields, counting a fragment's once per spread;
- ``repeats``: the most times one response key is selected in one selection set (inline
  fragments and spreads included). Repeats merge into one field, so they are useless to a
  client, but graphql-core's overlapping-fields validation compares them pairwise:
  a few hundred copies of ``service { name }`` cost it a second of CPU;
- ``objects``: how many objects the answer may hold. A list counts its expected length:
  ``first`` for a connection's ``edges`` and ``nodes``, the number of ``ids`` for
  ``nodes(ids:)``, a rate per day times the days of ``from``..``to`` for a dated list, and
  otherwise the length in :data:`LIST_SIZES` (introspection lists: the schema's own
  averages). Everything below a list counts once per expected row;
- ``reads``: the upstream reads it implies: one for each field with an async resolver
  (a dataloader read), one per started week for a dated one. A field under a list counts
  once, not once per row, because the per-request dataloaders batch rows into one read per
  school and window (``loaders/``), so the upstream calls follow the fields asked for and
  their windows, not the rows.

``cost = objects + READ_COST * reads``. Argument values come from the literals and the
request's variables; an argument left out counts as its default, and one that is unusable
(a string for ``first``, a window that is not two dates) as the largest the field allows:
execution refuses it later anyway. Unknown fields and fragments count as
nothing here: validation reports them. A fragment cycle counts once; validation reports it.
Every fragment is measured once per page size and reused, so a fragment bomb costs the walk
linear time while its measure grows as the answer would.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef

from schoolgraph.graph.arguments import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_WINDOW_DAYS
from schoolgraph.graph.extensions.schema_memo import per_schema

__all__ = [
    "DEFAULT_LIST_SIZE",
    "LIST_SIZES",
    "READ_COST",
    "ROWS_PER_DAY",
    "Measure",
    "measure",
]

READ_COST = 100
"""What one upstream read weighs against one object in the answer."""

DEFAULT_LIST_SIZE = 20
"""The expected length of a list this module knows nothing more about."""

LIST_SIZES: Mapping[str, int] = {
    "Query.schools": 10,
    "Query.teams": 50,
    "Query.locations": 10,
    "School.staff": 100,
    "School.groups": 100,
    "Group.students": 30,
    "Group.staff": 3,
    "Student.groups": 10,
    "Student.contacts": 3,
    "Contact.students": 3,
    "Lesson.staff": 2,
    "Staff.groups": 10,
    "Staff.teams": 3,
    "Staff.timesheets": 2,
    "Staff.matchCandidates": 2,
    "Team.staff": 20,
    "Team.managers": 2,
    "Location.teams": 10,
    "Roster.scheduledShifts": 200,
    "Timesheet.shifts": 10,
    "Service.upstreams": 3,
    "sources": 2,
}
"""Expected lengths of lists, by ``Type.field`` or, for any type, by field name."""

ROWS_PER_DAY: Mapping[str, int] = {
    "Group.lessons": 5,
    "Staff.lessons": 6,
    "Student.attendance": 2,
    "Student.timetable": 6,
    "Staff.shifts": 1,
    "Staff.scheduledShifts": 1,
    "Staff.leaveRequests": 1,
    "Query.rosters": 1,
    "Query.leaveRequests": 10,
}
"""Expected rows per day of a list read for a ``from``..``to`` window; 1 when not listed."""

_CAP = 10**15  # far above any limit; keeps the numbers of a fragment bomb small


@dataclass(frozen=True, slots=True)
class Measure:
    """What an operation (or a part of one) would cost; see the module docstring."""

    depth: int = 0
    aliases: int = 0
    objects: int = 0
    reads: int = 0
    repeats: int = 0

    @property
    def cost(self) -> int:
        return min(_CAP, self.objects + READ_COST * self.reads)

    def beside(self, other: Measure) -> Measure:
        """This and ``other`` side by side, in one selection set."""
        return Measure(
            max(self.depth, other.depth),
            min(_CAP, self.aliases + other.aliases),
            min(_CAP, self.objects + other.objects),
            min(_CAP, self.reads + other.reads),
            max(self.repeats, other.repeats),
        )

    def as_json(self) -> dict[str, int]:
        return {
            "depth": self.depth,
            "aliases": self.aliases,
            "objects": self.objects,
            "reads": self.reads,
            "repeats": self.repeats,
            "cost": self.cost,
        }


_NOTHING = Measure()


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Measure:
    """The measure of the operation ``operation_name`` names (or the only one).

    When the name matches no operation, or none is given and there are several, every
    operation is measured and the largest figures are returned: execution will refuse such
    a request, but not before validation, which the measure must protect.
    """
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if (operation_name is None and len(operations) == 1)
        or (op.name is not None and op.name.value == operation_name)
    ] or operations
    walker = _Walker(schema, document, variables or {})
    result = _NOTHING
    for operation in chosen:
        root = schema.get_root_type(operation.operation)
        found = walker.selection_set(operation.selection_set, root, None)
        result = Measure(
            max(result.depth, found.depth),
            max(result.aliases, found.aliases),
            max(result.objects, found.objects),
            max(result.reads, found.reads),
            max(result.repeats, found.repeats),
        )
    return result


class _Walker:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._memo: dict[tuple[str, int | None], Measure] = {}
        self._active: set[str] = set()
        self._keys_memo: dict[str, Counter[str]] = {}
        self._introspection = _introspection_sizes(schema)

    def selection_set(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType | None, page: int | None
    ) -> Measure:
        total = _NOTHING
        for selection in node.selections if node is not None else ():
            if isinstance(selection, FieldNode):
                found = self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                found = self.selection_set(selection.selection_set, on, page)
            elif isinstance(selection, FragmentSpreadNode):
                found = self.spread(selection.name.value, page)
            else:  # pragma: no cover - graphql-core has no other selection
                continue
            total = total.beside(found)
        keys = self.keys(node)
        if keys:
            total = dataclasses.replace(total, repeats=max(total.repeats, max(keys.values())))
        return total

    def keys(self, node: SelectionSetNode | None) -> Counter[str]:
        """How many times each response key is selected at the level of ``node``."""
        counts: Counter[str] = Counter()
        for selection in node.selections if node is not None else ():
            if isinstance(selection, FieldNode):
                counts[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                counts.update(self.keys(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                counts.update(self.fragment_keys(selection.name.value))
        return counts

    def fragment_keys(self, name: str) -> Counter[str]:
        if name in self._keys_memo:
            return self._keys_memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._active:
            return Counter()
        self._active.add(name)
        try:
            found = self._keys_memo[name] = self.keys(fragment.selection_set)
        finally:
            self._active.discard(name)
        return found

    def spread(self, name: str, page: int | None) -> Measure:
        key = (name, page)
        if key in self._memo:
            return self._memo[key]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._active:
            return _NOTHING  # unknown or cyclic: validation says so
        self._active.add(name)
        try:
            on = self.schema.get_type(fragment.type_condition.name.value)
            found = self.selection_set(fragment.selection_set, on, page)
        finally:
            self._active.discard(name)
        self._memo[key] = found
        return found

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, page: int | None) -> Measure:
        alias = 1 if node.alias is not None else 0
        definition = _field_of(self.schema, parent, node.name.value)
        if definition is None:
            below = self.selection_set(node.selection_set, None, None)
            return dataclasses.replace(
                below, depth=1 + below.depth, aliases=min(_CAP, alias + below.aliases)
            )
        arguments = {arg.name.value: self._value(arg.value) for arg in node.arguments or ()}
        named = get_named_type(definition.type)
        composite = is_composite_type(named)
        key = f"{parent.name if parent else ''}.{node.name.value}"
        days = _window_days(arguments) if {"from", "to"} <= definition.args.keys() else None
        size = self._size(key, definition, arguments, page, days) if _is_list(definition) else 1
        child_page = _page_size(arguments.get("first")) if "first" in definition.args else None
        below = self.selection_set(node.selection_set, named if composite else None, child_page)
        objects = (size if composite else 0) + size * below.objects
        return Measure(
            1 + below.depth,
            min(_CAP, alias + below.aliases),
            min(_CAP, objects),
            min(_CAP, _reads(definition, days) + below.reads),
            below.repeats,
        )

    def _size(
        self,
        key: str,
        definition: GraphQLField,
        arguments: Mapping[str, Any],
        page: int | None,
        days: int | None,
    ) -> int:
        if key in LIST_SIZES:
            return LIST_SIZES[key]
        if days is not None:
            return ROWS_PER_DAY.get(key, 1) * days
        for name in ("ids", "representations"):
            if name in definition.args:
                given = arguments.get(name)
                return len(given) if isinstance(given, list) else MAX_PAGE_SIZE
        if page is not None:
            return page
        if key in self._introspection:
            return self._introspection[key]
        return LIST_SIZES.get(key.rpartition(".")[2], DEFAULT_LIST_SIZE)

    def _value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        if isinstance(node, IntValueNode):
            try:
                return int(node.value)
            except ValueError:  # pragma: no cover - the lexer only makes integers
                return None
        if isinstance(node, StringValueNode):
            return node.value
        if isinstance(node, ListValueNode):
            return [self._value(item) for item in node.values]
        if isinstance(node, NullValueNode):
            return None
        return node  # enums, objects, floats, booleans: not used for sizes


def _field_of(
    schema: GraphQLSchema, parent: GraphQLNamedType | None, name: str
) -> GraphQLField | None:
    if name == "__typename":
        return TypeNameMetaFieldDef
    if parent is not None and parent is schema.query_type:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _is_list(definition: GraphQLField) -> bool:
    kind: GraphQLOutputType = definition.type
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


def _reads(definition: GraphQLField, days: int | None) -> int:
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    resolver = getattr(strawberry_field, "base_resolver", None)
    if resolver is None or not resolver.is_async:
        return 0
    return math.ceil(days / 7) if days else 1


def _page_size(first: Any) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(first, int) and not isinstance(first, bool) and 0 <= first <= MAX_PAGE_SIZE:
        return first
    return MAX_PAGE_SIZE


def _window_days(arguments: Mapping[str, Any]) -> int:
    """Days from ``from`` to ``to`` inclusive; the longest window when they are unusable."""
    try:
        start = date.fromisoformat(arguments["from"])
        end = date.fromisoformat(arguments["to"])
    except (KeyError, TypeError, ValueError):
        return MAX_WINDOW_DAYS
    return max(1, min(MAX_WINDOW_DAYS, (end - start).days + 1))


def _mean(counts: Iterable[int]) -> int:
    values = list(counts)
    return max(1, math.ceil(sum(values) / len(values))) if values else 1


@per_schema
def _introspection_sizes(schema: GraphQLSchema) -> Mapping[str, int]:
    """Expected lengths of the introspection lists: this schema's own averages."""
    types = list(schema.type_map.values())
    with_fields = [t for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)]
    fields = [f for t in with_fields for f in t.fields.values()]
    enums = [t for t in types if isinstance(t, GraphQLEnumType)]
    inputs = [t for t in types if isinstance(t, GraphQLInputObjectType)]
    return {
        "__Schema.types": len(types),
        "__Schema.directives": len(schema.directives),
        "__Type.fields": _mean(len(t.fields) for t in with_fields),
        "__Type.interfaces": 1,
        "__Type.possibleTypes": 3,
        "__Type.enumValues": _mean(len(t.values) for t in enums),
        "__Type.inputFields": _mean(len(t.fields) for t in inputs),
        "__Field.args": _mean(len(f.args) for f in fields),
        "__Directive.args": _mean(len(d.args) for d in schema.directives),
        "__Directive.locations": 3,
    }
