"""Resolvers without arguments, called without strawberry's per-call wrapping.

strawberry wraps every resolver it hands graphql-core in a chain that runs on each call:
it converts the field's arguments, works out which of ``self``, ``root``, ``parent`` and
``info`` the resolver asks for, builds the argument lists, folds in the field's extensions
and, for a coroutine, awaits it in a coroutine of its own. For a resolver that takes no
arguments and has no field extensions, all of that yields the same call every time:
``resolver(source)`` or ``resolver(source, info=Info(...))``.

:func:`install_direct_resolvers` gives graphql-core that call directly, for every such
field of a built schema: the shift's ``staff`` and ``team``, a student's ``groups``, a
group's ``students`` and the like, run once per row of a list. Measured on a warm roster
week (4,392 shifts, each with its staff and team), strawberry's wrapping was about a fifth
of the answer's execution.

Left as strawberry built them: fields with arguments, field extensions (permissions are
one) or a resolver asking for ``root`` or ``parent``, and every field of a schema with
exception handlers (they are applied in the wrapping). graphql-core still calls each
resolver through its own ``execute_field``, so errors, paths, null propagation and
middleware are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema import Schema
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

__all__ = ["DirectResolver", "direct_resolver", "install_direct_resolvers"]

_STRAWBERRY_FIELD: Final = "strawberry-definition"

Resolve = Callable[..., Any]


def install_direct_resolvers(schema: Schema) -> int:
    """Give graphql-core a direct call for each field of ``schema`` that allows one (see the
    module); returns how many fields it changed."""
    if schema.exception_handlers:
        return 0
    info_class: type[Info[Any, Any]] = schema.config.info_class
    changed = 0
    subscriptions = schema._schema.subscription_type
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        if graphql_type is subscriptions:
            continue  # their resolvers feed graphql-core's `subscribe`, not `resolve`
        for graphql_field in graphql_type.fields.values():
            direct = _direct(graphql_field, info_class)
            if direct is not None:
                graphql_field.resolve = direct.resolve
                changed += 1
    return changed


def direct_resolver(graphql_field: GraphQLField) -> DirectResolver | None:
    """The direct call installed on ``graphql_field``, if it has one."""
    owner = getattr(graphql_field.resolve, "__self__", None)
    return owner if isinstance(owner, DirectResolver) else None


@dataclass(frozen=True, slots=True)
class DirectResolver:
    """One field's resolver called directly: ``function(source)``, or with strawberry's
    ``Info`` passed as ``keyword`` (None when the resolver takes none)."""

    function: Resolve
    keyword: str | None
    info_class: type[Info[Any, Any]]
    definition: StrawberryField

    def resolve(self, source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        """The call graphql-core makes, once per object."""
        if self.keyword is None:
            return self.function(source)
        wrapped = self.info_class(_raw_info=info, _field=self.definition)
        return self.function(source, **{self.keyword: wrapped})

    def bind(self, info: GraphQLResolveInfo[Any]) -> Callable[[Any], Any]:
        """``source -> value`` under one resolve info, whichever object ``source`` is: for a
        resolver that reads nothing of its info but the context (``graph.fields.field``'s
        ``inline``), the same call as ``resolve`` with one info built for all."""
        if self.keyword is None:
            return self.function
        function = self.function
        arguments = {self.keyword: self.info_class(_raw_info=info, _field=self.definition)}
        return lambda source: function(source, **arguments)


def _direct(graphql_field: GraphQLField, info_class: type[Info[Any, Any]]) -> DirectResolver | None:
    """The direct call for ``graphql_field``, or None when it must keep strawberry's."""
    if graphql_field.args:
        return None
    definition = (graphql_field.extensions or {}).get(_STRAWBERRY_FIELD)
    if not isinstance(definition, StrawberryField):
        return None
    resolver = definition.base_resolver
    if resolver is None or definition.extensions or definition.arguments:
        return None
    names = [parameter.name for parameter in resolver.signature.parameters.values()]
    if resolver.self_parameter is None or names[:1] != [resolver.self_parameter.name]:
        return None
    function = resolver.wrapped_func
    if not callable(function):
        return None
    if len(names) == 1:
        return DirectResolver(function, None, info_class, definition)
    info_parameter = resolver.info_parameter
    if len(names) != 2 or info_parameter is None or names[1] != info_parameter.name:
        return None
    return DirectResolver(function, info_parameter.name, info_class, definition)
