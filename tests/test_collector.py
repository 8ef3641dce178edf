"""The collector tuning `schoolgraph serve` applies, in a process of its own (it is global)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from schoolgraph.collector import tune_collector
before = gc.get_threshold()
kept = [[i] for i in range(1000)]
tuned = tune_collector({threshold})
print(json.dumps({{"tuned": tuned, "before": before, "after": gc.get_threshold(),
                  "frozen": gc.get_freeze_count()}}))
"""


def probe(threshold: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(threshold=threshold)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    found: dict[str, object] = json.loads(out.stdout)
    return found


def test_tuning_freezes_start_up_and_raises_the_young_threshold() -> None:
    found = probe(50_000)
    before, after = found["before"], found["after"]
    assert isinstance(before, list) and isinstance(after, list)
    assert found["tuned"] is True
    assert after == [50_000, before[1], before[2]]
    assert isinstance(found["frozen"], int) and found["frozen"] >= 1000  # `kept` among them


def test_zero_leaves_the_collector_alone() -> None:
    found = probe(0)
    assert found["tuned"] is False
    assert found["after"] == found["before"]
    assert found["frozen"] == 0


BETWEEN_REQUESTS = """
import asyncio, gc, json
import aiohttp
from aiohttp import web
from schoolgraph.collector import BACKLOG, collect_between_requests, requests_in_flight
from schoolgraph.collector import tune_collector

THRESHOLD = 1000
ran = []
gc.callbacks.append(lambda phase, info: phase == "stop" and ran.append(info["generation"]))
seen = {}
ended = {}  # collections run by the time each request's handler returned


def cycles(n):
    for _ in range(n):
        garbage = []
        garbage.append(garbage)  # only the collector frees a cycle


async def answer(request):
    before = len(ran)
    cycles(int(request.query["cycles"]))
    await asyncio.sleep(0.3)  # the collector's task polls every 20 ms meanwhile
    seen[request.query["name"]] = len(ran) - before
    ended[request.query["name"]] = len(ran)
    return web.Response(text="ok")


BIG = 32 * 2**20  # more than loopback's socket buffers hold: sent as the client reads


async def big(request):
    cycles(int(request.query["cycles"]))
    return web.Response(body=b"x" * BIG)


async def socket(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for _ in ws:
        pass
    return ws


async def main():
    tune_collector(THRESHOLD)
    task = asyncio.create_task(collect_between_requests(THRESHOLD))
    app = web.Application(middlewares=[requests_in_flight])
    app.router.add_get("/", answer)
    app.router.add_get("/ws", socket)
    app.router.add_get("/big", big)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}/"
        within = str(THRESHOLD * (1 + BACKLOG) // 2)  # over the threshold, under the backlog
        async with http.get(url, params={"name": "within", "cycles": within}) as r:
            await r.read()
        await asyncio.sleep(0.3)
        # Counted from the handler's return: the collector may run before this client
        # has read the answer.
        seen["idle"] = len(ran) - ended["within"]
        async with http.ws_connect(url + "ws"):
            before_socket = len(ran)
            cycles(2 * THRESHOLD)
            await asyncio.sleep(0.3)
            seen["socket_open"] = len(ran) - before_socket
        # A handled request whose answer is still being sent (the client reads slowly).
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /big?cycles={within} HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n".encode())
        await reader.readuntil(b"\\r\\n\\r\\n")
        before_sending = len(ran)
        await asyncio.sleep(0.3)
        seen["sending"] = len(ran) - before_sending
        await reader.readexactly(BIG)  # the collector may run as soon as the last bytes left
        await asyncio.sleep(0.3)
        seen["sent"] = len(ran) - before_sending
        writer.close()
        piles = str(2 * BACKLOG * THRESHOLD)
        async with http.get(url, params={"name": "piled", "cycles": piles}) as r:
            await r.read()
    seen["enabled_while_running"] = gc.isenabled()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    seen["enabled_after"] = gc.isenabled()
    await runner.cleanup()
    print(json.dumps(seen))


asyncio.run(main())
"""


def test_collections_run_between_requests_unless_garbage_piles_up() -> None:
    out = subprocess.run(
        [sys.executable, "-c", BETWEEN_REQUESTS],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    seen = json.loads(out.stdout)
    assert seen["within"] == 0, "no collection while a request is answered"
    assert seen["idle"] >= 1, "the garbage it left is collected once no request runs"
    assert seen["sending"] == 0, "nor while an answer is still being sent"
    assert seen["sent"] >= 1, "once it is sent, the collector runs"
    assert seen["piled"] >= 1, "past the backlog, a collection runs even mid-request"
    assert seen["socket_open"] >= 1, "an open WebSocket does not keep the server from idling"
    assert seen["enabled_while_running"] is False and seen["enabled_after"] is True
