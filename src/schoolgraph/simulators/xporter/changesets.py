"""`changedRows` change sets (xporter.md §2.1, §2.2, §6.4 SIM-PROPOSAL).

* `changedRows=*` starts a set: the full result comes back with a token in
  `__changedRows__[0].NextChangedRows`.
* `changedRows=<token>` returns only rows that are new or whose content changed since the
  token's snapshot, plus a `<Table>_deleted` table per data table listing the `Id` of each
  row that was in the snapshot but is not in the current result (a deleted record, whose
  tombstone removed it from the world, or a row that left the filter).
* A `_deleted` row carries only `Id` (§2.2), and that is the gone row's own `Id` column, not
  the key rows are diffed by: "the Ids of any rows that where in the original resultset"
  (§2.1), composite ids being "the keys used in changesets/`_deleted`" (§2.7). So a gone
  `Lessons` occurrence (diffed by `PeriodId`, "this specific instance") is listed by its
  lesson `Id` (§4.7.1), once per gone occurrence. A table with no `Id` column (`AttendCodes`,
  whose natural key is `Mark`, §4.8.1; `StaffVehicles`, `StaffNextOfKin`, `health`) lists
  `{"Id": null}` per gone row: the contract gives it no Id to carry (our reading; doc-silent).
* Each snapshot holds, per table, `key -> SHA-1 of the visible row` (the `RowHash` where the
  table has one), and `key -> Id` for a table keyed by another column. Change sets are
  calculated before pagination (§2.1), so paging through a change set re-sends the same
  `changedRows` value with `page=2, 3, ...`.
* A token is 32 hex digits derived from the partition (relying party, estab, endpoint, id,
  filters and options) and `world.revision`; asking again with no change in between returns
  the same token. Tokens for another partition, or ones this process never issued (or has
  evicted), are refused with an `ExceptionMessage` telling the client to restart with `*`.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from .render import Rendered
from .rows import Row

Partition = tuple[object, ...]


@dataclass(slots=True)
class Snapshot:
    token: str
    partition: Partition
    previous: str  # the changedRows value this snapshot was taken in answer to
    created: datetime
    tables: dict[str, dict[str, bytes]]
    ids: dict[str, dict[str, str | None]]  # table keyed by other than `Id` -> key -> `Id`


@dataclass(slots=True)
class Diff:
    rows: dict[str, tuple[list[Row], list[bytes]]]  # table -> changed rows and digests
    deleted: dict[str, list[str | None]]  # table -> `Id` of each row no longer present


def _id_of(row: Row) -> str | None:
    value = row.get("Id")
    return None if value is None else str(value)


class ChangeSets:
    """Snapshots by token, least recently used evicted past `capacity`."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()

    def clear(self) -> None:
        self._snapshots.clear()

    @staticmethod
    def token_for(partition: Partition, revision: int) -> str:
        text = f"{partition!r}|{revision}"
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    def lookup(self, token: str) -> Snapshot | None:
        snapshot = self._snapshots.get(token.lower())
        if snapshot is not None:
            self._snapshots.move_to_end(snapshot.token)
        return snapshot

    def remember(
        self,
        partition: Partition,
        revision: int,
        previous: str,
        created: datetime,
        rendered: Rendered,
    ) -> Snapshot:
        """The snapshot of `rendered` under its token (an existing one is kept as it was)."""
        token = self.token_for(partition, revision)
        existing = self.lookup(token)
        if existing is not None:
            return existing
        tables = {
            spec.name: {
                str(row.get(spec.key)): digest for row, digest in zip(rows, digests, strict=True)
            }
            for spec, rows, digests in rendered.tables
            if not spec.info
        }
        ids = {
            spec.name: {str(row.get(spec.key)): _id_of(row) for row in rows}
            for spec, rows, _ in rendered.tables
            if not spec.info and spec.key != "Id"
        }
        snapshot = Snapshot(token, partition, previous, created, tables, ids)
        self._snapshots[token] = snapshot
        while len(self._snapshots) > self.capacity:
            self._snapshots.popitem(last=False)
        return snapshot

    @staticmethod
    def diff(snapshot: Snapshot, rendered: Rendered) -> Diff:
        rows: dict[str, tuple[list[Row], list[bytes]]] = {}
        deleted: dict[str, list[str | None]] = {}
        for spec, current, digests in rendered.tables:
            if spec.info:
                continue
            old = snapshot.tables.get(spec.name, {})
            keep_rows: list[Row] = []
            keep_digests: list[bytes] = []
            seen: set[str] = set()
            for row, digest in zip(current, digests, strict=True):
                key = str(row.get(spec.key))
                seen.add(key)
                if old.get(key) != digest:
                    keep_rows.append(row)
                    keep_digests.append(digest)
            rows[spec.name] = (keep_rows, keep_digests)
            ids = snapshot.ids.get(spec.name)
            deleted[spec.name] = [
                key if ids is None else ids.get(key) for key in old if key not in seen
            ]
        return Diff(rows, deleted)
