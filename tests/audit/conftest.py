"""A gateway with accounts on disk and the audit log on, served on loopback."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from schoolgraph.audit.store import AuditStore
from schoolgraph.audit.web import AUDIT
from schoolgraph.config import Mode, Settings
from tests.accounts.harness import FAST, Harness, start_harness
from tests.conftest import Serve


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "accounts.sqlite3"


@pytest.fixture
def audit_settings() -> Settings:
    # No rate limit: the load test sends hundreds of requests as one account.
    return Settings(mode=Mode.UPSTREAM, rate_limit=0)


@pytest.fixture
async def harness(
    serve: Serve, http: aiohttp.ClientSession, audit_settings: Settings, db: Path
) -> Harness:
    return await start_harness(serve, http, audit_settings, db=db, cost=FAST)


@pytest.fixture
def reader(harness: Harness) -> AuditStore:
    return harness.app[AUDIT].reader


async def flushed(harness: Harness) -> AuditStore:
    """The harness's audit reader once everything recorded so far is written."""
    await harness.app[AUDIT].flush()
    return harness.app[AUDIT].reader
