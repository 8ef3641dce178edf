"""What a TASS read asks for at once, over real HTTP: a cold students read sends its lookups
(houses, campuses) with the first page, each page is parsed while the next is on the wire,
and a warm read neither waits on the event loop nor starts a task.

The simulator here carries a `Gate`: it holds its answer to a request until another request
has arrived (or the test signals), so "asked for at once" is told from "asked for one after
the other" by what the client does, not by timing it. A hold that runs out (`HOLD` seconds)
is recorded in `Gate.expired`: the client asked one after the other.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import aclosing
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from schoolgraph.errors import UpstreamBadResponseError
from schoolgraph.simulators.control import WorldHolder, route_template
from schoolgraph.simulators.dataset import World
from schoolgraph.simulators.tass import create_tass_app
from schoolgraph.sources.tass import TassSource
from schoolgraph.upstreams.off_loop import OFF_LOOP_BYTES
from schoolgraph.upstreams.tass import TassClient, paths
from schoolgraph.upstreams.tass import client as tass_client
from schoolgraph.upstreams.tass.api2026 import Api2026
from schoolgraph.upstreams.tass.models import RowContext, Student, student_2026
from tests.conftest import ManualClock

from .conftest import TODAY, MakeClient, Sim, serve

HOLD = 5.0  # seconds a held answer waits at most; a read that works never waits it out
TTL = 301  # past the default students TTL of 300 seconds
STUDENTS = "/api/{cmpy_code}/students"
HOUSES = "/api/{cmpy_code}/options/students/houses"
CAMPUSES = "/api/{cmpy_code}/options/students/campuses"
PARSING = "parsing the first page"
NEVER = "never"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(route: str, skip: int) -> str:
    """The gate's name of one page of a 2026 list."""
    return f"{route}@{skip}"


