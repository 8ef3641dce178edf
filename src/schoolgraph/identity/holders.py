"""Who holds an upstream record: a person found by the id of any of their records.

A person's id is one record's (the MIS record's when they have one, else their Tanda
user's), so it changes when the identity merge joins or splits them: a Tanda-only worker
whose `employee_id` is set to a staff code becomes the MIS record's person. The records
themselves stay, so an id handed out before (stored by a client, or by another subgraph as
a federation key) still names one of the person's records, and finds them here.
"""

from __future__ import annotations

from collections.abc import Mapping

from schoolgraph.domain import Staff, entity_id

__all__ = ["holder_of", "record_holders"]


def holder_of(people: Mapping[str, Staff], record_id: str) -> Staff | None:
    """The person whose id is ``record_id``, else the person holding the upstream record it
    names (see :func:`record_holders`); ``None`` when no one in ``people`` does."""
    person = people.get(record_id)
    if person is not None:
        return person
    holder = _HOLDERS.of(people).get(record_id)
    return None if holder is None else people.get(holder)


def record_holders(people: Mapping[str, Staff]) -> Mapping[str, str]:
    """Record id -> the id of the person holding it, for every record of ``people`` whose id
    is not its person's (a merged person's Tanda user): ``"tanda:1:100071"`` ->
    ``"xporter:8562248:110006"``."""
    held: dict[str, str] = {}
    for person in people.values():
        for ref in person.sources:
            record = entity_id(ref.system, ref.tenant, ref.id)
            if record != person.id:
                held[record] = person.id
    return held


class _LastHolders:
    """:func:`record_holders` of the last mapping asked about, while it is the same object.

    Built only when an id misses (an id from before a merge), so a request that names people
    by their current ids never pays for it; a read of everyone is the same object from one
    request to the next until an upstream list changes. It holds the mapping it was built
    from, so an identity check cannot be fooled by a recycled ``id()``.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: tuple[Mapping[str, Staff], Mapping[str, str]] | None = None

    def of(self, people: Mapping[str, Staff]) -> Mapping[str, str]:
        last = self._last
        if last is not None and last[0] is people:
            return last[1]
        holders = record_holders(people)
        self._last = (people, holders)
        return holders


_HOLDERS = _LastHolders()
