"""``XporterChanges``: which students, staff and groups of a school changed since the last poll.

Each poll revalidates the school's cached lists through the client (a change-set read) and
compares every row's ``RowHash`` with the hashes of the previous poll, so a row that came
back unchanged never counts, and a row the cache already took in (a query refreshed it
first) still does. The first poll of a list takes the cached hashes as its baseline when
there are some, else it only records the baseline.
"""

from __future__ import annotations

from collections.abc import Collection

from schoolgraph.domain import Change, ChangeKind, System, entity_id
from schoolgraph.upstreams import xporter as x
from schoolgraph.upstreams.xporter.client import PolledEndpoint

__all__ = ["POLLED_KINDS", "XporterChanges"]

POLLED_KINDS: dict[ChangeKind, PolledEndpoint] = {
    ChangeKind.STUDENT: "Students",
    ChangeKind.STAFF: "Staff",
    ChangeKind.GROUP_MEMBERSHIP: "Groups",
}
"""The kinds of change Xporter reports, and the list each is polled from."""


class XporterChanges:
    """Row-hash baselines per school and list, over one client."""

    system = System.XPORTER
    kinds: Collection[ChangeKind] = tuple(POLLED_KINDS)

    def __init__(self, client: x.XporterClient) -> None:
        self.client = client
        self._baselines: dict[tuple[str, PolledEndpoint], dict[str, str]] = {}

    def forget(self) -> None:
        """Drop every baseline (nobody listens: the next poll starts afresh)."""
        self._baselines.clear()

    async def poll(self, estab: str, kinds: Collection[ChangeKind]) -> list[Change]:
        """The changes of ``kinds`` at school ``estab`` since its last poll."""
        school = entity_id(System.XPORTER, estab)
        changes: list[Change] = []
        for kind, endpoint in POLLED_KINDS.items():
            if kind not in kinds:
                self._baselines.pop((estab, endpoint), None)
                continue
            before = self._baselines.get((estab, endpoint))
            if before is None:
                before = self.client.cached_row_hashes(estab, endpoint)
            after = await self.client.row_hashes(estab, endpoint)
            self._baselines[(estab, endpoint)] = after
            if before is None:
                continue
            for key, row_hash in after.items():
                if before.get(key) != row_hash:
                    changes.append(Change(kind, entity_id(System.XPORTER, estab, key), school))
            for key in before.keys() - after.keys():
                changes.append(
                    Change(kind, entity_id(System.XPORTER, estab, key), school, deleted=True)
                )
        return changes
