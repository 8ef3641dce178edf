"""The Tanda cache: ETag revalidation, `updated_after` merges, deletions, tenants."""

from __future__ import annotations

from datetime import date, timedelta

from schoolgraph.cache.store import UpstreamCache

from .conftest import Clients, Sim, route_304s, route_count, today

USERS = "/api/v2/users"
SHIFTS = "/api/v2/shifts"
TTL = 300.0  # the default TTL of users and the longest of the defaults used here
EVER = (date(2000, 1, 1), date(2100, 1, 1))


async def test_a_read_within_the_ttl_makes_no_request(sim: Sim, clients: Clients) -> None:
    client = await clients()
    first = await client.teams()
    second = await client.teams()
    assert second is first
    assert route_count(await sim.stats(), "GET", "/api/v2/departments") == 1
    assert client.cache.stats.hits == 1


async def test_after_the_ttl_a_304_reuses_the_parsed_value(sim: Sim, clients: Clients) -> None:
    client = await clients()
    users, teams, roster = await client.users(), await client.teams(), await client.current_roster()
    locations = await client.locations()
    await sim.stats(reset=True)
    clients.clock.advance(3600 + 1)
    assert await client.users() == users
    assert (await client.users())[0] is users[0]
    assert await client.teams() is teams
    assert await client.current_roster() is roster
    assert await client.locations() is locations
    stats = await sim.stats()
    assert stats["total"] == stats["not_modified"] == 4
    assert route_304s(stats, "GET", USERS) == 1
    assert client.cache.stats.revalidated == 4


async def test_a_changed_page_is_parsed_again_and_unchanged_pages_are_kept(
    sim: Sim, clients: Clients
) -> None:
    client = await clients(page_size=10, full_refresh_every=0.0)  # always read in full
    before = await client.users()
    last = max(sim.world.tanda_users)
    await sim.mutate(table="tanda_users", action="update", ids=[last])
    clients.clock.advance(TTL + 1)
    await sim.stats(reset=True)
    after = await client.users()
    stats = await sim.stats()
    pages = len(before) // 10 + 1
    assert route_count(stats, "GET", USERS) == pages
    assert route_304s(stats, "GET", USERS) == pages - 1  # only the last page changed
    assert after[0] is before[0]  # from a page answered 304
    changed = next(u for u in after if u.id == last)
    assert changed.phone == sim.world.tanda_users[last].phone != before[-1].phone


async def test_large_lists_are_refreshed_with_updated_after_and_merged_by_id(
    sim: Sim, clients: Clients
) -> None:
    client = await clients()
    before = await client.shifts_for_users(None, *EVER)
    assert len(before) > 100  # more than one page: merging is cheaper than re-reading
    changed_ids = await sim.mutate(table="shifts", action="update", count=3)
    clients.clock.advance(TTL + 1)
    await sim.stats(reset=True)
    after = await client.shifts_for_users(None, *EVER)
    assert route_count(await sim.stats(), "GET", SHIFTS) == 1  # one updated_after request
    fresh = await (await clients(cache=UpstreamCache())).shifts_for_users(None, *EVER)
    assert after == fresh
    old = {s.id: s for s in before}
    for shift in after:
        if shift.id in changed_ids:
            assert shift != old[shift.id]
        else:
            assert shift is old[shift.id]  # unchanged rows stay the same objects


async def test_an_incremental_refresh_with_no_changes_keeps_the_same_list(
    sim: Sim, clients: Clients
) -> None:
    client = await clients()
    before = await client.shifts_for_users(None, *EVER)
    clients.clock.advance(TTL + 1)
    await sim.stats(reset=True)
    assert await client.shifts_for_users(None, *EVER) is before
    assert route_count(await sim.stats(), "GET", SHIFTS) == 1


async def test_a_shift_moved_out_of_the_window_is_dropped_by_the_merge(
    sim: Sim, clients: Clients
) -> None:
    client = await clients()
    users = sorted({s.user_id for s in sim.world.shifts.values()})
    window = (today() - timedelta(days=60), today() + timedelta(days=30))
    before = await client.shifts_for_users(users, *window)
    assert len(before) > 100
    moved = sim.world.shifts[before[0].id]
    sim.world.touch("shifts", moved, date=date(2001, 1, 1))
    clients.clock.advance(TTL + 1)
    after = await client.shifts_for_users(users, *window)
    assert moved.id not in {s.id for s in after}
    assert len(after) == len(before) - 1


async def test_deletions_are_seen_only_by_the_periodic_full_read(
    sim: Sim, clients: Clients
) -> None:
    """`updated_after` cannot report a deleted row (tanda.md §3.5); a full read can."""
    client = await clients(full_refresh_every=900.0)
    before = await client.shifts_for_users(None, *EVER)
    deleted = await sim.mutate(table="shifts", action="delete", count=1)
    clients.clock.advance(TTL + 1)
    merged = await client.shifts_for_users(None, *EVER)
    assert deleted[0] in {s.id for s in merged}  # the honest limit of updated_after
    clients.clock.advance(900.0)
    await sim.stats(reset=True)
    full = await client.shifts_for_users(None, *EVER)
    assert deleted[0] not in {s.id for s in full}
    assert len(full) == len(before) - 1
    pages = len(before) // 100 + 1
    assert route_count(await sim.stats(), "GET", SHIFTS) == pages


async def test_a_deactivated_user_arrives_as_a_change(sim: Sim, clients: Clients) -> None:
    client = await clients(page_size=10)
    victim = sim.employee()
    assert victim.id in {u.id for u in await client.users()}
    sim.world.touch("tanda_users", victim, active=False)
    clients.clock.advance(TTL + 1)
    await sim.stats(reset=True)
    assert victim.id not in {u.id for u in await client.users()}
    assert route_count(await sim.stats(), "GET", USERS) == 1
    assert [u.id for u in await client.inactive_users()] == [victim.id]


async def test_a_created_user_is_found_by_id_through_one_incremental_read(
    sim: Sim, clients: Clients
) -> None:
    client = await clients(page_size=10)
    await client.users()
    added = await sim.mutate(table="tanda_users", action="add", ids=[sim.employee().id])
    await sim.stats(reset=True)
    found = await client.users_by_ids(added)  # cached list is fresh, but lacks the id
    assert list(found) == added
    assert route_count(await sim.stats(), "GET", USERS) == 1


async def test_tenants_never_share_entries(sim: Sim, clients: Clients) -> None:
    shared = UpstreamCache(clock=clients.clock)
    admin = await clients(cache=shared)
    employee = await clients(sim.login(sim.employee()), cache=shared)
    assert admin.tenant != employee.tenant
    assert len(await admin.users()) > 1
    assert [u.id for u in await employee.users()] == [sim.employee().id]
    assert len(shared) == 2


async def test_a_failing_upstream_is_answered_from_the_stale_entry(
    sim: Sim, clients: Clients
) -> None:
    client = await clients()
    teams = await client.teams()
    clients.clock.advance(3600)
    await sim.faults(error_rate=1.0, error_status=503)
    assert await client.teams() is teams
    assert client.cache.stats.stale == 1
