"""A TASS student's contacts over HTTP, on both TASS APIs: each person of a shared
communication-rule address has their own relationship (tass.md §B.7.1 `m_*`/`f_*`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import load_settings
from schoolgraph.simulators.dataset import Student, World
from schoolgraph.simulators.stack import SimulatorStack, start_simulators
from tests.conftest import Serve
from tests.graph.conftest import global_id
from tests.simulated_upstreams import environ_for

TODAY = date(2026, 11, 23)

CONTACTS = """
query ($id: ID!) {
  node(id: $id) {
    ... on Student { contacts { relationship contact { forename surname } } }
  }
}
"""


@pytest.fixture
async def stack() -> AsyncIterator[SimulatorStack]:
    started = await start_simulators(seed=7, scale="small", today=TODAY)
    yield started
    await started.close()


def two_parent_student(world: World) -> Student:
    """The first TASS student (by code) with a mother and a father: address 1 holds both."""
    school = next(s for s in world.schools.values() if s.system == "tass")
    for student in sorted(world.students_of(school.id), key=lambda s: s.code):
        priorities = {
            x.priority for x in world.student_contacts.values() if x.student_id == student.id
        }
        if {1, 2} <= priorities:
            return student
    raise AssertionError("The world has no TASS student with two parents.")


@pytest.mark.parametrize("api", ["2026", "legacy"])
async def test_two_parents_at_one_address_each_have_their_own_relationship(
    serve: Serve, http: aiohttp.ClientSession, stack: SimulatorStack, api: str
) -> None:
    tass = stack.describe()["tass"]
    environ = environ_for(stack, "tass") | {
        "SCHOOLGRAPH_TASS_COMPANIES": "01" if api == "2026" else "01:legacy",
        "SCHOOLGRAPH_TASS_LEGACY_APPCODE": tass["legacy"]["appcode"],
        "SCHOOLGRAPH_TASS_LEGACY_TOKEN_KEY": tass["legacy"]["token_key"],
    }
    gateway: URL = await serve(create_app(load_settings(environ)))
    world = stack.world
    student = two_parent_student(world)
    truth = {
        (world.contacts[x.contact_id].forename, world.contacts[x.contact_id].surname): (
            x.relationship
        )
        for x in world.student_contacts.values()
        if x.student_id == student.id
    }

    payload = {
        "query": CONTACTS,
        "variables": {"id": global_id("Student", f"tass:01:{student.code}")},
    }
    async with http.post(gateway / "graphql", json=payload) as response:
        body = await response.json()
        assert response.status == 200, body
    assert "errors" not in body, body["errors"]
    answered = {
        (c["contact"]["forename"], c["contact"]["surname"]): c["relationship"]
        for c in body["data"]["node"]["contacts"]
    }

    assert answered == truth
    assert {"Mother", "Father"} <= set(answered.values())
