"""The TASS cache over real HTTP: incremental `update_on` refresh, locally computed row hashes
keeping identities, periodic full reads for deletions, stale-if-error, tenant scoping."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

import pytest

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.errors import UpstreamAuthError
from schoolgraph.upstreams.canonical import canonical
from schoolgraph.upstreams.http import CallLog, current_call_log
from schoolgraph.upstreams.tass import Student, TassClient
from schoolgraph.upstreams.tass.snapshot import hash_rows
from tests.conftest import ManualClock

from .conftest import MakeClient, Sim

STUDENTS = "/api/{cmpy_code}/students"
LEGACY = "/tassweb/api/"
TTL = 301  # past the default students TTL of 300 seconds


def _codes(sim: Sim, ids: list[int]) -> set[str]:
    return {sim.world.students[i].code for i in ids}


def _digests(rows: list[dict[str, Any]], parse: Callable[[dict[str, Any]], Any]) -> list[str]:
    return [digest for _, digest, _ in hash_rows(rows, parse=parse, key=id).rows]


def test_rows_are_hashed_by_what_the_gateway_keeps_of_them() -> None:
    def student(raw: dict[str, Any]) -> Student:
        return Student(company="01", code=raw["stud_code"], surname=raw.get("surname"))

    ada = {"stud_code": "7", "surname": "Lovelace", "religion": "none"}
    same, kept_change = [
        {"religion": "other", "surname": "Lovelace", "stud_code": "7"},  # an unkept field
        {"stud_code": "7", "surname": "Byron", "religion": "none"},
    ]
    digests = _digests([ada, same, kept_change], student)
    assert digests[0] == digests[1] != digests[2]
    assert len(digests[0]) == 40


def test_a_model_msgspec_cannot_write_is_hashed_by_its_canonical_wire_row() -> None:
    class Opaque:  # neither a struct, a dataclass nor JSON
        pass

    rows = [{"b": 1, "a": "é"}, {"a": "é", "b": 1}, {"a": "é", "b": 2}]
    digests = _digests(rows, lambda raw: Opaque())
    assert digests[0] == digests[1] != digests[2]
    assert digests[0] == hashlib.sha1(canonical(rows[0]), usedforsecurity=False).hexdigest()


async def test_a_fresh_read_is_served_from_the_cache_without_a_request(
    sim: Sim, client: TassClient
) -> None:
    first = await client.students("01")
    assert await client.students("01") is first
    assert await sim.calls(STUDENTS) == 1


async def test_incremental_refresh_fetches_only_changed_rows_and_keeps_the_rest(
    sim: Sim, client: TassClient, clock: ManualClock, make_client: MakeClient
) -> None:
    await sim.ensure_clock_after_world()
    before = await client.students("01")
    newest = max(x.updated_at for x in before if x.updated_at is not None)
    watermark_rows = {s.code for s in before if s.updated_at == newest}
    changed = await sim.mutate("students", "update", count=3)
    changed_codes = _codes(sim, changed["ids"])
    await sim.stats(reset=True)
    clock.advance(TTL)

    after = await client.students("01")

    assert await sim.calls(STUDENTS) == 1  # one filtered page
    snapshot = client.snapshot("01", "students")
    assert snapshot is not None and snapshot.last_read == "incremental"
    assert snapshot.last_rows == len(changed_codes | watermark_rows)  # `ge` re-reads the newest
    old = {s.code: s for s in before}
    for student in after:
        if student.code in changed_codes:
            assert student is not old[student.code]
            assert student.mobile == next(
                s.mobile for s in sim.world.students.values() if s.code == student.code
            )
        else:
            assert student is old[student.code]
    fresh = await make_client(cache=UpstreamCache(clock=clock))
    assert after == await fresh.students("01")


async def test_an_incremental_read_that_finds_nothing_new_keeps_the_same_tuple(
    sim: Sim, client: TassClient, clock: ManualClock
) -> None:
    before = await client.students("01")
    clock.advance(TTL)
    assert await client.students("01") is before
    assert await sim.calls(STUDENTS) == 2
    assert client.cache.stats.revalidated == 1


async def test_filter_uses_update_on_ge_the_school_local_watermark(
    sim: Sim, client: TassClient, clock: ManualClock
) -> None:
    students = await client.students("01")
    newest = max(s.updated_at for s in students if s.updated_at)
    clock.advance(TTL)
    await client.students("01")
    _, logs = await sim.request("GET", "/sim/admin/audit/logs?endpoints=/{cmpy_code}/students")
    urls = [unquote_plus(r["endpoint"]) for r in logs["records"]]
    local = newest.astimezone(client.time_zone("01")).replace(tzinfo=None)
    wanted = f"$filter=update_on ge {local.isoformat(timespec='milliseconds')}"
    assert any(wanted in url for url in urls), urls


async def test_legacy_incremental_refresh_asks_update_on_from_and_merges(
    sim: Sim, legacy: TassClient, clock: ManualClock
) -> None:
    await sim.ensure_clock_after_world()
    before = await legacy.students("01")
    changed = await sim.mutate("students", "update", count=2)
    changed_codes = _codes(sim, changed["ids"])
    await sim.stats(reset=True)
    clock.advance(TTL)

    after = await legacy.students("01")

    assert await sim.calls(LEGACY, "POST") == 2  # current and noncurrent, both filtered
    snapshot = legacy.snapshot("01", "students")
    assert snapshot is not None and snapshot.last_read == "incremental"
    assert snapshot.last_rows < len(before)  # whole days since the watermark, not everyone
    old = {s.code: s for s in before}
    assert {s.code for s in after if s is not old[s.code]} == changed_codes


async def test_deletions_need_the_periodic_full_read(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    client = await make_client(full_refresh_every=900.0)
    await sim.ensure_clock_after_world()
    before = await client.students("01")
    deleted = await sim.mutate("students", "delete", count=1)
    gone = _codes(sim, deleted["ids"]) if deleted["ids"][0] in sim.world.students else None
    clock.advance(TTL)
    still = await client.students("01")
    assert len(still) == len(before)  # an update_on read cannot see a deletion
    clock.advance(600)  # 901 seconds since the full read
    after = await client.students("01")
    assert len(after) == len(before) - 1
    snapshot = client.snapshot("01", "students")
    assert snapshot is not None and snapshot.last_read == "full"
    kept = {s.code: s for s in before}
    assert all(s is kept[s.code] for s in after)  # identities survive the full read
    assert gone is None or not gone & {s.code for s in after}


async def test_full_reads_keep_unchanged_rows_and_the_tuple_by_hash(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    client = await make_client(full_refresh_every=0.0)
    before = await client.students("01")
    clock.advance(TTL)
    assert await client.students("01") is before
    await sim.mutate("students", "update", count=1)
    clock.advance(TTL)
    after = await client.students("01")
    assert after is not before
    assert sum(a is not b for a, b in zip(before, after, strict=True)) == 1


async def test_a_whole_read_that_finds_nothing_changed_keeps_the_snapshot_and_counts(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    client = await make_client(full_refresh_every=900.0)
    await client.students("01")
    first = client.snapshot("01", "students")
    clock.advance(901)  # due a full read: it finds nothing changed
    await client.students("01")
    assert client.snapshot("01", "students") is first  # what kept answers were built on
    pages = await sim.calls(STUDENTS)

    clock.advance(TTL)  # the full read 301 seconds ago counts: an update_on read now
    await client.students("01")
    _, logs = await sim.request("GET", "/sim/admin/audit/logs?endpoints=/{cmpy_code}/students")
    urls = [unquote_plus(r["endpoint"]) for r in logs["records"]]
    filtered = [url for url in urls if "$filter=update_on ge" in url]
    assert await sim.calls(STUDENTS) == pages + 1 and len(filtered) == 1, urls
    assert client.snapshot("01", "students") is first


async def test_rows_without_a_readable_update_on_are_refreshed_whole(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    _, key = await sim.new_api_user(
        [
            {
                "endpoint": "/{cmpy_code}/students",
                "read": True,
                "read_fields": ["stud_code", "surname", "year_grp"],
            }
        ]
    )
    client = await make_client(api_key=key)
    before = await client.students("01")
    assert all(s.updated_at is None and s.first_name is None for s in before)
    clock.advance(TTL)
    assert await client.students("01") is before
    snapshot = client.snapshot("01", "students")
    assert snapshot is not None and snapshot.watermark is None and snapshot.last_read == "full"


async def test_stale_data_is_served_when_the_upstream_fails(
    sim: Sim, client: TassClient, clock: ManualClock
) -> None:
    before = await client.students("01")
    await sim.faults(error_rate=1.0, error_status=503)
    clock.advance(TTL)
    log = CallLog()
    token = current_call_log.set(log)
    try:
        again = await client.students("01")
    finally:
        current_call_log.reset(token)
    assert again is before
    assert log.totals()["stale"] == 1
    assert client.cache.stats.stale == 1


async def test_a_withdrawn_grant_is_not_answered_from_stale_cache(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    user, key = await sim.new_api_user()
    client = await make_client(api_key=key)
    await client.employees("01")
    await sim.request(
        "PUT",
        f"/sim/admin/api-users/{user}/endpoints",
        {"endpoints": [{"endpoint": "/{cmpy_code}/students", "read": True}]},
    )
    clock.advance(TTL)
    with pytest.raises(UpstreamAuthError, match=r"/\{cmpy_code\}/employees"):
        await client.employees("01")
    assert client.snapshot("01", "employees") is None


async def test_credentials_are_separate_cache_tenants(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    cache = UpstreamCache(clock=clock)
    _, key = await sim.new_api_user(
        [
            {
                "endpoint": "/{cmpy_code}/students",
                "read": True,
                "read_fields": ["stud_code", "surname"],
            }
        ]
    )
    narrow = await make_client(cache=cache, api_key=key)
    full = await make_client(cache=cache)
    narrow_rows = await narrow.students("01")
    full_rows = await full.students("01")
    assert all(s.first_name is None for s in narrow_rows)
    assert all(isinstance(s, Student) and s.first_name for s in full_rows)
    assert await sim.calls(STUDENTS) == 2


async def test_invalidate_drops_a_companys_entries(sim: Sim, client: TassClient) -> None:
    await client.students("01")
    await client.campuses("01")
    assert client.invalidate("01", "students") == 1
    await client.students("01")
    await client.campuses("01")
    assert await sim.calls(STUDENTS) == 2
    assert await sim.calls("/api/{cmpy_code}/options/students/campuses") == 1
