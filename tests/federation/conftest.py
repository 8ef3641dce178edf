"""Apollo Federation from npm: the packages installed once into a git-ignored cache folder, a
supergraph run by ``gateway.mjs`` over subgraphs served on loopback, and subgraph SDLs
composed by ``compose.mjs``."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from tests.conftest import Serve
from tests.federation.badges_subgraph import create_badges_app
from tests.federation.desks_subgraph import BookedDesk, create_desks_app
from tests.graph.conftest import Gateway

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# Git-ignored (.gitignore: .cache/); removing it forces a fresh install.
CACHE = ROOT / ".cache" / "federation"
MANIFESTS = ("package.json", "package-lock.json")
STAMP = "installed.sha256"
NODE_MAJOR = 20  # the oldest Node that @apollo/server 5 supports
COMPOSITION = "@apollo/composition"
COMPOSITION_2_9 = "apollo-composition-2.9"
"""package.json's alias of @apollo/composition 2.9, which knows federation up to v2.9."""
INSTALL_TIMEOUT = 300.0
RUN_TIMEOUT = 120.0


def require_tool(name: str) -> str:
    """The path of ``name`` on PATH; the test fails (never skips) without it."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"The federation tests need {name!r} on PATH (Node.js {NODE_MAJOR} or newer with "
            f"npm) to install and run @apollo/gateway, and none was found.",
            pytrace=False,
        )
    return found


def check_node(node: str) -> None:
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    match = re.fullmatch(r"v(\d+)\..*", version)
    if match is None or int(match.group(1)) < NODE_MAJOR:
        pytest.fail(
            f"The federation tests need Node.js {NODE_MAJOR} or newer, and {node} is {version}.",
            pytrace=False,
        )


def lock_digest() -> str:
    """What an install must match: the committed manifest and lockfile."""
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def installed() -> bool:
    """Whether the cache holds a finished ``npm ci`` of the committed lockfile (the stamp is
    written only after the install succeeds)."""
    stamp = CACHE / STAMP
    return stamp.is_file() and stamp.read_text(encoding="utf-8") == lock_digest()


def npm_ci(npm: str) -> None:
    shutil.rmtree(CACHE, ignore_errors=True)
    CACHE.mkdir(parents=True)
    for name in MANIFESTS:
        shutil.copy2(HERE / name, CACHE / name)
    started = time.monotonic()
    # No install scripts: the only ones (protobufjs's postinstall) check CLI extras we never
    # run. --prefer-offline reuses npm's own cache on a machine that has installed before.
    result = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
        cwd=CACHE,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`npm ci` of tests/federation/package-lock.json into {CACHE} failed "
            f"({result.returncode}):\n{result.stderr}",
            pytrace=False,
        )
    (CACHE / STAMP).write_text(lock_digest(), encoding="utf-8")
    print(f"npm ci into {CACHE}: {time.monotonic() - started:.1f} s")  # noqa: T201


@pytest.fixture(scope="session")
def apollo_packages() -> Path:
    """The folder whose ``node_modules`` holds the locked Apollo packages, installed with
    ``npm ci`` on first use and reused while it matches the committed lockfile."""
    check_node(require_tool("node"))
    npm = require_tool("npm")
    if not installed():
        npm_ci(npm)
    return CACHE


async def run_node(
    script: str, packages: Path, request: object, *, env: Mapping[str, str] | None = None
) -> tuple[int, bytes, str]:
    """Run ``script`` (in this folder) with node over the installed ``packages``, the JSON of
    ``request`` on its stdin: its exit code, stdout and stderr. The subgraphs answer on this
    event loop, so the wait must not block it."""
    process = await asyncio.create_subprocess_exec(
        require_tool("node"),
        str(HERE / script),
        str(packages),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        stdout, stderr = await asyncio.wait_for(
            process.communicate(json.dumps(request).encode()), timeout=RUN_TIMEOUT
        )
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stdout, stderr.decode()


@dataclass(frozen=True)
class Supergraph:
    """What ``gateway.mjs`` reported: the composed supergraph and the gateway's answer."""

    sdl: str
    result: dict[str, Any]


@dataclass(frozen=True)
class ApolloGateway:
    """Runs one operation through a supergraph that Apollo composes from the given subgraphs."""

    packages: Path

    async def execute(self, subgraphs: Mapping[str, URL], query: str) -> Supergraph:
        request = {
            "subgraphs": [{"name": name, "url": str(url)} for name, url in subgraphs.items()],
            "query": query,
        }
        # The gateway's HTTP client honours proxy variables; loopback must never go through one.
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        code, stdout, errors = await run_node("gateway.mjs", self.packages, request, env=env)
        if code == 2:
            pytest.fail(f"Apollo composition failed:\n{errors}", pytrace=False)
        assert code == 0, f"gateway.mjs exited {code}:\n{errors}"
        report = json.loads(stdout)
        return Supergraph(sdl=report["supergraphSdl"], result=report["result"])


@pytest.fixture
def apollo(apollo_packages: Path) -> ApolloGateway:
    return ApolloGateway(apollo_packages)


@dataclass(frozen=True)
class ApolloComposition:
    """Composes subgraph SDLs with ``composeServices``, as a router's build step would."""

    packages: Path

    async def compose(self, subgraphs: Mapping[str, str], *, package: str = COMPOSITION) -> str:
        """The supergraph SDL that ``package`` composes from ``subgraphs`` (name to SDL); the
        test fails with composition's errors when they do not compose."""
        request = {
            "composition": package,
            "subgraphs": [{"name": name, "sdl": sdl} for name, sdl in subgraphs.items()],
        }
        code, stdout, errors = await run_node("compose.mjs", self.packages, request)
        if code == 2:
            pytest.fail(f"{package} did not compose {sorted(subgraphs)}:\n{errors}", pytrace=False)
        assert code == 0, f"compose.mjs exited {code}:\n{errors}"
        supergraph: str = json.loads(stdout)["supergraphSdl"]
        return supergraph


@pytest.fixture
def composition(apollo_packages: Path) -> ApolloComposition:
    return ApolloComposition(apollo_packages)


@pytest.fixture
async def schoolgraph(serve: Serve, http: aiohttp.ClientSession) -> Gateway:
    """schoolgraph in demo mode (small world), served on loopback."""
    app = create_app(Settings(demo_scale="small"))
    return Gateway(url=await serve(app), app=app, http=http)


@dataclass(frozen=True)
class Subgraph:
    url: URL
    app: web.Application


StartBadges = Callable[[Sequence[str]], Awaitable[Subgraph]]


@pytest.fixture
def start_badges(serve: Serve) -> StartBadges:
    """``await start_badges(holders)``: the badge service, served on loopback, with badges
    issued to these schoolgraph ``Staff`` ids."""

    async def start(holders: Sequence[str]) -> Subgraph:
        app = create_badges_app(holders)
        return Subgraph(url=(await serve(app)) / "graphql", app=app)

    return start


StartDesks = Callable[[Sequence[BookedDesk]], Awaitable[Subgraph]]


@pytest.fixture
def start_desks(serve: Serve) -> StartDesks:
    """``await start_desks(desks)``: the desk service, served on loopback, with these desks
    booked to schoolgraph ``Team`` and ``Location`` ids."""

    async def start(desks: Sequence[BookedDesk]) -> Subgraph:
        app = create_desks_app(desks)
        return Subgraph(url=(await serve(app)) / "graphql", app=app)

    return start
