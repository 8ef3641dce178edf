"""Typed ``@field``, ``@mutation`` and ``@subscription`` decorators for resolver methods.

``strawberry.field(description=...)`` used as a decorator is typed as returning a
``StrawberryField``, which strict mypy reports as an untyped decorator on every resolver
method; these wrappers declare what it does (keep the method's signature) and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

__all__ = ["field", "mutation", "subscription"]

F = TypeVar("F", bound=Callable[..., Any])


def field(description: str, *, graphql_type: Any = None) -> Callable[[F], F]:
    """``@strawberry.field(description=description)``; ``graphql_type`` gives the field's
    type when the resolver's annotation does not (a resolver that answers a value or an
    awaitable of it)."""
    return cast(
        Callable[[F], F], strawberry.field(description=description, graphql_type=graphql_type)
    )


def mutation(description: str) -> Callable[[F], F]:
    """``@strawberry.mutation(description=description)``."""
    return cast(Callable[[F], F], strawberry.mutation(description=description))


def subscription(description: str) -> Callable[[F], F]:
    """``@strawberry.subscription(description=description)``."""
    return cast(Callable[[F], F], strawberry.subscription(description=description))
