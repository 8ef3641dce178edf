"""Plain fields, executed without their resolvers.

Most of an answer's fields are *plain*: a scalar or enum read straight off an attribute of
the object (strawberry's "basic" fields: no resolver, no arguments, no field extension).
graphql-core executes each of them like any other field: a path, a resolve-info object, the
resolver call, and the completion of its value, about 3 microseconds a field. On a list of
5,000 students with 10 fields that is most of the time the answer takes to execute.

:class:`PlainFieldsExecutor` reads plain fields directly, in one loop per object: the
attribute, then the scalar's own ``coerce_output_value`` (strings and booleans that already
are one are taken as they are). Everything else (resolvers, objects, lists, ``__typename``
aside) goes through graphql-core as before, and the object's answer keeps the order of its
selection. Anything irregular in a plain field (the attribute raising, a null in a non-null
field, a value the scalar refuses) makes that object execute the normal way from the start,
so errors, their paths and null propagation are exactly graphql-core's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

__all__ = ["PLAIN_PLANS", "PlainFieldsExecutor", "PlainLeaf", "plain_leaf"]

PLAIN_PLANS: Final = "_plain_plans"
"""The executor attribute memoising each selection's plan (one memo per execution)."""

_STRAWBERRY_FIELD: Final = "strawberry-definition"
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

    def read(self, source: Any) -> Any:
        """The field's output value; :class:`_IrregularError` when graphql-core must decide."""
        try:
            value = getattr(source, self.attribute)
        except Exception as error:
            raise _IrregularError from error
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

    def read(self, source: Any) -> Any:
        return self.name


@dataclass(frozen=True, slots=True)
class _Plan:
    """One selection on one type: its plain fields, the rest (executed by graphql-core),
    and the answer's key order."""

    plain: tuple[tuple[str, PlainLeaf | _TypeName], ...]
    rest: GroupedFieldSet
    order: tuple[str, ...]


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
    output = field.type
    nullable = not isinstance(output, GraphQLNonNull)
    if isinstance(output, GraphQLNonNull):
        output = output.of_type
    if not isinstance(output, (GraphQLScalarType, GraphQLEnumType)):
        return None
    as_is = _AS_IS.get(output) if isinstance(output, GraphQLScalarType) else None
    return PlainLeaf(definition.python_name, output.coerce_output_value, as_is, nullable)


def _plan(parent_type: GraphQLObjectType, selection: GroupedFieldSet) -> _Plan:
    plain: list[tuple[str, PlainLeaf | _TypeName]] = []
    rest: GroupedFieldSet = {}
    for key, details in selection.items():
        step = _step(parent_type, details)
        if step is None:
            rest[key] = details
        else:
            plain.append((key, step))
    return _Plan(tuple(plain), rest, tuple(selection))


def _step(
    parent_type: GraphQLObjectType, details: FieldDetailsList
) -> PlainLeaf | _TypeName | None:
    node = details[0].node
    if node.arguments:
        return None
    name = node.name.value
    if name == "__typename":
        return _TypeName(parent_type.name)
    field = parent_type.fields.get(name)
    return plain_leaf(field) if field is not None else None


class PlainFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, reading plain fields directly (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (type, id of a selection) -> (the selection, kept alive so that its id is not
        # reused while the memo holds it; its plan, None when nothing in it is plain).
        self._plain_plans: dict[
            tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, _Plan | None]
        ] = {}

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
                plain = {key: step.read(source_value) for key, step in plan.plain}
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
            plan = _plan(parent_type, selection)
            if not plan.plain:
                plan = None
        self._plain_plans[key] = (selection, plan)
        return plan


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
