"""``RequestVar``: a context variable whose value is let go of everywhere once it is reset.

asyncio copies the current context into every callback and timer it schedules, and a
cancelled timer keeps its copy until its deadline would have passed: a request's deadline
(30 seconds by default), each upstream call's timeout. A plain context variable holding what a
request gathered (the cache entries it read, the upstream calls it made) therefore keeps it
alive for that long after the answer went out: measured on the bench's cold roster week,
every finished request kept its gateway's whole cache reachable, 24,000 objects a request.

A ``RequestVar`` holds its value in a box. ``reset`` empties the box before resetting the
variable, so every copy of the context still pointing at the box holds an empty one.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["RequestVar", "RequestVarToken"]

T = TypeVar("T")


@dataclass(slots=True)
class _Box(Generic[T]):
    value: T | None


@dataclass(frozen=True, slots=True)
class RequestVarToken(Generic[T]):
    """What ``RequestVar.set`` returns, for ``reset``."""

    token: contextvars.Token[_Box[T] | None]
    box: _Box[T] | None


class RequestVar(Generic[T]):
    """A context variable (``get``, ``set``, ``reset``) whose value, once reset, is held by no
    copy of the context (see the module)."""

    __slots__ = ("_var",)

    def __init__(self, name: str) -> None:
        self._var: contextvars.ContextVar[_Box[T] | None] = contextvars.ContextVar(
            name, default=None
        )

    def get(self) -> T | None:
        """The value set in this context, None when none is (or it was reset)."""
        box = self._var.get()
        return None if box is None else box.value

    def set(self, value: T | None) -> RequestVarToken[T]:
        """Set ``value`` in this context (and the contexts copied from it from now on)."""
        box = None if value is None else _Box(value)
        return RequestVarToken(self._var.set(box), box)

    def reset(self, token: RequestVarToken[T]) -> None:
        """Let go of the value ``token`` set, in every copy of the context, and restore the
        value before it here."""
        if token.box is not None:
            token.box.value = None
        self._var.reset(token.token)
