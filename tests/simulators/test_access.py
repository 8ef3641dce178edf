"""Simulators serve reads side by side and changes alone (`simulators.access`): the gate
itself, and the Tanda simulator over real HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time

import aiohttp
import pytest
from aiohttp import web

from schoolgraph.simulators.access import HandlerSuspendedError, WorldAccess, run_to_completion
from schoolgraph.simulators.control import WorldHolder

from .conftest import ServeApp
from .test_tanda import admin_token, bearer, make_app


async def _waited(event: threading.Event) -> bool:
    """Whether a worker thread set ``event`` within 5 seconds (waited off the loop)."""
    return await asyncio.to_thread(event.wait, 5)


async def test_reads_run_side_by_side_and_a_write_waits_for_them_then_runs_alone() -> None:
    access = WorldAccess()
    release = threading.Event()
    started = {name: threading.Event() for name in ("r1", "r2", "r3")}
    events: list[str] = []

    def read(name: str) -> str:
        events.append(f"{name} start")
        started[name].set()
        release.wait(5)
        events.append(f"{name} end")
        return name

    first = asyncio.create_task(access.read_on_thread(read, "r1"))
    second = asyncio.create_task(access.read_on_thread(read, "r2"))
    # both reads are on their threads at once: neither ends before `release`
    assert await _waited(started["r1"]) and await _waited(started["r2"])
    assert access.readers == 2

    async def write() -> None:
        async with access.writing_alone():
            events.append("write")
            await asyncio.sleep(0.02)
            events.append("write end")

    writer = asyncio.create_task(write())
    late = asyncio.create_task(access.read_on_thread(read, "r3"))  # queued behind the write
    await asyncio.sleep(0.05)
    assert "write" not in events and "r3 start" not in events
    release.set()
    assert list(await asyncio.gather(first, second, writer, late)) == ["r1", "r2", None, "r3"]
    assert events.index("write") > max(events.index("r1 end"), events.index("r2 end"))
    assert events.index("r3 start") > events.index("write end")
    assert (access.readers, access.writing) == (0, False)


async def test_a_cancelled_read_keeps_the_world_until_its_thread_is_done() -> None:
    access = WorldAccess()
    release, started = threading.Event(), threading.Event()

    def read() -> None:
        started.set()
        release.wait(5)

    reading = asyncio.create_task(access.read_on_thread(read))
    assert await _waited(started)
    assert access.readers == 1
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading

    wrote = asyncio.Event()

    async def write() -> None:
        async with access.writing_alone():
            wrote.set()

    writer = asyncio.create_task(write())
    await asyncio.sleep(0.05)
    assert not wrote.is_set()  # the thread is still reading
    release.set()
    await asyncio.wait_for(writer, 5)
    assert (access.readers, access.writing) == (0, False)


async def test_a_waiter_cancelled_in_the_queue_does_not_block_the_others() -> None:
    access = WorldAccess()
    async with access.writing_alone():
        queued = asyncio.create_task(access.read_on_thread(lambda: "never"))
        after = asyncio.create_task(access.read_on_thread(lambda: "after"))
        await asyncio.sleep(0.01)
        queued.cancel()
    assert await asyncio.wait_for(after, 5) == "after"
    assert queued.cancelled()
    assert (access.readers, access.writing) == (0, False)


def test_run_to_completion_runs_a_handler_that_never_waits_and_refuses_one_that_does() -> None:
    async def plain() -> int:
        return 7

    async def yields() -> int:
        await asyncio.sleep(0)  # gives the loop a turn: suspends
        return 7

    async def sleeps() -> int:
        await asyncio.sleep(0.01)  # needs the loop, which this thread does not have
        return 7

    class Ready:
        def __await__(self) -> Generator[None, None, int]:
            yield from ()
            return 7

    assert run_to_completion(plain, "GET /plain") == 7
    with pytest.raises(TypeError, match="GET /ready: the handler returned Ready, not a coroutine"):
        run_to_completion(Ready, "GET /ready")
    with pytest.raises(HandlerSuspendedError, match="GET /yields"):
        run_to_completion(yields, "GET /yields")
    with pytest.raises(HandlerSuspendedError, match="GET /sleeps"):
        run_to_completion(sleeps, "GET /sleeps")


async def test_tanda_answers_a_cheap_read_while_an_expensive_one_is_rendering(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    started = threading.Event()

    async def expensive(request: web.Request) -> web.Response:
        started.set()
        time.sleep(0.5)  # noqa: ASYNC251 - stands in for rendering a large list
        return web.json_response([])

    app.router.add_get("/api/v2/expensive", expensive)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        headers = bearer(await admin_token(http, base, holder.world))

        async def get(path: str) -> float:
            async with http.get(f"{base}{path}", headers=headers) as response:
                assert response.status == 200, await response.text()
                await response.read()
            return time.monotonic()

        slow = asyncio.create_task(get("/api/v2/expensive"))
        assert await _waited(started)
        quick = await get("/api/v2/users/me")
        assert not slow.done()
        assert await slow > quick


async def test_a_tanda_change_waits_for_the_read_under_way(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    async def reading(request: web.Request) -> web.Response:
        started.set()
        release.wait(5)  # a render under way, on its thread
        order.append("read")
        return web.json_response([])

    app.router.add_get("/api/v2/reading", reading)
    worker = next(u for u in holder.world.tanda_users.values() if u.active and u.department_ids)
    start = int(datetime.combine(holder.world.today, dt_time(7), UTC).timestamp())
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        headers = bearer(await admin_token(http, base, holder.world))

        async def create() -> None:
            body = {"user_id": worker.id, "start": start, "finish": start + 3_600}
            async with http.post(f"{base}/api/v2/schedules", json=body, headers=headers) as r:
                assert r.status == 200, await r.text()
            order.append("write")

        async def read() -> None:
            async with http.get(f"{base}/api/v2/reading", headers=headers) as r:
                assert r.status == 200, await r.text()

        read_task = asyncio.create_task(read())
        assert await _waited(started)
        write_task = asyncio.create_task(create())
        await asyncio.sleep(0.2)
        assert not write_task.done() and holder.access.readers == 1
        release.set()
        await asyncio.gather(read_task, write_task)
    assert order == ["read", "write"]


async def test_tanda_changes_wait_for_reads_and_reads_see_whole_changes(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    """Schedules created while the week is read again and again: every read is complete
    (no half-made change, no error), and the last one sees every schedule created."""
    app, _ = make_app(holder)
    world = holder.world
    roster = world.roster_containing(world.today)
    assert roster is not None
    worker = next(u for u in world.tanda_users.values() if u.active and u.department_ids)
    params = {"from": roster.start.isoformat(), "to": roster.finish.isoformat()}
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        headers = bearer(await admin_token(http, base, world))

        async def week() -> set[int]:
            async with http.get(f"{base}/api/v2/schedules", params=params, headers=headers) as r:
                assert r.status == 200, await r.text()
                return {row["id"] for row in await r.json()}

        async def create(hour: int) -> int:
            day = datetime.combine(roster.start + timedelta(days=1), dt_time(7), UTC)
            start = int(day.timestamp()) + hour * 60
            body = {"user_id": worker.id, "start": start, "finish": start + 3_600}
            async with http.post(f"{base}/api/v2/schedules", json=body, headers=headers) as r:
                assert r.status == 200, await r.text()
                created: int = (await r.json())["id"]
                return created

        before = await week()
        reading = [asyncio.create_task(week()) for _ in range(12)]
        making = [asyncio.create_task(create(hour)) for hour in range(8)]
        reads = await asyncio.gather(*reading)
        made = set(await asyncio.gather(*making))
        assert all(before <= seen <= before | made for seen in reads)
        assert await week() == before | made
        assert (holder.access.readers, holder.access.writing) == (0, False)
