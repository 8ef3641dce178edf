"""Typed ``@field``, ``@mutation`` and ``@subscription`` decorators for resolver methods.

``strawberry.field(description=...)`` used as a decorator is typed as returning a
``StrawberryField``, which strict mypy reports as an untyped decorator on every resolver
method; these wrappers declare what it does (keep the method's signature) and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Final, TypeVar, cast

import strawberry

__all__ = ["INLINE", "INLINE_KEY", "field", "mutation", "subscription"]

F = TypeVar("F", bound=Callable[..., Any])

INLINE: Final = "schoolgraph.inline"
"""The metadata key of a field declared ``inline`` (see :func:`field`)."""

INLINE_KEY: Final = "schoolgraph.inline_key"
"""The metadata key of an ``inline`` field's ``keyed_by`` (see :func:`field`)."""


def field(
    description: str,
    *,
    graphql_type: Any = None,
    inline: bool = False,
    keyed_by: Callable[[Any], Hashable] | None = None,
) -> Callable[[F], F]:
    """``@strawberry.field(description=description)``; ``graphql_type`` gives the field's
    type when the resolver's annotation does not (a resolver that answers a value or an
    awaitable of it).

    ``inline`` declares that the resolver (``self`` and ``info``, no arguments) reads nothing
    of ``info`` but its context, and answers at once what the request has read already (an
    awaitable otherwise): the executor may then call it with one resolve info for every
    object of a list and complete its answer in the same loop (``graph.plain_fields``).

    ``keyed_by`` (with ``inline``) declares more: within one request the resolver's answer
    depends on nothing of ``self`` but ``keyed_by(self)`` (a shift's person on its
    ``row.staff_id``), so the executor may complete one answer per key and give it to every
    object with that key (a roster's 4,392 shifts, about 1,000 people).
    """
    if keyed_by is not None and not inline:
        raise ValueError("keyed_by declares how an inline field answers; set inline=True too.")
    metadata: dict[str, Any] | None = None
    if inline:
        metadata = {INLINE: True}
        if keyed_by is not None:
            metadata[INLINE_KEY] = keyed_by
    return cast(
        Callable[[F], F],
        strawberry.field(description=description, graphql_type=graphql_type, metadata=metadata),
    )


def mutation(description: str) -> Callable[[F], F]:
    """``@strawberry.mutation(description=description)``."""
    return cast(Callable[[F], F], strawberry.mutation(description=description))


def subscription(description: str) -> Callable[[F], F]:
    """``@strawberry.subscription(description=description)``."""
    return cast(Callable[[F], F], strawberry.subscription(description=description))
