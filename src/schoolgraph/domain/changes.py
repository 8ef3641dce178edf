"""``Change``: one entity of the unified model changed (or went), as the live updates see it."""

from __future__ import annotations

from enum import Enum

from msgspec import Struct

__all__ = ["Change", "ChangeKind"]


class ChangeKind(Enum):
    """What changed: the entity type a subscription field delivers."""

    SHIFT = "shift"
    SCHEDULED_SHIFT = "scheduled_shift"
    STUDENT = "student"
    STAFF = "staff"
    GROUP_MEMBERSHIP = "group_membership"


class Change(Struct, frozen=True, gc=False):
    """One changed entity, named by its domain id.

    Attributes:
        scope: The school id the entity belongs to, or ``"tanda"`` for the workforce side;
            an account sees the change only when it sees that school.
        deleted: The entity is gone; only its id (and what is known below) remains.
        team_id: The team of a deleted shift or scheduled shift, for filters.
        roster_id: The roster of a deleted scheduled shift, for filters.
    """

    kind: ChangeKind
    entity_id: str
    scope: str
    deleted: bool = False
    team_id: str | None = None
    roster_id: str | None = None
