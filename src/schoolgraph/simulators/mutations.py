"""Row changes for `/__sim/mutate`: change, add or delete N rows of a world table.

Every change goes through `World.touch`, `World.add` or `World.delete`, so simulators see it
exactly as they see any other change (new `updated_at` and `revision`, tombstones, listeners).
Which field an update changes is chosen per table to be harmless but visible in every
upstream's rendering (a phone number, a room, a finish time).
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from .dataset import TABLES, Record, Staff, Student, TandaUser, World

Action = Literal["update", "add", "delete"]
ACTIONS: tuple[Action, ...] = ("update", "add", "delete")


class MutationError(ValueError):
    """A mutate request that names an unknown table or action, or asks for too much."""


@dataclass(frozen=True, slots=True)
class MutationResult:
    table: str
    action: Action
    ids: list[int]
    revision: int

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "action": self.action,
            "ids": self.ids,
            "revision": self.revision,
        }


def _phone(rng: random.Random) -> str:
    return f"07{rng.randrange(100, 999)} {rng.randrange(100000, 999999)}"


# table -> function returning the changes an update applies to one record
_UPDATES: dict[str, Callable[[random.Random, Any], dict[str, Any]]] = {
    "students": lambda rng, r: {"mobile": _phone(rng)},
    "staff": lambda rng, r: {"mobile": _phone(rng)},
    "contacts": lambda rng, r: {"mobile": _phone(rng)},
    "groups": lambda rng, r: {"name": f"{r.code} ({rng.randrange(1, 99)})"},
    "student_contacts": lambda rng, r: {"priority": r.priority + 1},
    "timetable": lambda rng, r: {"room": f"R{rng.randrange(1, 60)}"},
    "schools": lambda rng, r: {"phone": _phone(rng)},
    "campuses": lambda rng, r: {"name": f"{r.name.split(' #')[0]} #{rng.randrange(1, 9)}"},
    "periods": lambda rng, r: {"name": f"{r.name.split('*')[0]}*"},
    "organisation": lambda rng, r: {"name": f"{r.name.split(' #')[0]} #{rng.randrange(1, 9)}"},
    "locations": lambda rng, r: {"short_name": f"{r.short_name[:3]}{rng.randrange(1, 9)}"},
    "teams": lambda rng, r: {"colour": rng.choice(("#0ea5e9", "#a855f7", "#f97316"))},
    "tanda_users": lambda rng, r: {"phone": _phone(rng)},
    "rosters": lambda rng, r: {},
    "schedules": lambda rng, r: {"finish": (r.finish or r.start) + timedelta(minutes=15)},
    "timesheets": lambda rng, r: {"status": "approved" if r.status == "pending" else "pending"},
    "shifts": lambda rng, r: {
        "finish": (r.finish or r.start) + timedelta(minutes=5) if (r.finish or r.start) else None
    },
    "leave_requests": lambda rng, r: {"reason": f"{r.reason.split(' (')[0]} (updated)"},
    "leave_balances": lambda rng, r: {"hours": round(r.hours + 7.6, 1)},
}


def mutate(
    world: World,
    *,
    table: str,
    action: str,
    count: int = 1,
    ids: list[int] | None = None,
    school_id: int | None = None,
    rng: random.Random | None = None,
) -> MutationResult:
    """Change, add or delete rows of `table`.

    Args:
        world: the world to change.
        table: one of `dataset.TABLES`.
        action: `update`, `add` (a copy of an existing row under a new id) or `delete`.
        count: how many rows, when `ids` is not given.
        ids: exactly which rows (update/delete) or which rows to copy (add).
        school_id: restrict the chosen rows to one school, for tables that belong to one.
        rng: source of choices; seeded from the world's revision when omitted.
    """
    if table not in TABLES:
        raise MutationError(f"Unknown table {table!r}; expected one of {', '.join(TABLES)}.")
    if action not in ACTIONS:
        raise MutationError(f"Unknown action {action!r}; expected one of {', '.join(ACTIONS)}.")
    if not 1 <= count <= 10_000:
        raise MutationError(f"count must be between 1 and 10000, got {count}.")
    rng = rng or random.Random(f"{world.seed}:{world.revision}:{table}:{action}")
    rows: dict[int, Record] = world.table(table)
    if ids:
        missing = [i for i in ids if i not in rows]
        if missing:
            raise MutationError(f"{table} has no rows with ids {missing}.")
        chosen = [rows[i] for i in ids]
    else:
        pool = [
            r
            for _, r in sorted(rows.items())
            if school_id is None or getattr(r, "school_id", school_id) == school_id
        ]
        if not pool:
            raise MutationError(f"{table} has no rows to {action}.")
        chosen = rng.sample(pool, min(count, len(pool)))
    changed: list[int] = []
    for record in chosen:
        if action == "update":
            world.touch(table, record, **_UPDATES[table](rng, record))
            changed.append(record.id)
        elif action == "delete":
            world.delete(table, record.id)
            _unlink(world, table, record.id)
            changed.append(record.id)
        else:
            clone = copy.deepcopy(record)
            clone.id = world.new_id()
            _fresh_identifiers(clone, rng)
            world.add(table, clone)
            _link_clone(world, table, record.id, clone.id)
            changed.append(clone.id)
    return MutationResult(table, action, changed, world.revision)


_MEMBERSHIPS: dict[str, tuple[str, str]] = {
    # person table -> (container table, member list field)
    "students": ("groups", "student_ids"),
    "staff": ("groups", "staff_ids"),
    "tanda_users": ("teams", "user_ids"),
}


def _fresh_identifiers(clone: Record, rng: random.Random) -> None:
    """A copy is a new person or row: it must not share codes or GUIDs with the original."""
    if hasattr(clone, "external_id"):
        clone.external_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if isinstance(clone, Student):
        clone.code = f"N{clone.id}"
        clone.upn = f"N{clone.id:012d}" if clone.upn else None
    elif isinstance(clone, Staff):
        clone.code, clone.payroll_number = f"N{clone.id}", f"P{clone.id}"
    elif isinstance(clone, TandaUser) and clone.employee_id:
        clone.employee_id, clone.mis_staff_id = f"N{clone.id}", None


def _unlink(world: World, table: str, record_id: int) -> None:
    """Keep memberships consistent when a person leaves (their groups or teams change too)."""
    if table not in _MEMBERSHIPS:
        return
    container, key = _MEMBERSHIPS[table]
    for group in list(world.table(container).values()):
        members: list[int] = getattr(group, key)
        if record_id in members:
            world.touch(container, group, **{key: [m for m in members if m != record_id]})


def _link_clone(world: World, table: str, original_id: int, clone_id: int) -> None:
    """A copied person joins the same groups or teams as the original."""
    if table not in _MEMBERSHIPS:
        return
    container, key = _MEMBERSHIPS[table]
    for group in list(world.table(container).values()):
        members: list[int] = getattr(group, key)
        if original_id in members:
            world.touch(container, group, **{key: [*members, clone_id]})
