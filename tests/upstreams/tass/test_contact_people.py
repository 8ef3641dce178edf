"""Each person of a TASS communication-rule address carries their own description
(`m_description`/`f_description`, tass.md §B.7.1) on both APIs: their relationship to the
student in the simulator's world."""

from __future__ import annotations

import pytest

from .conftest import MakeClient, Sim


@pytest.mark.parametrize("api", ["2026", "legacy"])
async def test_each_parent_of_an_address_is_described_by_their_own_relationship(
    make_client: MakeClient, sim: Sim, api: str
) -> None:
    client = await make_client(api)
    world = sim.world
    code_of = {s.code: s.id for s in world.students.values()}
    truth: dict[tuple[int, str | None, str | None], str] = {}
    for link in world.student_contacts.values():
        person = world.contacts[link.contact_id]
        truth[(link.student_id, person.forename, person.surname)] = link.relationship

    addresses = await client.communication_rules("01")

    described = [
        (code_of[a.student_code], p.first_name, p.surname, p.description)
        for a in addresses
        for p in (a.parent1, a.parent2)
        if p is not None
    ]
    assert described
    assert all(truth[(s, first, last)] == said for s, first, last, said in described)
    shared = [a for a in addresses if a.parent1 is not None and a.parent2 is not None]
    assert shared
    assert all(
        a.parent1 is not None
        and a.parent2 is not None
        and (a.parent1.description, a.parent2.description) == ("Mother", "Father")
        for a in shared
    )
