"""A school administrator's CLI, run as real subprocesses against the database a served
gateway reads: create, grant, key, and the partner gets exactly that."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from schoolgraph.accounts.models import (
    ACTION_GENERATED,
    ACTION_VERIFIED,
    STATUS_ACCESSED,
    STATUS_PENDING,
)
from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.domain.refs import System, entity_id
from schoolgraph.simulators.dataset import school_codes
from tests.accounts.harness import PASSPHRASE
from tests.conftest import Serve
from tests.test_cli import clean_env, start_serve


def cli(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schoolgraph", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        # The demo world these tests' gateways serve: the CLI checks schools against it.
        env=clean_env(SCHOOLGRAPH_DATA_DIR=str(data), SCHOOLGRAPH_DEMO_SCALE="small"),
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        pytest.param("accounts", ["create", "list", "show", "update", "disable"], id="accounts"),
        pytest.param("keys", ["generate", "status", "delete"], id="keys"),
        pytest.param("grants", ["list", "set", "remove", "types"], id="grants"),
    ],
)
def test_the_admin_commands_have_help(tmp_path: Path, command: str, expected: list[str]) -> None:
    out = ok(cli(tmp_path, command, "--help"))

    for action in expected:
        assert action in out


async def test_an_administrator_provisions_a_partner_with_the_cli(
    tmp_path: Path, serve: Serve, http: aiohttp.ClientSession
) -> None:
    data = tmp_path / "data"
    code = ok(
        cli(
            data,
            "accounts",
            "create",
            "--name",
            "Acme Timetables",
            "--contact-name",
            "Ann Lee",
            "--contact-email",
            "ann@acme.example",
            "--purpose",
            "Timetabling",
            "--school",
            "xporter:7109606=Ashford Oaks Academy",
        )
    ).strip()
    granted = ok(
        cli(data, "grants", "set", code, "School", "Student", "--read", "--role", "student-records")
    )
    narrowed = ok(
        cli(
            data,
            "grants",
            "set",
            code,
            "Student",
            "--read",
            "--read-fields",
            "id,forename,surname",
            "--role",
            "student-records",
        )
    )
    generated = ok(
        cli(data, "keys", "generate", code, "--expiry-hours", "6", stdin=PASSPHRASE + "\n")
    )

    assert code == "SG0001"
    assert "ALERT" not in granted and "Student" in granted and "School" in granted
    assert "Custom: forename,id,surname" in narrowed
    assert STATUS_PENDING in generated
    assert "Subject: schoolgraph API User Registration" in generated
    assert "Ashford Oaks Academy" in generated
    assert PASSPHRASE not in generated
    assert list((data / "outbox").glob("*.eml"))

    # The gateway reads the same database; the partner follows the emailed link.
    gateway = await serve(create_app(Settings(demo_scale="small", anonymous=False, data_dir=data)))
    link = re.search(r"Link: \S+/keys\?link=(\S+)", generated)
    assert link is not None
    page = (gateway / "keys").with_query(link=link.group(1))
    async with http.post(page, json={"passphrase": PASSPHRASE}) as response:
        shown = await response.json()
        assert response.status == 200, shown
    async with http.post(gateway / "auth" / "token", json=shown) as response:
        token = (await response.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    async def ask(query: str, status: int = 200) -> dict[str, object]:
        async with http.post(
            gateway / "graphql", json={"query": query}, headers=headers
        ) as response:
            body: dict[str, object] = await response.json()
            assert response.status == status, body
            return body

    assert await ask("{ schools { name } }") == {
        "data": {"schools": [{"name": "Ashford Oaks Academy"}]}
    }
    refused = await ask("{ students(first: 1) { nodes { dateOfBirth } } }")
    assert refused["errors"][0]["extensions"]["field"] == "Student.dateOfBirth"  # type: ignore[index]

    status = ok(cli(data, "keys", "status", code))
    assert status.startswith(STATUS_ACCESSED)
    assert ACTION_GENERATED in status and ACTION_VERIFIED in status
    shown_account = ok(cli(data, "accounts", "show", code))
    assert "Acme Timetables" in shown_account and "xporter:7109606" in shown_account
    assert code in ok(cli(data, "accounts", "list"))

    ok(cli(data, "accounts", "disable", code))
    await ask("{ schools { name } }", status=401)
    changes = ok(cli(data, "accounts", "changes", code))
    newest = changes.splitlines()[0]
    assert "account disabled" in newest and "cli:" in newest


@pytest.mark.parametrize(
    ("args", "stdin", "code", "text"),
    [
        pytest.param(
            ["keys", "generate", "SG0001", "--expiry-hours", "6"],
            "too short\n",
            2,
            "enter a passphrase with a minimum of 15 characters",
            id="short-passphrase",
        ),
        pytest.param(
            ["grants", "set", "SG0001", "Shoe", "--read"],
            None,
            2,
            "'Shoe' is not a type that can be granted",
            id="unknown-type",
        ),
        pytest.param(
            ["accounts", "show", "SG0404"], None, 1, "No account has the code 'SG0404'.", id="404"
        ),
        pytest.param(
            ["accounts", "update", "SG0001", "--add-school", "moodle:1"],
            None,
            2,
            "'moodle:1' is not a school",
            id="bad-school",
        ),
    ],
)
def test_mistakes_are_one_line(
    tmp_path: Path, args: list[str], stdin: str | None, code: int, text: str
) -> None:
    ok(
        cli(
            tmp_path,
            "accounts",
            "create",
            "--name",
            "A",
            "--contact-name",
            "B",
            "--contact-email",
            "b@example.org",
        )
    )

    result = cli(tmp_path, *args, stdin=stdin)

    assert result.returncode == code
    assert result.stderr.count("\n") == 1, result.stderr
    assert text in result.stderr
    assert "Traceback" not in result.stderr


async def test_the_demo_banner_says_anonymous_access_is_on() -> None:
    process, _ = await start_serve("--port", "0")
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("access:"):
            line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
            assert line, lines
            lines.append(line.decode())
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=30)

    assert lines[-1].startswith("access: ANONYMOUS ACCESS IS ON")
    assert "SCHOOLGRAPH_ANONYMOUS=false requires tokens" in lines[-1]


@pytest.mark.parametrize("limit", ["0", "-1", "99999999999999999999"])
def test_changes_refuses_a_limit_out_of_range(tmp_path: Path, limit: str) -> None:
    result = cli(tmp_path, "accounts", "changes", "--limit", limit)

    assert (result.returncode, result.stdout) == (2, "")
    assert f"argument --limit: {limit!r} is not a whole number from 1 to 1000" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_school_the_gateway_does_not_serve_is_warned_of(tmp_path: Path) -> None:
    """The change is made (the school may be configured later), but the administrator is told
    that the account will see nothing of it, and which schools the gateway does serve."""
    create = [
        "accounts", "create", "--name", "Acme", "--contact-name", "Ann Lee",
        "--contact-email", "ann@acme.example", "--purpose", "Timetabling",
    ]  # fmt: skip
    served = [entity_id(System(s), code) for s, code in school_codes(7, "small")]

    made = cli(tmp_path, *create, "--school", "xporter:1234567=Nowhere", "--school", served[0])
    added = cli(tmp_path, "accounts", "update", "SG0001", "--add-school", "tass:99")
    fine = cli(tmp_path, "accounts", "update", "SG0001", "--add-school", served[2])

    assert made.returncode == 0 and made.stdout.strip() == "SG0001"
    assert made.stderr == (
        "schoolgraph accounts create: warning: xporter:1234567 is not a school this gateway "
        f"serves ({', '.join([*served, 'tanda'])}); the account sees nothing of it until it is.\n"
    )
    assert added.returncode == 0 and "warning: tass:99 is not a school" in added.stderr
    assert "tass:99" in added.stdout  # added all the same
    assert ok(fine)
