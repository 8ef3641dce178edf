"""The runtime: demo mode starts the simulators in-process; upstream mode reads the set URLs."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from schoolgraph.app import RUNTIME, create_app
from schoolgraph.config import Settings, load_settings
from schoolgraph.graph.schema import build_schema
from schoolgraph.simulators.stack import SimulatorStack, start_simulators
from tests.conftest import Serve
from tests.simulated_upstreams import DirectoryQuery, environ_for, secrets_of, sim_post
from tests.test_cli import start_serve

SERVICE = "{ service { mode upstreams { kind baseUrl configured } } }"


@pytest.fixture
async def stack() -> AsyncIterator[SimulatorStack]:
    started = await start_simulators(scale="small")
    yield started
    await started.close()


async def graphql(
    http: aiohttp.ClientSession, gateway: URL, query: str, **headers: str
) -> dict[str, Any]:
    async with http.post(gateway / "graphql", json={"query": query}, headers=headers) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 200, body
        return body


def school_ids(stack: SimulatorStack) -> list[str]:
    described = stack.describe()
    return sorted(
        [f"xporter:{school['estab']}" for school in described["xporter"]["schools"]]
        + [f"tass:{company['code']}" for company in described["tass"]["companies"]]
    )


async def test_the_demo_serves_the_simulators_and_stops_them_cleanly(
    http: aiohttp.ClientSession,
) -> None:
    app = create_app(Settings(), schema=build_schema(DirectoryQuery))
    runner = web.AppRunner(app)
    await runner.setup()  # starts the runtime: the simulators, then the clients
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        runtime = app[RUNTIME]
        stack = runtime.simulators
        assert stack is not None
        assert (stack.world.scale, stack.world.seed) == ("demo", 7)

        body = await graphql(http, URL.build(scheme="http", host=host, port=port), "{ schoolIds }")

        assert body == {"data": {"schoolIds": school_ids(stack)}}
        assert runtime.settings.tanda is not None
        assert runtime.settings.tanda.base_url == stack.urls["tanda"]
    finally:
        await runner.cleanup()  # closes the clients, then the simulators
    for url in stack.urls.values():
        with pytest.raises(aiohttp.ClientConnectionError):
            async with http.get(f"{url}/__sim/stats"):
                pass
    with pytest.raises(RuntimeError, match="has not been started"):
        _ = runtime.directory


async def test_the_demo_reports_its_simulators_as_the_configured_upstreams(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    app = create_app(Settings(demo_scale="small", demo_seed=11))
    gateway = await serve(app)
    stack = app[RUNTIME].simulators
    assert stack is not None

    body = await graphql(http, gateway, SERVICE)

    assert stack.world.seed == 11
    assert body == {
        "data": {
            "service": {
                "mode": "DEMO",
                "upstreams": [
                    {"kind": "TANDA", "baseUrl": stack.urls["tanda"], "configured": True},
                    {"kind": "XPORTER", "baseUrl": stack.urls["xporter"], "configured": True},
                    {"kind": "TASS", "baseUrl": stack.urls["tass"], "configured": True},
                ],
            }
        }
    }


async def test_upstream_mode_reads_the_upstreams_the_environment_names(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack
) -> None:
    settings = load_settings(environ_for(stack))
    app = create_app(settings, schema=build_schema(DirectoryQuery))
    gateway = await serve(app)

    body = await graphql(http, gateway, "{ schoolIds }")

    assert body == {"data": {"schoolIds": school_ids(stack)}}
    assert app[RUNTIME].simulators is None
    async with http.get(f"{stack.urls['xporter']}/__sim/stats") as response:
        stats = await response.json()
    assert stats["total"] > 0  # the gateway read the simulator it was pointed at


async def test_an_unconfigured_upstream_gets_no_client_and_says_so(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack
) -> None:
    app = create_app(load_settings(environ_for(stack, "xporter")))
    gateway = await serve(app)

    body = await graphql(http, gateway, SERVICE)

    runtime = app[RUNTIME]
    assert (runtime.tanda, runtime.tass) == (None, None)
    assert runtime.xporter is not None
    assert body["data"]["service"] == {
        "mode": "UPSTREAM",
        "upstreams": [
            {"kind": "TANDA", "baseUrl": None, "configured": False},
            {"kind": "XPORTER", "baseUrl": stack.urls["xporter"], "configured": True},
            {"kind": "TASS", "baseUrl": None, "configured": False},
        ],
    }


async def test_the_three_clients_share_one_cache_sized_by_the_settings(
    serve: Serve, stack: SimulatorStack
) -> None:
    environ = environ_for(stack) | {
        "SCHOOLGRAPH_CACHE_MAX_ENTRIES": "123",
        "SCHOOLGRAPH_CACHE_STALE_SECONDS": "60",
    }
    app = create_app(load_settings(environ))
    await serve(app)

    runtime = app[RUNTIME]
    assert runtime.tanda is not None and runtime.xporter is not None and runtime.tass is not None
    assert runtime.tanda.cache is runtime.cache
    assert runtime.xporter.cache is runtime.cache
    assert runtime.tass.cache is runtime.cache
    assert (runtime.cache.max_entries, runtime.cache.stale_for) == (123, 60.0)


async def authorise_tanda(http: aiohttp.ClientSession, stack: SimulatorStack) -> str:
    """Authorise the demo OAuth application as the admin; return the first refresh token."""
    tanda = stack.describe()["tanda"]
    client = tanda["oauth_client"]
    form = {
        "client_id": client["client_id"],
        "redirect_uri": client["redirect_uri"],
        "scope": "me user department roster timesheet leave",
        "response_type": "code",
        "email": tanda["admin"]["email"],
        "password": tanda["admin"]["password"],
        "decision": "allow",
    }
    async with http.post(tanda["authorize_url"], data=form, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    exchange = {
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "code": code,
        "redirect_uri": client["redirect_uri"],
        "grant_type": "authorization_code",
    }
    async with http.post(tanda["token_url"], data=exchange) as response:
        assert response.status == 200, await response.text()
        refresh: str = (await response.json())["refresh_token"]
        return refresh


async def test_the_tanda_refresh_token_file_resumes_and_keeps_the_newest_token(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack, tmp_path: Path
) -> None:
    token_file = tmp_path / "tanda-refresh-token"
    first = await authorise_tanda(http, stack)
    token_file.write_text(first + "\n", encoding="utf-8")
    client = stack.describe()["tanda"]["oauth_client"]
    environ = {
        "SCHOOLGRAPH_TANDA_URL": stack.urls["tanda"],
        "SCHOOLGRAPH_TANDA_CLIENT_ID": client["client_id"],
        "SCHOOLGRAPH_TANDA_CLIENT_SECRET": client["client_secret"],
        "SCHOOLGRAPH_TANDA_REDIRECT_URI": client["redirect_uri"],
        "SCHOOLGRAPH_TANDA_REFRESH_TOKEN_FILE": str(token_file),
    }
    gateway = await serve(create_app(load_settings(environ)))

    async with http.get(gateway / "readyz") as response:
        assert response.status == 200, await response.text()

    rotated = token_file.read_text(encoding="utf-8").strip()
    assert rotated
    assert rotated != first  # Tanda rotated it, and the newest one was written back
    assert token_file.stat().st_mode & 0o077 == 0  # readable by its owner only


async def test_no_credential_reaches_the_logs(
    http: aiohttp.ClientSession,
    serve: Serve,
    stack: SimulatorStack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(load_settings(environ_for(stack)), schema=build_schema(DirectoryQuery))
    gateway = await serve(app)
    await graphql(http, gateway, "{ schoolIds }")
    await sim_post(http, stack, "tass", "/__sim/faults", {"error_rate": 1})
    async with http.get(gateway / "readyz") as response:
        assert response.status == 503
    logged = caplog.text + " ".join(repr(record.__dict__) for record in caplog.records)

    for secret in secrets_of(stack):
        assert secret not in logged
    assert secrets_of(stack)[0] not in repr(app[RUNTIME].settings)


@asynccontextmanager
async def serving(environ: dict[str, str], lines: int) -> AsyncIterator[list[str]]:
    """Run ``schoolgraph serve --port 0``; yield the first ``lines`` lines it prints."""
    process, gateway = await start_serve("--port", "0", **environ)
    assert process.stdout is not None
    try:
        more = [
            (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode().rstrip()
            for _ in range(lines - 1)
        ]
        yield [str(gateway), *more]
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0


async def test_serve_in_demo_mode_prints_the_simulators_and_logins_that_work(
    http: aiohttp.ClientSession,
) -> None:
    async with serving({"SCHOOLGRAPH_DEMO_SCALE": "small"}, 8) as lines:
        assert lines[0].endswith("/graphql")
        assert lines[1].startswith("demo mode: simulators in-process (seed 7, scale small, ")
        name, url, role, email, slash, password = lines[2].split()
        assert (name, role, slash) == ("Tanda", "admin", "/")
        login = {"username": email, "password": password, "scope": "me", "grant_type": "password"}
        async with http.post(f"{url}/api/oauth/token", json=login) as response:
            assert response.status == 200
        assert [line.split()[0] for line in lines[3:]] == [
            "Xporter",
            "estab",
            "estab",
            "TASS",
            "companies",
        ]
        assert lines[7].split(maxsplit=1)[1] == "01, 02"


async def test_serve_in_upstream_mode_names_the_upstreams_but_no_credential(
    stack: SimulatorStack,
) -> None:
    async with serving(environ_for(stack, "xporter", "tass"), 5) as lines:
        pass

    assert lines[1:] == [
        "upstream mode:",
        "  Tanda    not configured",
        f"  Xporter  {stack.urls['xporter']}  (schools "
        + ", ".join(s["estab"] for s in stack.describe()["xporter"]["schools"])
        + ")",
        f"  TASS     {stack.urls['tass']}  (companies 01, 02)",
    ]
    for secret in secrets_of(stack):
        assert secret not in "\n".join(lines)
