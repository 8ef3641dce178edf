"""Turns: resolvers woken together by one answer run one per pass of the event loop, so that
an answer arriving meanwhile (the next page of a chain) is read between two of them."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from typing import Any

from aiohttp import web

from schoolgraph.graph.turns import take_turn
from tests.conftest import Serve


class Passes:
    """Counts the event loop's passes: a callback that schedules itself again runs once in
    each pass (asyncio runs what was ready when a pass began, then polls for I/O)."""

    def __init__(self) -> None:
        self.count = 0
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def test_tasks_woken_together_take_their_turns_in_passes_of_their_own() -> None:
    passes = Passes()
    shared: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[tuple[int, int]] = []

    async def resolver(n: int) -> None:
        await shared
        await take_turn()
        seen.append((n, passes.count))

    tasks = [asyncio.create_task(resolver(n)) for n in range(5)]
    await asyncio.sleep(0)
    shared.set_result(None)
    await asyncio.gather(*tasks)
    passes.stop()

    assert [n for n, _ in seen] == [0, 1, 2, 3, 4]  # in the order they were woken
    assert len({at for _, at in seen}) == 5, seen  # each in a pass of its own


async def test_an_answer_arriving_meanwhile_is_read_between_two_turns(
    serve: Serve, http: Any
) -> None:
    """Twenty resolvers woken by one read each hold the loop 2 ms; an upstream answer on
    loopback is read before the last of them runs, not after all of them."""

    async def answer(_: web.Request) -> web.Response:
        return web.json_response({"page": 2})

    app = web.Application()
    app.router.add_get("/page", answer)
    url = await serve(app)
    shared: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    order: list[str] = []

    async def resolver(n: int) -> None:
        await shared
        await take_turn()
        busy_until = time.perf_counter() + 0.002
        while time.perf_counter() < busy_until:  # building and completing rows: CPU
            pass
        order.append(f"resolver {n}")

    async def next_page() -> None:
        async with http.get(url / "page") as response:
            await response.read()
        order.append("answer")

    async with http.get(url / "page"):  # the connection is open, as between two pages
        pass
    tasks = [asyncio.create_task(resolver(n)) for n in range(20)]
    await asyncio.sleep(0)
    page = asyncio.create_task(next_page())
    await asyncio.sleep(0)  # the request is on its way
    shared.set_result(None)
    await asyncio.gather(page, *tasks)

    assert order.index("answer") < order.index("resolver 19"), order


async def test_a_cancelled_waiter_neither_keeps_nor_loses_the_turn() -> None:
    shared: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done: list[int] = []

    async def resolver(n: int) -> None:
        await shared
        await take_turn()
        done.append(n)

    tasks = [asyncio.create_task(resolver(n)) for n in range(4)]
    await asyncio.sleep(0)
    shared.set_result(None)
    await asyncio.sleep(0)  # all four woken: 0 holds the turn, 1 to 3 wait
    tasks[1].cancel()  # waiting
    await asyncio.sleep(0)
    tasks[2].cancel()  # granted by now: its turn goes on to 3
    for _ in range(20):  # a turn takes two passes; 3 has had ten turns' worth
        await asyncio.sleep(0)
    waiting = [n for n, task in enumerate(tasks) if not task.done()]
    for task in tasks:
        task.cancel()

    assert not waiting, "a turn lost to a cancelled task leaves the next waiting for good"
    assert done == [0, 3]
    assert tasks[1].cancelled() and tasks[2].cancelled()


def test_a_finished_loop_is_not_kept_alive_by_its_turns() -> None:
    loop = asyncio.new_event_loop()
    loop.run_until_complete(take_turn())
    loop.close()
    gone = weakref.ref(loop)
    del loop
    gc.collect()

    assert gone() is None