class Gate:
    """Holds the simulator's answers to chosen requests until another request has arrived,
    and fails chosen ones."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._holds: dict[str, str] = {}
        self._failing: set[str] = set()
        self.arrived: list[str] = []
        self.expired: list[str] = []

    def hold(self, name: str, *, until: str) -> None:
        self._holds[name] = until

    def fail(self, name: str) -> None:
        """Answer `name` with a 404 problem."""
        self._failing.add(name)

    def signal(self, name: str) -> None:
        self._event(name).set()

    async def wait(self, name: str) -> bool:
        try:
            await asyncio.wait_for(self._event(name).wait(), HOLD)
        except TimeoutError:
            return False
        return True

    def release(self) -> None:
        for event in self._events.values():
            event.set()

    def _event(self, name: str) -> asyncio.Event:
        return self._events.setdefault(name, asyncio.Event())

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(("/__sim/", "/sim/")):
            return await handler(request)
        # Legacy calls by method (the client sends it in the query with GET), 2026 ones by
        # route and page.
        name = request.query.get("method") or route_template(request)
        if "$skip" in request.query:
            name = page(name, int(request.query["$skip"]))
        self.arrived.append(name)
        self.signal(name)
        if name in self._failing:
            return web.json_response({"detail": "No such page."}, status=404)
        until = self._holds.get(name)
        if until is not None and not await self.wait(until):
            self.expired.append(f"{name} waited for {until}")
        return await handler(request)


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
async def sim(world: World, gate: Gate) -> AsyncIterator[Sim]:
    """The TASS simulator behind a `Gate` (replaces conftest's `sim` for this module)."""
    holder = WorldHolder(world)
    app = create_tass_app(holder)
    app.middlewares.insert(0, gate.middleware)
    async with serve(app) as base, aiohttp.ClientSession() as http:
        try:
            yield Sim(base, holder, http)
        finally:
            gate.release()


def pages_in_flight() -> list[asyncio.Task[Any]]:
    """Page requests still running (`asyncio.all_tasks` lists unfinished tasks only)."""
    return [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "Api2026._page"
    ]


def without_suspending(read: Coroutine[Any, Any, Any]) -> Any:
    """Run `read` to its end in one step, failing if it waits on the event loop."""
    try:
        read.send(None)
    except StopIteration as done:
        return done.value
    read.close()
    raise AssertionError("The read waited on the event loop.")


# --------------------------------------------------------------------------- cold reads


async def test_a_cold_students_read_asks_for_the_houses_with_the_first_page(
    gate: Gate, client: TassClient
) -> None:
    gate.hold(page(HOUSES, 0), until=page(STUDENTS, 0))
    students = await client.students("01")
    assert gate.expired == []  # the first page was asked for before the houses came back
    assert len(students) == 48 and all(s.house_name for s in students)  # parsed with them


async def test_a_cold_legacy_students_read_asks_for_the_campuses_with_the_students(
    gate: Gate, make_client: MakeClient
) -> None:
    client = await make_client("legacy", legacy_http_method="GET")
    gate.hold("getCampuses", until="getStudentsDetails")
    students = await client.students("01")
    assert gate.expired == []
    campuses = {c.code for c in await client.campuses("01")}
    assert len(students) == 48 and all(s.campus_code in campuses for s in students)


async def test_a_cold_source_read_asks_for_campuses_houses_and_the_first_page_at_once(
    gate: Gate, client: TassClient
) -> None:
    gate.hold(page(CAMPUSES, 0), until=page(STUDENTS, 0))
    gate.hold(page(HOUSES, 0), until=page(STUDENTS, 0))
    students = await TassSource(client).students("01", TODAY)
    assert gate.expired == []
    assert students and all(s.campus for s in students.values())


async def test_each_page_is_parsed_while_the_next_one_is_on_the_wire(
    gate: Gate, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every page counts as large, so it is parsed on a worker thread, as a 1,000-row page is.
    monkeypatch.setattr(tass_client, "_ROW_BYTES", OFF_LOOP_BYTES)
    loop = asyncio.get_running_loop()
    asked_while_parsing: list[bool] = []

    def parse(raw: dict[str, Any], ctx: RowContext) -> Student:
        if not asked_while_parsing:  # the first row of the first page
            assert threading.current_thread() is not threading.main_thread(), "parsed on the loop"
            loop.call_soon_threadsafe(gate.signal, PARSING)
            asked = asyncio.run_coroutine_threadsafe(gate.wait(page(STUDENTS, 10)), loop)
            asked_while_parsing.append(asked.result(HOLD + 1))
        return student_2026(raw, ctx)

    monkeypatch.setattr(tass_client, "student_2026", parse)
    # The second page is answered only once the first is being parsed, and the first page's
    # parse goes on only once the second page has been asked for.
    gate.hold(page(STUDENTS, 10), until=PARSING)
    client = await make_client(page_size=10)

    students = await client.students("01")

    assert gate.expired == []
    assert asked_while_parsing == [True]
    assert len(students) == 48
    assert [n for n in gate.arrived if n.startswith(STUDENTS)] == [
        page(STUDENTS, skip) for skip in range(0, 50, 10)
    ]


# --------------------------------------------------------------------------- warm reads


async def test_a_warm_read_neither_waits_on_the_loop_nor_starts_a_task(client: TassClient) -> None:
    source = TassSource(client)
    cold = await source.students("01", TODAY)
    rows = await client.students("01")
    loop = asyncio.get_running_loop()
    started: list[object] = []
    factory = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        started.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)
    try:
        assert without_suspending(client.students("01")) is rows
        assert without_suspending(source.students("01", TODAY)) is cold
    finally:
        loop.set_task_factory(factory)
    assert started == []


# --------------------------------------------------------------------------- lookups as context


async def test_a_changed_house_list_makes_the_refresh_a_full_read(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    user, key = await sim.new_api_user()
    client = await make_client(api_key=key)
    before = await client.students("01")
    assert all(s.house_name for s in before)
    await sim.request(
        "PUT",
        f"/sim/admin/api-users/{user}/endpoints",
        {"endpoints": [{"endpoint": "/{cmpy_code}/students", "read": True}]},
    )
    client.invalidate("01", "houses")
    clock.advance(TTL)

    after = await client.students("01")

    snapshot = client.snapshot("01", "students")
    assert snapshot is not None and snapshot.last_read == "full"  # not an update_on read
    assert all(s.house_code and s.house_name is None for s in after)


# --------------------------------------------------------------------------- failures


async def test_a_failed_parse_stops_the_page_read_ahead_and_caches_nothing(
    gate: Gate, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tass_client, "_ROW_BYTES", OFF_LOOP_BYTES)
    loop = asyncio.get_running_loop()

    def parse(raw: dict[str, Any], ctx: RowContext) -> Student:
        asked = asyncio.run_coroutine_threadsafe(gate.wait(page(STUDENTS, 10)), loop)
        assert asked.result(HOLD + 1)
        raise UpstreamBadResponseError("A row TASS should not have sent.", upstream="tass")

    monkeypatch.setattr(tass_client, "student_2026", parse)
    gate.hold(page(STUDENTS, 10), until=NEVER)
    client = await make_client(page_size=10)

    with pytest.raises(UpstreamBadResponseError, match="should not have sent"):
        await client.students("01")

    assert pages_in_flight() == []  # the second page, asked for ahead, was cancelled
    assert page(STUDENTS, 20) not in gate.arrived  # and nothing after it asked for
    assert client.snapshot("01", "students") is None


async def test_a_failed_page_fails_the_whole_read_and_caches_nothing(
    gate: Gate, make_client: MakeClient
) -> None:
    gate.fail(page(STUDENTS, 20))
    client = await make_client(page_size=10)
    with pytest.raises(UpstreamBadResponseError, match="HTTP 404"):
        await client.students("01")
    assert page(STUDENTS, 30) not in gate.arrived
    assert pages_in_flight() == []
    assert client.snapshot("01", "students") is None


async def test_closing_the_pages_early_cancels_the_page_read_ahead(
    gate: Gate, client: TassClient
) -> None:
    await client.campuses("01")  # authenticate
    auth = client.auth("01")
    assert auth is not None
    api = Api2026(auth, transport=client.transport, wire=client.config.wire, page_size=10)
    gate.hold(page(STUDENTS, 10), until=NEVER)
    pages = api.pages("01", paths.STUDENTS)
    async with aclosing(pages):
        first = await anext(pages)
        assert len(first) == 10
        assert await gate.wait(page(STUDENTS, 10))  # asked for ahead, and held
        assert len(pages_in_flight()) == 1
    assert pages_in_flight() == []


async def test_a_cancelled_read_cancels_the_page_read_ahead(gate: Gate, client: TassClient) -> None:
    await client.campuses("01")
    auth = client.auth("01")
    assert auth is not None
    api = Api2026(auth, transport=client.transport, wire=client.config.wire, page_size=10)
    gate.hold(page(STUDENTS, 20), until=NEVER)
    read = asyncio.ensure_future(api.rows("01", paths.STUDENTS))
    assert await gate.wait(page(STUDENTS, 20))
    read.cancel()
    with pytest.raises(asyncio.CancelledError):
        await read
    assert pages_in_flight() == []
