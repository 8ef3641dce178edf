"""Tanda writes: shifts and schedules, refusals mapped back, and the cache they invalidate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schoolgraph.upstreams.tanda import BreakSpan, TandaRequestError

from .conftest import Clients, Sim, route_count, today

EVER = (today() - timedelta(days=400), today() + timedelta(days=400))


def _at(hour: int, day_offset: int = 0) -> datetime:
    base = datetime.combine(today() + timedelta(days=day_offset), datetime.min.time(), UTC)
    return base + timedelta(hours=hour)


async def test_create_update_approve_and_delete_a_shift(sim: Sim, clients: Clients) -> None:
    client = await clients()
    worker = sim.employee()
    before = await client.shifts_for_users([worker.id], *EVER)
    sheet_before = await client.timesheet_for_user(worker.id, today())
    created = await client.create_shift(
        worker.id,
        day=today(),
        start=_at(9) + timedelta(seconds=20),
        finish=_at(13),
        metadata="cover",
    )
    assert created.user_id == worker.id and created.date == today()
    assert created.start == _at(9)  # Tanda rounds to the minute (§4.6)
    assert created.status == "PENDING" and created.metadata == "cover"
    after = await client.shifts_for_users([worker.id], *EVER)  # evicted: read again
    assert {s.id for s in after} == {s.id for s in before} | {created.id}
    sheet = await client.timesheet_for_user(worker.id, today())
    assert sheet is not None and created.id in {s.id for s in sheet.shifts}
    assert sheet_before is None or sheet is not sheet_before

    moved = await client.update_shift(created.id, finish=_at(14), metadata=None)
    assert moved.finish == _at(14) and moved.metadata is None and moved.start == _at(9)
    approved = await client.approve_shifts([created.id])
    assert [s.status for s in approved] == ["APPROVED"]
    assert approved[0].approved_by is not None and approved[0].approved_at is not None
    assert (await client.shifts_by_ids([created.id]))[created.id].approved

    await client.delete_shift(created.id)
    assert await client.shifts_by_ids([created.id]) == {}
    assert created.id not in {s.id for s in await client.shifts_for_users([worker.id], *EVER)}


async def test_a_write_evicts_only_what_it_changes(sim: Sim, clients: Clients) -> None:
    client = await clients()
    worker = sim.employee()
    await client.teams()
    await client.current_roster()
    await client.shifts_for_users([worker.id], *EVER)
    await sim.stats(reset=True)
    await client.create_shift(worker.id, day=today(), start=_at(9), finish=_at(10))
    await client.teams()
    await client.current_roster()
    await client.shifts_for_users([worker.id], *EVER)
    stats = await sim.stats()
    assert route_count(stats, "GET", "/api/v2/departments") == 0
    assert route_count(stats, "GET", "/api/v2/rosters/current") == 0
    assert route_count(stats, "GET", "/api/v2/shifts") == 1


async def test_create_update_and_publish_schedules(sim: Sim, clients: Clients) -> None:
    client = await clients()
    worker = sim.employee()
    roster = await client.current_roster()
    assert roster is not None
    start = datetime.combine(roster.start + timedelta(days=2), datetime.min.time(), UTC)
    created = await client.create_schedule(
        user_id=worker.id,
        start=start + timedelta(hours=9),
        finish=start + timedelta(hours=15),
        breaks=[BreakSpan(start + timedelta(hours=12), start + timedelta(hours=12, minutes=30))],
    )
    assert created.user_id == worker.id and not created.published
    assert created.breaks[0].length == 30
    assert created.roster_id == roster.id
    fresh = await client.current_roster()
    assert fresh is not None and fresh is not roster
    assert created.id in {s.id for s in fresh.schedules}

    vacant = await client.update_schedule(
        created.id, user_id=None, breaks=None, automatic_break_length=30
    )
    assert vacant.user_id is None and vacant.breaks == () and vacant.automatic_break_length == 30
    assert vacant.start == created.start

    # More drafts than one publish request takes (100): how many the generated world holds
    # depends on the weekday it is generated on, so vacant drafts make up the rest.
    drafts = [i for i, s in sim.world.schedules.items() if s.last_published_at is None]
    for n in range(max(0, 101 - len(drafts))):
        extra = await client.create_schedule(
            start=start + timedelta(hours=16, minutes=n), finish=start + timedelta(hours=20)
        )
        assert not extra.published
    unpublished = sorted(i for i, s in sim.world.schedules.items() if s.last_published_at is None)
    assert len(unpublished) > 100
    await sim.stats(reset=True)
    published = await client.publish_schedules(unpublished)
    assert {s.id for s in published} == set(unpublished)
    assert all(s.published for s in published)
    assert route_count(await sim.stats(), "POST", "/api/v2/schedules/publish") == 2
    found = await client.schedules_by_ids([created.id])
    assert found[created.id].published

    await client.delete_schedule(created.id)
    assert await client.schedules_by_ids([created.id]) == {}


async def test_a_refused_write_carries_tandas_status_and_message(
    sim: Sim, clients: Clients
) -> None:
    client = await clients()
    with pytest.raises(TandaRequestError) as refused:
        await client.create_shift(999_999_999, day=today())
    assert refused.value.status == 400
    assert refused.value.upstream_message == "No known user with id 999999999!"
    assert refused.value.code == "UPSTREAM_BAD_RESPONSE" and refused.value.upstream == "tanda"

    employee = await clients(sim.login(sim.employee()))
    other = next(u for u in sorted(sim.world.tanda_users) if u != sim.employee().id)
    with pytest.raises(TandaRequestError) as forbidden:
        await employee.create_shift(other, day=today())
    assert forbidden.value.status == 403

    with pytest.raises(TandaRequestError) as missing:
        await client.update_shift(123, status="APPROVED")
    assert missing.value.status == 404


async def test_naive_datetimes_are_refused_before_sending(sim: Sim, clients: Clients) -> None:
    client = await clients()
    with pytest.raises(ValueError, match="timezone-aware"):
        await client.create_schedule(start=datetime(2026, 1, 1, 9))
    assert (await sim.stats())["total"] == 0
