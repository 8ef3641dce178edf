"""Plain fields, executed without their resolvers.

Most of an answer's fields are *plain*: a scalar or enum read straight off an attribute of
the object (strawberry's "basic" fields: no resolver, no arguments, no field extension).
graphql-core executes each of them like any other field: a path, a resolve-info object, the
resolver call, and the completion of its value, about 3 microseconds a field. On a list of
5,000 students with 10 fields that is most of the time the answer takes to execute.

:class:`PlainFieldsExecutor` reads plain fields directly, in one loop per object: the
attribute, then the scalar's own ``coerce_output_value`` (strings and booleans that already
are one are taken as they are). The loop is straight-line code compiled once per shape of
selection (:mod:`schoolgraph.graph.plain_loops`). Everything else (resolvers, objects,
lists, ``__typename`` aside) goes through graphql-core as before, and the object's answer
keeps the order of its selection. Anything irregular in a plain field (the attribute
raising, a null in a non-null field, a value the scalar refuses) makes that object execute
the normal way from the start, so errors, their paths and null propagation are exactly
graphql-core's.

An object whose whole selection is plain (a member of staff's ``id`` and ``displayName``
under each of a roster's shifts, each of a big list's students) is also *completed* without
graphql-core: once the value is known to be of the object type's own class, its answer is
the loop above, with none of the steps graphql-core takes per object (``is_type_of``, the
collected subfields, the path, ``execute_fields``). A list of such objects is completed in
one loop over its items. Here too, anything irregular (an item of another class, a null
where none is allowed, an irregular field) hands the value to graphql-core from the start.

A field declared ``inline`` (``graph.fields.field``: its resolver reads only the request's
context and answers at once what the request has read) whose value has a plain selection
counts as plain too: a roster shift's ``staff { id displayName }`` and ``team { id name }``.
Its resolver is called with one resolve info made for all the objects, and its value
completed as above, so a list of 4,392 shifts with their staff and teams is one loop. When
the resolver raises or answers an awaitable (the request has not read the people), the object
is executed the normal way from the start: graphql-core calls the resolver again, and reports
its error with its path. A field declared ``keyed_by`` as well (a shift's ``staff``, keyed by
the shift's person) is answered once per key in a request: 4,392 shifts call the resolver and
complete the answer for about 1,000 people, and share it for the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Final

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField

from schoolgraph.graph.direct_resolvers import direct_resolver
from schoolgraph.graph.fields import INLINE, INLINE_KEY
from schoolgraph.graph.plain_loops import Attribute, Call, Constant, Loops, Read, compile_loops

__all__ = ["PLAIN_OBJECTS", "PLAIN_PLANS", "PlainFieldsExecutor", "PlainLeaf", "plain_leaf"]

PLAIN_PLANS: Final = "_plain_plans"
"""The executor attribute memoising each selection's plan (one memo per execution)."""

PLAIN_OBJECTS: Final = "_plain_objects"
"""The executor attribute memoising, per object type and field, whether its values are
completed directly (one memo per execution)."""

_STRAWBERRY_FIELD: Final = "strawberry-definition"
_STRAWBERRY_DEFINITION: Final = _STRAWBERRY_FIELD
"""The extension key under which strawberry keeps a type's definition, as a field's."""
_AS_IS: Final[dict[GraphQLScalarType, type]] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}
"""Scalars whose output coercion returns a value of this exact type unchanged."""


class _IrregularError(Exception):
    """A plain field this object cannot take the short way; executed the normal way."""


@dataclass(frozen=True, slots=True)
class PlainLeaf:
    """How to read one plain field: the attribute, the scalar's coercion (skipped when the
    value already is ``as_is``), and whether a null is allowed."""

    attribute: str
    coerce: Callable[[Any], Any]
    as_is: type | None
    nullable: bool

    def value(self, value: Any) -> Any:
        """The output value of the attribute's ``value``; :class:`_IrregularError` when
        graphql-core must decide (the compiled loop reads the attribute itself)."""
        if value is None:
            if self.nullable:
                return None
            raise _IrregularError
        if type(value) is self.as_is:
            return value
        try:
            coerced = self.coerce(value)
        except Exception as error:
            raise _IrregularError from error
        if coerced is None or coerced is Undefined:
            raise _IrregularError
        return coerced


@dataclass(frozen=True, slots=True)
class _TypeName:
    """``__typename``: the parent type's name."""

    name: str


_NOT_YET: Final = object()
"""A key a keyed reference has not answered yet."""


