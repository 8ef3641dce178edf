"""Places among the operations executed at once: held while computing, given up while waiting
for an upstream, and never lost, however an operation's tasks interleave their waits."""

from __future__ import annotations

import asyncio

from schoolgraph.execution_slots import ExecutionSlots, Place, waiting_upstream


def holds(place: Place) -> bool:
    """Whether ``place`` is held now (a call: the answer changes as the loop turns)."""
    return place.held


async def _all_places_free(slots: ExecutionSlots) -> bool:
    """Whether every place can be held at once now (a lost place would keep one out)."""
    release = asyncio.Event()
    holding = 0
    all_held = asyncio.Event()

    async def hold() -> None:
        nonlocal holding
        async with slots.place():
            holding += 1
            if holding == slots.limit:
                all_held.set()
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(slots.limit)]
    try:
        await asyncio.wait_for(all_held.wait(), 1)
    except TimeoutError:
        return False
    finally:
        release.set()
        for holder in holders:
            holder.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
    return True


async def _wait_upstream(until: asyncio.Event) -> None:
    async with waiting_upstream():
        await until.wait()


async def test_a_wait_gives_the_place_up_and_the_end_of_the_last_takes_it_back() -> None:
    slots = ExecutionSlots(1)
    upstream = asyncio.Event()

    async with slots.place() as place:
        waiting = asyncio.create_task(_wait_upstream(upstream))
        await asyncio.sleep(0)
        assert not holds(place)
        async with slots.place() as other:  # another operation computes meanwhile
            assert other.held
        upstream.set()
        await waiting
        assert holds(place)

    assert await _all_places_free(slots)


async def test_two_tasks_ending_the_last_wait_at_once_take_one_place_back() -> None:
    """One task of an operation waits its turn to come back while another leaves and comes
    back too: both saw the last wait end. Each took a place, and one was lost for good: under
    load every place was lost and the gateway stopped answering."""
    slots = ExecutionSlots(2)
    first, second, third = asyncio.Event(), asyncio.Event(), asyncio.Event()
    busy = asyncio.Event()

    async def busy_operation() -> None:
        async with slots.place():
            await busy.wait()

    async with slots.place() as place:
        one = asyncio.create_task(_wait_upstream(first))
        two = asyncio.create_task(_wait_upstream(second))
        await asyncio.sleep(0)  # both wait: the place is given up
        others = [asyncio.create_task(busy_operation()) for _ in range(2)]
        await asyncio.sleep(0)  # and taken by two others: no place is free
        first.set()
        await one  # one wait of two ended: nothing to take back yet
        second.set()
        await asyncio.sleep(0)  # the last ended: `two` waits its turn for a place
        three = asyncio.create_task(_wait_upstream(third))
        await asyncio.sleep(0)
        third.set()
        await asyncio.sleep(0)  # `three` saw the last wait end too
        busy.set()
        await asyncio.gather(two, three, *others)
        assert holds(place)

    assert await _all_places_free(slots)


async def test_a_cancelled_wait_does_not_take_the_place_back() -> None:
    slots = ExecutionSlots(1)
    never = asyncio.Event()

    async with slots.place():
        waiting = asyncio.create_task(_wait_upstream(never))
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)

    assert await _all_places_free(slots)
