"""The change-set cache: per (school, endpoint, filters) tokens, deltas applied, identity kept."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from schoolgraph.cache.store import CacheKey
from schoolgraph.upstreams.http import CallLog, current_call_log
from schoolgraph.upstreams.xporter import XporterClient, XporterTtls
from tests.conftest import ManualClock

from .conftest import MakeClient, Sim

TTL_PASSED = 900.0  # past the people and groups TTLs, within the stale window

Reader = Callable[[XporterClient, str], Awaitable[Sequence[Any]]]


def _students(client: XporterClient, estab: str) -> Awaitable[Sequence[Any]]:
    return client.students(estab)


def _staff(client: XporterClient, estab: str) -> Awaitable[Sequence[Any]]:
    return client.staff(estab)


def _contacts(client: XporterClient, estab: str) -> Awaitable[Sequence[Any]]:
    return client.contacts(estab)


def _groups(client: XporterClient, estab: str) -> Awaitable[Sequence[Any]]:
    return client.groups(estab)


async def test_a_second_read_within_the_ttl_costs_no_request(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()

    first = await client.students(estab)
    second = await client.students(estab)

    assert second is first
    assert await sim.calls("/Students") == 1
    assert client.cache.stats.hits == 1 and client.cache.stats.misses == 1


async def test_an_unchanged_list_refreshes_with_an_empty_change_set(
    sim: Sim, client: XporterClient, clock: ManualClock
) -> None:
    estab = sim.estab()
    first = await client.students(estab)
    clock.advance(TTL_PASSED)

    second = await client.students(estab)

    assert second is first  # same tuple, same objects
    assert await sim.calls("/Students") == 2
    refresh = client.sync_log[-1]
    assert (refresh.kind, refresh.rows, refresh.deleted) == ("changes", 0, 0)
    assert client.cache.stats.revalidated == 1


async def test_after_a_mutation_a_refresh_fetches_only_the_change_set(
    sim: Sim, client: XporterClient, make_client: MakeClient, clock: ManualClock
) -> None:
    estab = sim.estab()
    before = await client.students(estab)
    updated = [before[0].id, before[10].id, before[20].id]
    deleted = before[30].id
    await sim.mutate("students", "update", ids=[int(i) for i in updated])
    await sim.mutate("students", "delete", ids=[int(deleted)])
    await sim.stats(reset=True)
    clock.advance(TTL_PASSED)

    after = await client.students(estab)

    assert await sim.calls("/Students") == 1 and await sim.sts_calls() == 0
    refresh = client.sync_log[-1]
    assert (refresh.kind, refresh.rows, refresh.deleted) == ("changes", 3, 1)
    fresh = await (await make_client()).students(estab)
    assert after == fresh and len(after) == len(before) - 1
    old = {s.id: s for s in before}
    for student in after:
        if student.id in updated:
            assert student is not old[student.id]
            assert student.mobile_phone != old[student.id].mobile_phone
        else:
            assert student is old[student.id]
    assert deleted not in {s.id for s in after}


@pytest.mark.parametrize(
    ("table", "read"),
    [("students", _students), ("staff", _staff), ("contacts", _contacts), ("groups", _groups)],
    ids=["students", "staff", "contacts", "groups"],
)
async def test_a_refreshed_list_equals_a_fresh_full_read(
    sim: Sim,
    client: XporterClient,
    make_client: MakeClient,
    clock: ManualClock,
    table: str,
    read: Reader,
) -> None:
    estab = sim.estab()
    before = await read(client, estab)
    ids = [int(row.id) for row in before[:6]]
    await sim.mutate(table, "update", ids=ids[:2])
    await sim.mutate(table, "delete", ids=ids[2:3])
    await sim.mutate(table, "add", ids=ids[3:4])
    clock.advance(TTL_PASSED)

    after = await read(client, estab)

    assert client.sync_log[-1].kind == "changes"
    assert after == await read(await make_client(), estab)
    old = {row.id: row for row in before}
    untouched = [row for row in after if row.id in old and int(row.id) not in ids[:3]]
    assert untouched and all(row is old[row.id] for row in untouched)


async def test_a_lesson_deleted_upstream_leaves_the_cached_timetable_after_the_change_set(
    sim: Sim, client: XporterClient, make_client: MakeClient, clock: ManualClock
) -> None:
    # `Lessons_deleted` names the lesson (`Id`), not the occurrence (`PeriodId`): §2.2, §4.7.1.
    estab = sim.estab()
    monday, friday = date(2026, 11, 23), date(2026, 11, 27)
    before = await client.timetable(estab, monday, friday)
    victim = before.lessons[0]
    assert victim.lesson_id is not None and victim.lesson_id != victim.id
    await sim.mutate("timetable", "delete", ids=[int(victim.lesson_id)])
    await sim.stats(reset=True)
    clock.advance(TTL_PASSED)

    after = await client.timetable(estab, monday, friday)

    assert await sim.calls("/Timetable") == 1
    refresh = client.sync_log[-1]
    assert (refresh.kind, refresh.rows, refresh.deleted) == ("changes", 0, 2)  # lesson, staff
    assert victim.lesson_id not in {lesson.lesson_id for lesson in after.lessons}
    assert after.lessons == tuple(x for x in before.lessons if x.lesson_id != victim.lesson_id)
    assert after == await (await make_client()).timetable(estab, monday, friday)


async def test_a_deleted_attendance_code_is_dropped_by_reading_the_codes_whole(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    # `AttendCodes` has no `Id` (keyed by `Mark`, §4.8.1): its `_deleted` Ids name no code.
    client = await make_client(ttl=XporterTtls(attendance_codes=60.0))
    estab = sim.estab()
    before = await client.attendance_codes(estab)
    gone = before[0].mark
    sim.world.attendance_codes = tuple(c for c in sim.world.attendance_codes if c.code != gone)
    student = next(s for s in sim.world.students.values() if s.school_id == sim.school_id())
    sim.world.touch("students", student)  # the codes are no table; this moves the revision
    clock.advance(TTL_PASSED)

    after = await client.attendance_codes(estab)

    assert [r.kind for r in client.sync_log] == ["full", "changes", "fallback", "full"]
    assert client.sync_log[1].deleted == 1
    assert [c.mark for c in after] == [c.mark for c in before if c.mark != gone]
    assert after == await (await make_client()).attendance_codes(estab)
    clock.advance(TTL_PASSED)
    assert await client.attendance_codes(estab) is after
    assert client.sync_log[-1].kind == "changes"  # the full read's token works


@pytest.mark.parametrize(
    "status_codes", [True, False], ids=["httpstatuscodes", "http-200-envelope"]
)
@pytest.mark.parametrize("how", ["expired-upstream", "garbled"])
async def test_a_broken_token_falls_back_to_a_full_read(
    sim: Sim, make_client: MakeClient, clock: ManualClock, status_codes: bool, how: str
) -> None:
    client = await make_client(http_status_codes=status_codes)
    estab = sim.estab()
    first = await client.staff(estab)
    if how == "expired-upstream":
        sim.forget_change_sets()
    else:
        entry = client.cache.peek(CacheKey("xporter", estab, client.sync_log[-1].resource))
        assert entry is not None and entry.token
        entry.token = "0" * 32
    clock.advance(TTL_PASSED)

    second = await client.staff(estab)

    assert [r.kind for r in client.sync_log] == ["full", "fallback", "full"]
    assert await sim.calls("/Staff") == 3
    assert second is first  # nothing changed: even the full read kept every object
    clock.advance(TTL_PASSED)
    await client.staff(estab)
    assert client.sync_log[-1].kind == "changes"  # the new token works


async def test_change_sets_are_computed_before_paging(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    client = await make_client(page_size=7)
    estab = sim.estab()
    before = await client.students(estab)
    pages = (len(before) + 6) // 7
    assert await sim.calls("/Students") == pages and client.sync_log[-1].pages == pages
    await sim.mutate("students", "update", ids=[int(before[3].id)])
    clock.advance(TTL_PASSED)

    after = await client.students(estab)

    assert await sim.calls("/Students") == pages + 1
    assert after == await (await make_client()).students(estab)


async def test_a_read_restarts_when_the_data_moves_between_pages(
    sim: Sim, make_client: MakeClient
) -> None:
    client = await make_client(page_size=20)
    estab = sim.estab()
    await client.health(estab)  # the token first, so only the pages are slow
    await sim.faults(latency_ms=300)

    reading = asyncio.ensure_future(client.students(estab))
    await asyncio.sleep(0.45)  # page 1 answered at ~0.3 s, page 2 answers at ~0.6 s
    await sim.mutate("students", "update", count=1, school=estab)
    students = await reading
    await sim.faults(clear=True)

    assert await sim.calls("/Students") > 3  # three pages, then again
    assert students == await (await make_client()).students(estab)


async def test_a_failing_upstream_serves_the_stale_list(
    sim: Sim, client: XporterClient, clock: ManualClock
) -> None:
    estab = sim.estab()
    first = await client.groups(estab)
    clock.advance(TTL_PASSED)
    await sim.faults(error_rate=1.0, error_status=503)
    log = CallLog()
    token = current_call_log.set(log)
    try:
        second = await client.groups(estab)
    finally:
        current_call_log.reset(token)

    assert second is first
    assert client.cache.stats.stale == 1
    assert [c.cache for c in log.calls][-1] == "stale"
    assert [c.status for c in log.calls if c.cache == "miss"] == [503, 503, 503]


async def test_each_filter_set_has_its_own_cache_entry_and_token(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    leaver = next(s for s in sim.world.students.values() if s.school_id == sim.school_id())
    sim.world.touch("students", leaver, leaving_date=sim.world.today - timedelta(days=30))

    on_roll = await client.students(estab)
    with_leavers = await client.students(estab, include_leavers=True)

    assert len(with_leavers) == len(on_roll) + 1
    assert {s.id for s in on_roll} < {s.id for s in with_leavers}
    assert all(not s.is_leaver for s in on_roll)
    assert await sim.calls("/Students") == 2
    assert len(client.cache) == 2


async def test_invalidate_drops_what_a_webhook_says_changed(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    await client.students(estab)
    await client.student_contacts(estab)

    assert client.invalidate(estab, "Students") == 1
    await client.students(estab)
    await client.student_contacts(estab)

    assert await sim.calls("/Students") == 2 and await sim.calls("/StudentContacts") == 1
