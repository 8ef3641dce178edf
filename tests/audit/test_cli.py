"""``schoolgraph audit ...`` over the database a served gateway wrote and shut down.

One test runs the command as a real subprocess; the others call ``main()`` in this process
(each subprocess pays seconds of imports on a shared machine), with the same environment.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from schoolgraph.app import create_app
from schoolgraph.cli import main
from schoolgraph.config import Mode, Settings
from tests.conftest import start_serving
from tests.test_cli import clean_env


@pytest.fixture
async def data(tmp_path: Path, http: aiohttp.ClientSession) -> Path:
    """A data folder whose audit log holds 3 good queries, 1 invalid one and 1 unknown path,
    written by a gateway that has since shut down."""
    folder = tmp_path / "data"
    app = create_app(Settings(mode=Mode.UPSTREAM, anonymous=True, rate_limit=0, data_dir=folder))
    url, stop, serving = await start_serving(app)
    for n in range(3):
        async with http.post(
            url / "graphql",
            json={"query": "{ service { name } }"},
            headers={"X-Request-Id": f"good-{n}"},
        ) as response:
            assert response.status == 200
    async with http.post(
        url / "graphql",
        json={"query": "{ service { nope } }", "variables": {"password": "pw-123"}},
        headers={"X-Request-Id": "bad-1", "User-Agent": "cli-test/1"},
    ) as response:
        assert response.status == 400
    async with http.get(url / "missing", headers={"X-Request-Id": "lost-1"}) as response:
        assert response.status == 404
    stop.set()
    await serving
    return folder


class Audit:
    """``schoolgraph audit <args>`` in this process: exit code, stdout, stderr."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, data: Path, *args: str) -> tuple[int, str, str]:
        for key in [key for key in os.environ if key.startswith("SCHOOLGRAPH_")]:
            self.monkeypatch.delenv(key)
        self.monkeypatch.setenv("SCHOOLGRAPH_DATA_DIR", str(data))
        code = main(["audit", *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def ok(self, data: Path, *args: str) -> str:
        code, out, err = self(data, *args)
        assert (code, err) == (0, ""), err
        return out


@pytest.fixture
def audit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Audit:
    return Audit(monkeypatch, capsys)


def test_search_as_a_subprocess_prints_the_grid_newest_first(data: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "schoolgraph", "audit", "search"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(SCHOOLGRAPH_DATA_DIR=str(data)),
        check=False,
    )

    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0] == "1-5 of 5 records"
    assert lines[1].startswith("Request Date/Time")
    assert "/missing" in lines[2] and "404" in lines[2] and "There is nothing at" in lines[2]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  anonymous ", lines[3])
    assert "bad-1" in lines[3] and "400" in lines[3]


def test_the_audit_command_has_help(audit: Audit, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        audit(tmp_path, "--help")
    out = audit.capsys.readouterr().out

    for action in ("search", "count", "recent-errors", "top-users", "top-endpoints", "user"):
        assert action in out
    for action in ("endpoint", "error", "purge"):
        assert action in out


def test_filters_and_count(audit: Audit, data: Path) -> None:
    assert audit.ok(data, "count").strip() == "5"
    assert audit.ok(data, "count", "--errors-only").strip() == "2"
    assert audit.ok(data, "count", "--endpoint", "query Query.service").strip() == "3"
    assert audit.ok(data, "count", "--method", "GET").strip() == "1"
    assert audit.ok(data, "count", "--status", "400", "--status", "404").strip() == "2"
    lines = audit.ok(data, "search", "--json", "--limit", "2").splitlines()
    assert [json.loads(line)["request_id"] for line in lines] == ["lost-1", "bad-1"]


def test_a_range_over_sixty_days_is_refused(audit: Audit, data: Path) -> None:
    code, out, err = audit(data, "search", "--from", "2026-01-01", "--to", "2026-03-02")

    assert (code, out) == (2, "")
    assert err == (
        "schoolgraph audit: error: The date range 2026-01-01 to 2026-03-02 spans 61 days; "
        "it cannot exceed 60 days.\n"
    )


def test_recent_errors_and_error_details(audit: Audit, data: Path) -> None:
    errors = audit.ok(data, "recent-errors").splitlines()
    details = audit.ok(data, "error", "bad-1")

    assert errors[0] == "NOT_FOUND  There is nothing at /missing."
    assert errors[2].startswith("GRAPHQL_VALIDATION_FAILED  Cannot query field 'nope'")
    assert errors[3].endswith("anonymous  POST  POST /graphql  (bad-1)")
    assert "Request ID        bad-1" in details
    assert "User Agent        cli-test/1" in details
    assert "IP Address        127.0.0.1" in details
    assert '"password":"[REDACTED]"' in details and "pw-123" not in details
    assert audit(data, "error", "nothing")[0] == 1


def test_top_users_endpoints_and_statistics(audit: Audit, data: Path) -> None:
    users = audit.ok(data, "top-users").splitlines()
    endpoints = audit.ok(data, "top-endpoints", "--all").splitlines()
    user = audit.ok(data, "user", "(anonymous)")
    endpoint = json.loads(audit.ok(data, "endpoint", "query Query.service", "--json"))

    assert re.match(r"\(anonymous\)\s+anonymous\s+5\s+2\s", users[1]), users
    assert [line.split("  ")[0] for line in endpoints[1:]] == [
        "query Query.service",
        "GET (no route)",
        "POST /graphql",
    ]
    assert "Last Activity" in user and "Endpoint Statistics" in user and "Recent Errors" in user
    assert endpoint["by_method"][0]["count"] == 3
    assert endpoint["by_user"][0]["user"] == "(anonymous)"
    assert audit(data, "user", "SG0404")[0] == 1


def test_purge_keeps_what_is_within_the_retention(audit: Audit, data: Path) -> None:
    assert audit.ok(data, "purge", "--older-than-days", "1").startswith("Purged 0 records")
    assert audit.ok(data, "count").strip() == "5"


def test_reading_without_a_database_says_so(audit: Audit, tmp_path: Path) -> None:
    code, _, err = audit(tmp_path / "empty", "search")

    assert code == 1
    assert "there is no database" in err


@pytest.mark.parametrize(
    ("flag", "day"),
    [pytest.param("--from", "9999-12-31", id="from"), pytest.param("--to", "0001-01-01", id="to")],
)
def test_a_date_past_the_calendar_is_refused(audit: Audit, data: Path, flag: str, day: str) -> None:
    code, out, err = audit(data, "search", flag, day)

    assert (code, out) == (2, "")
    assert err.startswith("schoolgraph audit: error: The date range ")
    assert f"on {day}, outside the days a search can name (0001-03-01 to 9999-12-30)." in err


@pytest.mark.parametrize(
    ("args", "refused"),
    [
        pytest.param(["search", "--limit", "99999999999999999999"], "1 to 500", id="search-limit"),
        pytest.param(["search", "--limit", "0"], "1 to 500", id="search-limit-0"),
        pytest.param(
            ["search", "--offset", "99999999999999999999"], "0 to 2147483647", id="search-offset"
        ),
        pytest.param(["search", "--offset", "-1"], "0 to 2147483647", id="search-offset-neg"),
        pytest.param(
            ["recent-errors", "--limit", "99999999999999999999"], "1 to 500", id="recent-errors"
        ),
        pytest.param(["top-users", "--limit", "99999999999999999999"], "1 to 500", id="top-users"),
        pytest.param(["purge", "--older-than-days", "99999999"], "0 to 36500", id="purge-too-long"),
        pytest.param(["purge", "--older-than-days", "-1"], "0 to 36500", id="purge-negative"),
    ],
)
def test_a_number_out_of_range_is_a_usage_error(
    audit: Audit, data: Path, args: list[str], refused: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        audit(data, *args)
    err = audit.capsys.readouterr().err

    assert exited.value.code == 2
    assert f"is not a whole number from {refused}" in err
    assert audit.ok(data, "count").strip() == "5"


def test_a_retention_setting_beyond_purges_bound_is_refused(
    audit: Audit, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def audit_with_retention() -> tuple[int, str, str]:
        monkeypatch.setenv("SCHOOLGRAPH_AUDIT_RETENTION_DAYS", "99999999")
        code = main(["audit", "purge"])
        captured = audit.capsys.readouterr()
        return code, captured.out, captured.err

    audit.ok(data, "count")  # points SCHOOLGRAPH_DATA_DIR at the data

    assert audit_with_retention() == (
        2,
        "",
        "schoolgraph audit: error: SCHOOLGRAPH_AUDIT_RETENTION_DAYS is 99999999; purge keeps "
        "at most 36500 days.\n",
    )


def test_a_message_filter_over_200_characters_is_refused(audit: Audit, data: Path) -> None:
    code, out, err = audit(data, "count", "--message", "x" * 60_000)

    assert (code, out) == (2, "")
    assert err == (
        "schoolgraph audit: error: Error Message is 60000 characters long; at most 200 are "
        "allowed.\n"
    )
    assert audit.ok(data, "count", "--message", "x" * 200).strip() == "0"


@pytest.fixture
async def reused(tmp_path: Path, http: aiohttp.ClientSession) -> Path:
    """A data folder with three requests that sent the same X-Request-Id: a 404, then two
    good queries; the id is echoed as sent every time."""
    folder = tmp_path / "reused"
    app = create_app(Settings(mode=Mode.UPSTREAM, anonymous=True, rate_limit=0, data_dir=folder))
    url, stop, serving = await start_serving(app)
    async with http.get(url / "missing", headers={"X-Request-Id": "dup-1"}) as response:
        assert response.status == 404
    for _ in range(2):
        async with http.post(
            url / "graphql",
            json={"query": "{ service { name } }"},
            headers={"X-Request-Id": "dup-1"},
        ) as response:
            assert response.headers["X-Request-Id"] == "dup-1"
    stop.set()
    await serving
    return folder


def test_a_reused_request_id_never_hides_the_first_record(audit: Audit, reused: Path) -> None:
    first = json.loads(audit.ok(reused, "error", "dup-1", "--json"))
    second = json.loads(audit.ok(reused, "error", "dup-1~2", "--json"))
    third = json.loads(audit.ok(reused, "error", "dup-1~3", "--json"))

    assert (first["request_id"], first["status"], first["path"]) == ("dup-1", 404, "/missing")
    assert (second["request_id"], second["endpoint"]) == ("dup-1~2", "query Query.service")
    assert third["request_id"] == "dup-1~3"


def test_the_grid_shows_the_generic_endpoint(audit: Audit, data: Path) -> None:
    lines = audit.ok(data, "search").splitlines()

    assert re.search(r"  POST    query Query\.service\s+200\s+good-2 ", lines[4]), lines[4]
    assert re.search(r"  GET     GET \(no route\)\s+404\s+lost-1 ", lines[2]), lines[2]


def test_count_and_purge_print_json(audit: Audit, data: Path) -> None:
    count = json.loads(audit.ok(data, "count", "--errors-only", "--json"))
    purge = json.loads(audit.ok(data, "purge", "--older-than-days", "1", "--json"))
    kept = json.loads(audit.ok(data, "purge", "--older-than-days", "0", "--json"))

    assert count == {"count": 2}
    assert (purge["purged"], purge["older_than_days"]) == (0, 1)
    assert purge["before"].endswith("+00:00")
    assert kept == {"before": None, "older_than_days": 0, "purged": 0}
