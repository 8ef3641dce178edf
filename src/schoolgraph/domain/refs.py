"""Where a domain entity came from: the upstream system, tenant and native id."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from msgspec import Struct

from schoolgraph.errors import SchoolgraphError

__all__ = ["Partial", "SourceRef", "System", "entity_id", "split_id"]

T = TypeVar("T")


class System(StrEnum):
    """The upstream systems schoolgraph reads."""

    XPORTER = "xporter"
    TASS = "tass"
    TANDA = "tanda"


class SourceRef(Struct, frozen=True, gc=False):
    """One upstream record behind a domain entity.

    Attributes:
        system: The upstream system.
        tenant: The tenant inside it: an Xporter estab, a TASS company, a Tanda organisation.
        id: The record's native id in that system.
        matched_by: For the Tanda record of a merged ``Staff``, the rule that matched it, e.g.
            ``"employee_id=staff_code:ABR"`` or ``"email:a.b@x.uk"``; ``None`` otherwise.
    """

    system: System
    tenant: str
    id: str
    matched_by: str | None = None


@dataclass(frozen=True, slots=True)
class Partial(Generic[T]):
    """A read that spans upstreams: what could be read, and what failed.

    Attributes:
        value: The answer from the upstreams that answered.
        errors: One error per upstream (or tenant) that could not be read; each carries its
            ``upstream``.
    """

    value: T
    errors: tuple[SchoolgraphError, ...] = ()


def entity_id(system: System, tenant: str, native: str | None = None) -> str:
    """The domain id ``"<system>:<tenant>[:<native id>]"`` (a School's id has no native part).

    Adapters that name many rows of one tenant build the prefix once (``entity_id(system,
    tenant, "")``) and append each native id to it: the same string.
    """
    # `!s` formats the member as the plain str it is (StrEnum's __str__ is str's, in C);
    # a bare `{system}` goes through Enum.__format__ in Python, ~3x the cost of the rest.
    return f"{system!s}:{tenant}" if native is None else f"{system!s}:{tenant}:{native}"


def split_id(value: str) -> tuple[System, str, str] | None:
    """``(system, tenant, native id)`` of a domain id; ``None`` when it is not one.

    The native part may itself contain colons (TASS class ids do); a School id gives ``""``.
    """
    system, _, rest = value.partition(":")
    tenant, _, native = rest.partition(":")
    if not tenant or system not in _SYSTEMS:
        return None
    return System(system), tenant, native


_SYSTEMS = frozenset(s.value for s in System)
