"""``per_schema``: a function of a schema worked out once for as long as the schema lives.

The permission rules and the introspection averages are worked out from the schema once.
An ``lru_cache`` keyed by the schema kept the last eight schemas, and everything they hold
(the extensions' factories with the documents they keep among it), alive after their
gateways stopped: a process that starts gateway after gateway (the bench's cold runs, the
tests) held on to them. Memoised under a weak reference to the schema, each answer goes with
its schema.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

from graphql import GraphQLSchema

__all__ = ["per_schema"]

T = TypeVar("T")


def per_schema(compute: Callable[[GraphQLSchema], T]) -> Callable[[GraphQLSchema], T]:
    """``compute(schema)``, remembered while ``schema`` lives; what it answers must not refer
    to the schema (it would keep it alive)."""
    memo: weakref.WeakKeyDictionary[GraphQLSchema, T] = weakref.WeakKeyDictionary()

    @functools.wraps(compute)
    def remembered(schema: GraphQLSchema) -> T:
        try:
            return memo[schema]
        except KeyError:
            found = memo[schema] = compute(schema)
            return found

    return remembered
