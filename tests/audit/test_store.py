"""The store on its own: dates and the 60-day rule, retention, chart buckets, query plans, the
migration, and the buffer's back-pressure."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from schoolgraph.accounts.sqlite import MIGRATIONS, SqliteStore
from schoolgraph.audit.errors import AuditRangeInvalidError, AuditRangeTooLongError
from schoolgraph.audit.models import MAX_RANGE_DAYS, AuditFilter, AuditRecord, UpstreamCallRecord
from schoolgraph.audit.recorder import AuditRecorder
from schoolgraph.audit.store import AuditStore, distinct_sql, where_clause

UTC = datetime.UTC
TODAY = datetime.date(2026, 3, 31)


def at(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=UTC)


def record(request_id: str, when: datetime.datetime, **changes: object) -> AuditRecord:
    base = AuditRecord(
        request_id=request_id,
        at=when,
        account_code="SG0001",
        account_name="Alice Apps",
        company="tass:01",
        method="POST",
        endpoint="query Query.students",
        path="/graphql",
        status=200,
        error_codes=(),
        error_message=None,
        ip="127.0.0.1",
        elapsed_ms=10.0,
        request_bytes=100,
        response_bytes=2048,
        user_agent="test",
        query_parameters=None,
        variables=None,
        stack=None,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[AuditStore]:
    audit = AuditStore(tmp_path / "accounts.sqlite3", today=lambda: TODAY)
    await audit.open()
    yield audit
    await audit.close()


async def test_records_round_trip_with_their_upstream_calls(store: AuditStore) -> None:
    calls = (
        UpstreamCallRecord("tass", "GET", "/api/students", 200, 12.5, "miss"),
        UpstreamCallRecord(
            "xporter", "GET", "/api/v1/School/{estab}/Students", 304, 3.0, "revalidated"
        ),
    )
    first = record("a", at(TODAY), calls=calls, error_codes=("UPSTREAM_TIMEOUT", "INTERNAL"))
    await store.insert([first, record("b", at(TODAY, 13))])
    await store.insert([record("c", at(TODAY, 14), calls=calls[:1])])

    assert await store.record("a") == first
    c = await store.record("c")
    assert c is not None and c.calls == calls[:1]
    assert await store.record("nope") is None


async def test_a_reused_request_id_keeps_the_first_and_suffixes_the_later(
    store: AuditStore,
) -> None:
    await store.insert([record("same", at(TODAY, 9)), record("same", at(TODAY, 10), status=404)])
    await store.insert([record("same", at(TODAY, 11), status=500)])

    first, second, third = [await store.record(key) for key in ("same", "same~2", "same~3")]
    assert first is not None and first.status == record("same", at(TODAY, 9)).status
    assert second is not None and second.status == 404
    assert third is not None and third.status == 500


async def test_dates_are_whole_utc_days_inclusive(store: AuditStore) -> None:
    day = datetime.date(2026, 3, 10)
    await store.insert(
        [
            record("before", at(day - datetime.timedelta(days=1), 23, 59)),
            record("first", at(day, 0, 0)),
            record("last", at(day, 23, 59)),
            record("after", at(day + datetime.timedelta(days=1), 0, 0)),
        ]
    )

    page = await store.search(AuditFilter(date_from=day, date_to=day))
    assert [r.request_id for r in page.records] == ["last", "first"]
    assert page.total == 2
    only_from = await store.search(AuditFilter(date_from=day))
    assert [r.request_id for r in only_from.records] == ["after", "last", "first"]


async def test_a_range_of_sixty_days_is_allowed_and_sixty_one_refused(store: AuditStore) -> None:
    start = TODAY - datetime.timedelta(days=MAX_RANGE_DAYS - 1)
    await store.insert(
        [record("edge", at(start)), record("outside", at(start, 0) - datetime.timedelta(minutes=1))]
    )

    page = await store.search(AuditFilter(date_from=start, date_to=TODAY))
    assert [r.request_id for r in page.records] == ["edge"]
    with pytest.raises(AuditRangeTooLongError) as refused:
        await store.search(AuditFilter(date_from=start - datetime.timedelta(days=1), date_to=TODAY))
    assert refused.value.code == "AUDIT_RANGE_TOO_LONG"
    assert "61 days" in refused.value.message and "cannot exceed 60 days" in refused.value.message
    with pytest.raises(AuditRangeTooLongError):  # only a start: it runs to today
        await store.search(AuditFilter(date_from=start - datetime.timedelta(days=1)))
    with pytest.raises(AuditRangeInvalidError):
        await store.search(AuditFilter(date_from=TODAY, date_to=start))


async def test_only_an_end_date_means_the_sixty_days_ending_then(store: AuditStore) -> None:
    end = datetime.date(2026, 3, 1)
    await store.insert(
        [
            record("in", at(end - datetime.timedelta(days=MAX_RANGE_DAYS - 1))),
            record("out", at(end - datetime.timedelta(days=MAX_RANGE_DAYS))),
        ]
    )

    page = await store.search(AuditFilter(date_to=end))
    assert [r.request_id for r in page.records] == ["in"]


async def test_empty_results_are_empty_not_errors(store: AuditStore) -> None:
    page = await store.search(AuditFilter(users=("SG0404",)), offset=10, limit=5)

    assert (page.records, page.total, page.offset, page.limit) == ((), 0, 10, 5)
    assert await store.recent_errors() == []
    assert await store.top_users() == []
    assert await store.top_endpoints(None) == []
    assert await store.user_statistics("SG0001") is None
    assert await store.endpoint_statistics("query Query.students") is None
    assert await store.count() == 0


async def test_the_message_filter_is_a_literal_substring(store: AuditStore) -> None:
    await store.insert(
        [
            record("pct", at(TODAY), status=500, error_message="Disk 100% full"),
            record("under", at(TODAY), status=500, error_message="no_such_table"),
            record("other", at(TODAY), status=500, error_message="Disk 1000 full"),
        ]
    )

    async def ids(text: str) -> list[str]:
        return [r.request_id for r in (await store.search(AuditFilter(message=text))).records]

    assert await ids("100%") == ["pct"]
    assert await ids("Dis_ 100") == []
    assert await ids("_such_") == ["under"]
    assert sorted(await ids("DISK")) == ["other", "pct"]


async def test_timeline_buckets_count_requests_and_errors(store: AuditStore) -> None:
    since = at(TODAY, 0)
    await store.insert(
        [
            record("1", at(TODAY, 0, 0)),
            record("2", at(TODAY, 5, 59), status=500),
            record("3", at(TODAY, 6, 0), error_codes=("FORBIDDEN_FIELD",)),
            record("4", at(TODAY, 23, 59)),
            record("late", at(TODAY + datetime.timedelta(days=1), 0, 0)),
        ]
    )

    buckets = await store.timeline(since, since + datetime.timedelta(days=1), buckets=4)

    assert [(b.start.hour, b.requests, b.errors) for b in buckets] == [
        (0, 2, 1),
        (6, 1, 1),
        (12, 0, 0),
        (18, 1, 0),
    ]
    with pytest.raises(AuditRangeInvalidError):
        await store.timeline(since, since, buckets=4)
    with pytest.raises(AuditRangeInvalidError):
        await store.timeline(since, since + datetime.timedelta(hours=1), buckets=0)


async def test_purge_deletes_old_records_and_their_calls(store: AuditStore, tmp_path: Path) -> None:
    call = UpstreamCallRecord("tanda", "GET", "/api/v2/users", 200, 1.0, "miss")
    await store.insert(
        [
            record("old", at(TODAY - datetime.timedelta(days=100)), calls=(call,)),
            record("new", at(TODAY)),
        ]
    )

    assert await store.purge(at(TODAY - datetime.timedelta(days=90))) == 1

    assert await store.record("old") is None and await store.record("new") is not None
    with sqlite3.connect(tmp_path / "accounts.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM audit_upstream_calls").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("where", "index"),
    [
        pytest.param(AuditFilter(date_from=TODAY, date_to=TODAY), "audit_by_time", id="dates"),
        pytest.param(AuditFilter(users=("SG0001",)), "audit_by_account", id="users"),
        pytest.param(
            AuditFilter(endpoints=("query Query.staff",)), "audit_by_endpoint", id="endpoints"
        ),
        pytest.param(AuditFilter(errors_only=True), "audit_errors_by_time", id="errors"),
    ],
)
async def test_searches_use_an_index(store: AuditStore, where: AuditFilter, index: str) -> None:
    condition, parameters = where_clause(where, TODAY)

    plan = await store.explain(
        f"SELECT * FROM audit_records WHERE {condition} ORDER BY at DESC LIMIT 50",  # noqa: S608
        parameters,
    )

    assert any(index in step for step in plan), plan


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        pytest.param(
            "SELECT account_code, COUNT(*), SUM(is_error), MAX(at) FROM audit_records "
            "GROUP BY account_code",
            "COVERING INDEX audit_by_account",
            id="top users",
        ),
        pytest.param(
            "SELECT endpoint, COUNT(*), SUM(is_error), MAX(at) FROM audit_records "
            "GROUP BY endpoint",
            "COVERING INDEX audit_by_endpoint",
            id="top endpoints",
        ),
        pytest.param(
            "SELECT * FROM audit_records WHERE is_error = 1 ORDER BY at DESC LIMIT 10",
            "audit_errors_by_time",
            id="recent errors",
        ),
        pytest.param(
            "SELECT * FROM audit_records WHERE request_id = 'x'",
            "audit_by_request",
            id="error details",
        ),
        pytest.param(
            "SELECT method, COUNT(*) FROM audit_records WHERE endpoint = 'e' GROUP BY method",
            "audit_by_endpoint",
            id="endpoint statistics",
        ),
        pytest.param(
            "SELECT COUNT(*) FROM audit_records WHERE at >= 0 AND at < 10",
            "audit_by_time",
            id="timeline",
        ),
        pytest.param(
            "SELECT id FROM audit_records WHERE status IN (500, 502) ORDER BY at DESC LIMIT 50",
            "audit_by_status",
            id="search by status code",
        ),
        pytest.param(
            "DELETE FROM audit_records WHERE at < 10",
            "audit_by_time",
            id="purge",
        ),
    ],
)
async def test_figures_use_an_index(store: AuditStore, sql: str, index: str) -> None:
    plan = await store.explain(sql)

    assert any(index in step for step in plan), plan
    assert "SCAN audit_records" not in plan, plan  # never the table itself


async def test_an_accounts_database_of_version_one_gains_the_audit_tables(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    older = SqliteStore(path, migrations=MIGRATIONS[:1])
    await older.open()
    await older.close()

    audit = AuditStore(path)
    await audit.open()
    await audit.insert([record("a", at(TODAY))])
    await audit.close()

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("SELECT COUNT(*) FROM audit_records").fetchone()[0] == 1


async def test_an_audit_log_of_version_two_gains_the_status_and_company_indexes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.sqlite3"
    older = SqliteStore(path, migrations=MIGRATIONS[:2])
    await older.open()
    await older.close()

    audit = AuditStore(path, today=lambda: TODAY)
    await audit.open()
    try:
        await audit.insert([record("a", at(TODAY), status=502, company="tass:01")])
        facets = await audit.facets()
        plan = await audit.explain(distinct_sql("status"))
    finally:
        await audit.close()

    assert (facets.statuses, facets.companies) == ((502,), ("tass:01",))
    assert any("audit_by_status" in step for step in plan), plan


async def test_a_full_buffer_waits_for_the_writer_then_drops_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A store that was never opened fails every write, as a lost disk would.
    recorder = AuditRecorder(
        AuditStore(tmp_path / "x.sqlite3"), capacity=2, interval=0.01, wait=0.05
    )
    recorder.start()
    try:
        for n in range(3):
            await recorder.put(record(f"r{n}", at(TODAY)))
    finally:
        caplog.set_level("CRITICAL")  # the shutdown's own report of the two kept
        await recorder.close()

    assert recorder.dropped == 1
    assert len(recorder) == 2  # the failed batches stay buffered, in order
    dropped = [r for r in caplog.records if "is dropped" in r.getMessage()]
    assert [r.levelname for r in dropped] == ["ERROR"]
    assert "request r2" in dropped[0].getMessage()


async def test_a_waiting_request_proceeds_once_the_writer_makes_room(store: AuditStore) -> None:
    recorder = AuditRecorder(store, capacity=2, interval=3600.0, wait=5.0)
    recorder.start()
    await asyncio.gather(*(recorder.put(record(f"r{n}", at(TODAY))) for n in range(7)))
    await recorder.close()

    assert recorder.dropped == 0
    assert await store.count() == 7


async def test_a_company_matches_accounts_limited_to_it_among_others(store: AuditStore) -> None:
    await store.insert(
        [
            record("one", at(TODAY), company="tass:01"),
            record("several", at(TODAY), company="tass:01,xporter:7109606"),
            record("other", at(TODAY), company="tass:010"),
            record("every", at(TODAY), company=None),
        ]
    )

    async def ids(*companies: str) -> set[str]:
        page = await store.search(AuditFilter(companies=companies))
        return {r.request_id for r in page.records}

    assert await ids("tass:01") == {"one", "several"}
    assert await ids("xporter:7109606") == {"several"}
    assert await ids("tass:010", "xporter:7109606") == {"other", "several"}
    assert await ids("tass:0_") == set()
