"""The audit-log filters' lists: only what the log holds, each read by index seeks, and
kept briefly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from schoolgraph.audit.store import ANONYMOUS_USER, AuditStore, distinct_sql
from schoolgraph.dashboard.facets import FacetsCache
from tests.audit.test_store import TODAY, at, record


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[AuditStore]:
    audit = AuditStore(tmp_path / "accounts.sqlite3", today=lambda: TODAY)
    await audit.open()
    yield audit
    await audit.close()


async def test_facets_list_what_the_log_holds_once_each_in_order(store: AuditStore) -> None:
    await store.insert(
        [
            record("a", at(TODAY), status=404, company="xporter:7109606"),
            record("b", at(TODAY), endpoint="POST /auth/token", account_code=None, company=None),
            record("c", at(TODAY), account_code="SG0002"),
            record("d", at(TODAY)),
            record("e", at(TODAY), company="tass:01,xporter:1234567"),
        ]
    )

    facets = await store.facets()

    assert facets.statuses == (200, 404)
    assert facets.companies == ("tass:01", "xporter:1234567", "xporter:7109606")
    assert facets.users == ("SG0001", "SG0002", ANONYMOUS_USER)
    assert facets.endpoints == ("POST /auth/token", "query Query.students")


@pytest.mark.parametrize(
    ("column", "index"),
    [
        ("endpoint", "audit_by_endpoint"),
        ("account_code", "audit_by_account"),
        ("status", "audit_by_status"),
        ("company", "audit_by_company"),
    ],
)
async def test_every_list_is_read_by_index_seeks(
    store: AuditStore, column: str, index: str
) -> None:
    plan = await store.explain(distinct_sql(column))
    assert f"SEARCH audit_records USING COVERING INDEX {index} ({column}>?)" in plan
    assert "SCAN audit_records" not in plan, plan


async def test_the_lists_are_kept_for_their_lifetime_then_read_again(store: AuditStore) -> None:
    now = [0.0]
    cache = FacetsCache(ttl=30.0, clock=lambda: now[0])
    await store.insert([record("a", at(TODAY))])
    assert (await cache.get(store)).statuses == (200,)

    await store.insert([record("b", at(TODAY), status=502)])
    now[0] = 29.9
    kept = await cache.get(store)
    now[0] = 30.0
    fresh = await cache.get(store)

    assert kept.statuses == (200,)
    assert fresh.statuses == (200, 502)


async def test_an_empty_log_lists_nothing(store: AuditStore) -> None:
    facets = await store.facets()

    assert (facets.statuses, facets.companies, facets.users, facets.endpoints) == ((), (), (), ())