@dataclass(slots=True)
class _Reference:
    """A field declared ``inline`` (``graph.fields.field``) whose value is an object with a
    plain selection: its resolver called with one resolve info for every source, its answer
    completed by the plain object's compiled loops. Once it answers an awaitable (the
    request has not read what it refers to), it is left to graphql-core for the rest of the
    execution.

    A field declared ``keyed_by`` as well is answered once per key: the first source with a
    key calls the resolver and completes its value, every later one with that key is given
    the same answer (the executor lives for one request; an answer is a JSON object that
    nothing changes once built, so sharing it is safe). Only answers are kept: a key whose
    resolver raised or answered an awaitable goes through the same steps each time.
    """

    call: Callable[[Any], Any]
    value: Loops
    nullable: bool
    key: Callable[[Any], Hashable] | None = None
    answers: dict[Hashable, Any] = dataclass_field(default_factory=dict)
    live: bool = True

    def read(self, source: Any) -> Any:
        """The field's answer; :class:`_IrregularError` when graphql-core must decide (the
        resolver raised, answered an awaitable, a null where none is allowed, or a value
        the plain object does not complete)."""
        if not self.live:
            raise _IrregularError
        key = self.key
        if key is None:
            return self._answer(source)
        try:
            known = key(source)
            answer = self.answers.get(known, _NOT_YET)
        except Exception as error:  # no such attribute, an unhashable key
            raise _IrregularError from error
        if answer is _NOT_YET:
            answer = self.answers[known] = self._answer(source)
        return answer

    def _answer(self, source: Any) -> Any:
        try:
            found = self.call(source)
        except Exception as error:
            raise _IrregularError from error
        if found is None:
            if self.nullable:
                return None
            raise _IrregularError
        try:
            return self.value.one(found)
        except _IrregularError:
            if isinstance(found, Awaitable):
                self.live = False
                if isinstance(found, Coroutine):
                    found.close()  # graphql-core calls the resolver again, and awaits that
            raise


Step = PlainLeaf | _TypeName | _Reference
"""How one field of a plan is answered without graphql-core."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """One selection on one type: its plain fields (and their compiled reads), the rest
    (executed by graphql-core), and the answer's key order."""

    plain: tuple[tuple[str, Step], ...]
    read: Callable[[Any], dict[str, Any]]
    rest: GroupedFieldSet
    order: tuple[str, ...]


def _reads(plain: tuple[tuple[str, Step], ...]) -> list[Read]:
    """The compiler's reads of a plan's plain steps."""
    reads: list[Read] = []
    for key, step in plain:
        if isinstance(step, PlainLeaf):
            reads.append(Attribute(key, step.attribute, step.as_is, step.value))
        elif isinstance(step, _TypeName):
            reads.append(Constant(key, step.name))
        else:
            reads.append(Call(key, step.read))
    return reads


def _loops(plain: tuple[tuple[str, Step], ...], origin: type | None, castable: bool) -> Loops:
    return compile_loops(
        _reads(plain),
        origin=origin,
        castable=castable,
        cast_attribute=TYPE_CAST_ATTRIBUTE,
        irregular=_IrregularError,
    )


def plain_leaf(field: GraphQLField) -> PlainLeaf | None:
    """How to read ``field`` directly, or None when it is not plain."""
    if field.args:
        return None
    resolve = field.resolve
    if resolve is None or not getattr(resolve, "_is_default", False):
        return None
    definition = (field.extensions or {}).get(_STRAWBERRY_FIELD)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    if definition.default_resolver is not getattr:
        return None
    output, nullable = _nullable(field.type)
    if not isinstance(output, (GraphQLScalarType, GraphQLEnumType)):
        return None
    as_is = _AS_IS.get(output) if isinstance(output, GraphQLScalarType) else None
    return PlainLeaf(definition.python_name, output.coerce_output_value, as_is, nullable)


class PlainFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, reading plain fields directly (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (type, id of a selection) -> (the selection, kept alive so that its id is not
        # reused while the memo holds it; its plan, None when nothing in it is plain).
        self._plain_plans: dict[
            tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, _Plan | None]
        ] = {}
        # (type, id of a field's details) -> (the details, kept alive; how to complete a
        # value of the type there, None when graphql-core must).
        self._plain_objects: dict[
            tuple[GraphQLObjectType, int], tuple[FieldDetailsList, Loops | None]
        ] = {}

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        inner = return_type.of_type if type(return_type) is GraphQLNonNull else return_type
        if type(inner) is GraphQLObjectType and position_context is None:
            plain = self._plain_object(inner, field_details_list)
            if plain is not None:
                try:
                    return plain.one(result)
                except _IrregularError:
                    pass
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        inner, nullable = _nullable(return_type.of_type)
        if (
            type(inner) is GraphQLObjectType
            and position_context is None
            and type(result) in _SEQUENCES
            and not _streamed(field_details_list)
        ):
            plain = self._plain_object(inner, field_details_list)
            if plain is not None:
                try:
                    return plain.every(result, nullable)
                except _IrregularError:
                    pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plain_plan(parent_type, grouped_field_set)
        if plan is not None:
            try:
                plain = plan.read(source_value)
            except _IrregularError:
                plan = None
        if plan is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        if not plan.rest:
            return plain
        rest = super().execute_fields(parent_type, source_value, path, plan.rest, position_context)
        if isinstance(rest, dict):
            return _in_order(plan.order, plain, rest)
        order = plan.order

        async def merged() -> dict[str, Any]:
            return _in_order(order, plain, await rest)

        return merged()

    def _plain_plan(
        self, parent_type: GraphQLObjectType, selection: GroupedFieldSet
    ) -> _Plan | None:
        """The memoised plan of ``selection`` on ``parent_type``; None when nothing in it is
        plain, or when middleware wraps the resolvers (then none may be skipped)."""
        key = (parent_type, id(selection))
        found = self._plain_plans.get(key)
        if found is not None:
            return found[1]
        manager = self.middleware_manager
        plan: _Plan | None = None
        if manager is None or not manager.middlewares:
            plan = self._plan(parent_type, selection)
        self._plain_plans[key] = (selection, plan)
        return plan

    def _plan(self, parent_type: GraphQLObjectType, selection: GroupedFieldSet) -> _Plan | None:
        """The plan of ``selection``; None when nothing in it is plain."""
        plain: list[tuple[str, Step]] = []
        rest: GroupedFieldSet = {}
        for key, details in selection.items():
            step = self._step(parent_type, key, details)
            if step is None:
                rest[key] = details
            else:
                plain.append((key, step))
        if not plain:
            return None
        steps = tuple(plain)
        return _Plan(steps, _loops(steps, None, False).one, rest, tuple(selection))

    def _step(
        self, parent_type: GraphQLObjectType, key: str, details: FieldDetailsList
    ) -> Step | None:
        node = details[0].node
        if node.arguments:
            return None
        name = node.name.value
        if name == "__typename":
            return _TypeName(parent_type.name)
        field = parent_type.fields.get(name)
        if field is None:
            return None
        return plain_leaf(field) or self._reference(parent_type, key, field, details)

    def _reference(
        self,
        parent_type: GraphQLObjectType,
        key: str,
        field: GraphQLField,
        details: FieldDetailsList,
    ) -> _Reference | None:
        """How to answer an ``inline`` field in line, or None when graphql-core must."""
        direct = direct_resolver(field)
        if direct is None or not direct.definition.metadata.get(INLINE):
            return None
        keyed_by = direct.definition.metadata.get(INLINE_KEY)
        inner, nullable = _nullable(field.type)
        if type(inner) is not GraphQLObjectType:
            return None
        value = self._plain_object(inner, details)
        if value is None:
            return None
        # The resolver reads only the context, so one info serves every source; its path is
        # the field's key alone (errors are graphql-core's, reported with their own paths).
        info = self.build_resolve_info(
            field, [detail.node for detail in details], parent_type, Path(None, key, None)
        )
        return _Reference(direct.bind(info), value, nullable, keyed_by)

    def _plain_object(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Loops | None:
        """How to complete values of ``object_type`` selected by ``field_details_list``, or
        None when graphql-core must: a selection that is not all plain, deferred fragments
        in it, or a type with an ``is_type_of`` of its own."""
        key = (object_type, id(field_details_list))
        found = self._plain_objects.get(key)
        if found is not None:
            return found[1]
        plain: Loops | None = None
        definition = (object_type.extensions or {}).get(_STRAWBERRY_DEFINITION)
        if (
            isinstance(definition, StrawberryObjectDefinition)
            and definition.is_type_of is None
            and definition.concrete_of is None
        ):
            selection, deferred, _ = self.collect_subfields(object_type, field_details_list)
            plan = None if deferred else self._plain_plan(object_type, selection)
            if plan is not None and not plan.rest:
                origin = definition.origin
                # Values of the type's own class only: any other class (a subclass, an
                # interface's other implementations, an exception) or a value carrying a
                # ``strawberry.cast`` (which only graphql-core's ``is_type_of`` reads) is
                # graphql-core's to complete.
                plain = _loops(plan.plain, origin, "__dict__" in dir(origin))
        self._plain_objects[key] = (field_details_list, plain)
        return plain


def _nullable(output: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    """The type inside a non-null wrapper, and whether a null is allowed."""
    if isinstance(output, GraphQLNonNull):
        return output.of_type, False
    return output, True


_SEQUENCES: Final = (list, tuple)
"""Lists completed in one loop; any other iterable is graphql-core's to iterate."""


def _streamed(field_details_list: FieldDetailsList) -> bool:
    """Whether the field carries ``@stream`` (graphql-core decides whether it applies)."""
    return any(
        directive.name.value == "stream"
        for directive in field_details_list[0].node.directives or ()
    )


def _in_order(
    order: tuple[str, ...], plain: dict[str, Any], rest: dict[str, Any]
) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for key in order:
        if key in plain:
            answer[key] = plain[key]
        elif key in rest:
            answer[key] = rest[key]
    return answer
