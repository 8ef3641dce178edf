"""Schools from every configured upstream, and what a failing upstream leaves standing."""

from __future__ import annotations

import pytest

from schoolgraph.domain import System
from schoolgraph.errors import NotFoundError, UpstreamError
from schoolgraph.sources import Directory

from .conftest import TASS_COMPANY, Sims


async def test_every_configured_school_is_listed_with_its_zone(sims: Sims) -> None:
    schools = await sims.directory().schools()

    assert schools.errors == ()
    world = sims.world
    expected = {
        (f"{s.system}:{s.code}", s.name, s.time_zone, s.country)
        for s in world.schools.values()
        if s.system == "xporter" or s.code == TASS_COMPANY
    }
    assert {(s.id, s.name, s.time_zone, s.country) for s in schools.value} == expected


async def test_a_school_carries_its_address_and_campuses(sims: Sims) -> None:
    directory = sims.directory()
    by_system = {s.system: s for s in sims.world.schools.values()}
    uk, au = by_system["xporter"], by_system["tass"]

    xporter = await directory.school(f"xporter:{uk.code}")
    tass = await directory.school(f"tass:{au.code}")

    assert xporter is not None and tass is not None
    assert (xporter.town, xporter.postcode, xporter.phone) == (uk.town, uk.postcode, uk.phone)
    assert xporter.sources[0].system is System.XPORTER
    campuses = {c.name for c in sims.world.campuses.values() if c.school_id == au.id}
    assert set(tass.campuses) == campuses


async def test_an_unknown_school_is_none_and_its_lists_are_not_found(directory: Directory) -> None:
    assert await directory.school("xporter:0000000") is None
    assert await directory.school("tanda:1") is None
    assert await directory.school("nonsense") is None
    with pytest.raises(NotFoundError, match="tass:99"):
        await directory.students("tass:99")


async def test_with_xporter_down_and_nothing_cached_the_tass_school_still_answers(
    sims: Sims,
) -> None:
    await sims.faults("xporter", error_rate=1.0)
    directory = sims.directory()

    schools = await directory.schools()

    assert [s.id for s in schools.value] == [f"tass:{TASS_COMPANY}"]
    assert len(schools.errors) == len(sims.world.credentials.xporter_schools)
    assert all(isinstance(e, UpstreamError) for e in schools.errors)
    assert {e.upstream for e in schools.errors} == {"xporter"}


async def test_with_xporter_down_staff_still_holds_tass_and_tanda_people(sims: Sims) -> None:
    await sims.faults("xporter", error_rate=1.0)

    staff = await sims.directory().staff()

    assert {e.upstream for e in staff.errors} == {"xporter"}
    systems = {ref.system for person in staff.value.values() for ref in person.sources}
    assert systems == {System.TASS, System.TANDA}


async def test_readiness_names_each_configured_upstream(sims: Sims) -> None:
    directory = sims.directory()
    assert await directory.readiness() == {"tanda": "ok", "xporter": "ok", "tass": "ok"}

    await sims.faults("tass", error_rate=1.0)
    states = await directory.readiness()
    assert states["tass"] != "ok" and states["xporter"] == "ok"


async def test_an_upstream_not_configured_is_simply_absent(sims: Sims) -> None:
    directory = Directory(None, None, sims.tass, today=lambda: sims.world.today)

    schools = await directory.schools()
    staff = await directory.staff()

    assert [s.id for s in schools.value] == [f"tass:{TASS_COMPANY}"]
    assert {ref.system for p in staff.value.values() for ref in p.sources} == {System.TASS}
    assert await directory.teams() == {}
    assert await directory.readiness() == {"tass": "ok"}
