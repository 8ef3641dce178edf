"""The ``schoolgraph`` command line, run as a real subprocess with this interpreter."""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from schoolgraph import __version__
from schoolgraph.graph.schema import export_sdl

SCRATCH = Path(tempfile.mkdtemp(prefix="schoolgraph-test-cli-"))
"""The data folder of the commands run here (accounts database, outbox), not the home one:
one per test run, so runs from other checkouts never share an accounts database; removed when
the run ends."""
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)


def clean_env(**variables: str) -> dict[str, str]:
    """This process's environment without any SCHOOLGRAPH_* variable, plus ``variables``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHOOLGRAPH_")}
    return env | {"SCHOOLGRAPH_DATA_DIR": str(SCRATCH)} | variables


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schoolgraph", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(**env),
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert text in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], ["serve", "export-schema", "--version"], id="schoolgraph"),
        pytest.param(["serve"], ["--host", "--port", "SIGTERM"], id="serve"),
        pytest.param(["export-schema"], ["--output PATH", "stdout"], id="export-schema"),
        pytest.param(["simulate"], ["--scale", "--seed", "--tanda-port", "--json"], id="simulate"),
    ],
)
def test_every_command_has_help(args: list[str], expected: list[str]) -> None:
    result = run_cli(*args, "--help")

    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: schoolgraph {' '.join(args)}".rstrip())
    for text in expected:
        assert text in result.stdout


def test_version_prints_the_package_version() -> None:
    result = run_cli("--version")

    assert result.returncode == 0
    assert result.stdout == f"schoolgraph {__version__}\n"


def test_export_schema_prints_the_sdl_to_stdout() -> None:
    result = run_cli("export-schema")

    assert result.returncode == 0
    assert result.stdout == export_sdl()
    assert "type Query {" in result.stdout


def test_export_schema_writes_the_sdl_to_a_file(tmp_path: Path) -> None:
    output = tmp_path / "nested" / "schema.graphql"

    result = run_cli("export-schema", "--output", str(output))

    assert result.returncode == 0
    assert result.stdout == ""
    assert output.read_text(encoding="utf-8") == export_sdl()


def test_export_schema_to_an_unwritable_path_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory", encoding="utf-8")

    result = run_cli("export-schema", "--output", str(tmp_path / "file" / "schema.graphql"))

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "schoolgraph export-schema: error: cannot write" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "text"),
    [
        pytest.param(
            ["export-schema", "--bogus"],
            "schoolgraph: error: unrecognized arguments: --bogus (see 'schoolgraph --help').",
            id="flag",
        ),
        pytest.param(["serve", "--bogus"], "unrecognized arguments: --bogus", id="serve-flag"),
        pytest.param([], "the following arguments are required: command", id="no-command"),
        pytest.param(["frobnicate"], "invalid choice: 'frobnicate'", id="unknown-command"),
        pytest.param(
            ["serve", "--port", "abc"],
            "schoolgraph: error: --port must be an integer between 0 and 65535, got 'abc'.",
            id="bad-port",
        ),
        pytest.param(
            ["simulate", "--scale", "huge"], "invalid choice: 'huge'", id="simulate-scale"
        ),
        pytest.param(
            ["simulate", "--tass-port", "x"],
            "--tass-port must be an integer between 0 and 65535, got 'x'.",
            id="simulate-port",
        ),
        pytest.param(["simulate", "--seed", "x"], "--seed must be an integer", id="simulate-seed"),
        pytest.param(
            ["serve", "--port", "70000"],
            "--port must be an integer between 0 and 65535, got '70000'.",
            id="port-out-of-range",
        ),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args: list[str], text: str) -> None:
    assert_one_line_error(run_cli(*args), text)


def test_bad_configuration_names_the_key_and_exits_2() -> None:
    result = run_cli("serve", SCHOOLGRAPH_PORT="abc")

    assert_one_line_error(
        result,
        "schoolgraph: error: SCHOOLGRAPH_PORT must be an integer between 0 and 65535, got 'abc'.",
    )


async def start_serve(*args: str, **env: str) -> tuple[asyncio.subprocess.Process, URL]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schoolgraph",
        "serve",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(**env),
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
    prefix = f"schoolgraph {__version__} serving GraphiQL at "
    assert line.startswith(prefix), line
    return process, URL(line.removeprefix(prefix).strip())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_serve_answers_then_stops_cleanly_on_a_signal(signum: signal.Signals) -> None:
    process, url = await start_serve("--port", "0", SCHOOLGRAPH_LOG_FORMAT="json")
    try:
        assert url.host == "127.0.0.1"
        assert url.path == "/graphql"
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json={"query": "{ service { name } }"}) as response,
        ):
            assert await response.json() == {"data": {"service": {"name": "schoolgraph"}}}
        process.send_signal(signum)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0
    lines = [json.loads(line) for line in stderr.decode().splitlines()]
    messages = [line["message"] for line in lines]
    assert f"Received {signum.name}; shutting down gracefully." in messages
    assert messages[-1] == "Gateway stopped."
    [access] = [line for line in lines if line["logger"] == "schoolgraph.access"]
    assert access["method"] == "POST"
    assert access["status"] == 200
    assert "Traceback" not in stderr.decode()


@pytest.mark.parametrize("where", ["a port in use", "a host that does not resolve"])
def test_serve_that_cannot_listen_says_only_that(where: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        host, port = taken.getsockname()
        if where == "a host that does not resolve":
            host, port = "999.1.1.1", 8000
        result = run_cli("serve", SCHOOLGRAPH_HOST=host, SCHOOLGRAPH_PORT=str(port))

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"schoolgraph serve: error: cannot listen on {host}:{port}: ")
    assert result.stderr.count("\n") == 1, "nothing started, so nothing says it started or stopped"


async def test_serve_flags_override_the_environment() -> None:
    process, url = await start_serve(
        "--host", "127.0.0.1", "--port", "0", SCHOOLGRAPH_HOST="localhost", SCHOOLGRAPH_PORT="1"
    )
    try:
        assert url.host == "127.0.0.1"
        assert url.port != 1
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0


async def test_simulate_json_prints_working_urls_and_credentials_first() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schoolgraph",
        "simulate",
        "--json",
        "--scale",
        "small",
        "--tanda-port",
        "0",
        "--xporter-port",
        "0",
        "--tass-port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(),
    )
    assert process.stdout is not None
    try:
        first = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        described = json.loads(first)
        tanda, xporter, tass = described["tanda"], described["xporter"], described["tass"]
        async with aiohttp.ClientSession() as http:
            admin = tanda["admin"]
            async with http.post(
                tanda["token_url"],
                json={
                    "username": admin["email"],
                    "password": admin["password"],
                    "scope": "me",
                    "grant_type": "password",
                },
            ) as response:
                assert response.status == 200
                assert (await response.json())["access_token"]
            school = xporter["schools"][0]
            async with http.post(
                xporter["token_url"],
                json={
                    "estab": school["estab"],
                    "relyingParty": xporter["relying_party"],
                    "password": school["secret"],
                    "thirdpartyid": xporter["third_party_id"],
                },
            ) as response:
                assert response.status == 200
                assert (await response.json())["token"]
            async with http.post(
                f"{tass['url']}/api/users",
                json={
                    "clientKey": tass["client_key"],
                    "clientSecret": tass["client_secret"],
                },
            ) as response:
                assert response.status == 200
                body = await response.json()
        assert [c["cmpy_code"] for c in body["allowed_companies"]] == [
            c["code"] for c in tass["companies"]
        ]
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert "Traceback" not in stderr.decode()
