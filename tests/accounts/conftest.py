"""A gateway without upstreams (no anonymous access) and an account store on disk."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from schoolgraph.accounts import Grant
from schoolgraph.config import Mode, Settings
from tests.accounts.harness import Harness, WallClock, start_harness
from tests.conftest import Serve

SERVICE = [Grant("Service", read=True)]
"""Enough to ask ``{ service { name } }``, which needs no upstream."""


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "accounts.sqlite3"


@pytest.fixture
def harness_settings() -> Settings:
    return Settings(mode=Mode.UPSTREAM)


@pytest.fixture
async def harness(
    serve: Serve,
    http: aiohttp.ClientSession,
    harness_settings: Settings,
    clock: WallClock,
    db: Path,
) -> Harness:
    return await start_harness(serve, http, harness_settings, clock=clock, db=db)
