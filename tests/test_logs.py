"""Log lines: JSON objects off a terminal, readable text on one, structured fields in both."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from schoolgraph.config import LogFormat
from schoolgraph.logs import JsonFormatter, TextFormatter, configure_logging


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def record(message: str = "GET /healthz 200", **extra: object) -> logging.LogRecord:
    log_record = logging.LogRecord(
        "schoolgraph.access", logging.INFO, __file__, 1, message, None, None
    )
    log_record.__dict__.update(extra)
    return log_record


def test_json_lines_carry_the_extra_fields() -> None:
    line = JsonFormatter().format(record(request_id="r1", status=200, elapsed_ms=1.5))

    entry = json.loads(line)
    assert entry["level"] == "info"
    assert entry["logger"] == "schoolgraph.access"
    assert entry["message"] == "GET /healthz 200"
    assert entry["request_id"] == "r1"
    assert entry["status"] == 200
    assert entry["elapsed_ms"] == 1.5
    assert entry["time"].endswith("+00:00")


def test_json_lines_hold_the_traceback_in_one_field() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log_record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
        log_record.exc_info = sys.exc_info()

    line = JsonFormatter().format(log_record)

    assert "\n" not in line
    assert "RuntimeError: boom" in json.loads(line)["exception"]


def test_text_lines_append_extra_fields_as_key_value() -> None:
    line = TextFormatter().format(record(request_id="r1", status=200))

    assert line.endswith("INFO schoolgraph.access: GET /healthz 200 request_id=r1 status=200")


@pytest.mark.parametrize(
    ("log_format", "stream", "is_json"),
    [
        (LogFormat.AUTO, io.StringIO(), True),
        (LogFormat.AUTO, Terminal(), False),
        (LogFormat.JSON, Terminal(), True),
        (LogFormat.TEXT, io.StringIO(), False),
    ],
    ids=["auto-pipe", "auto-tty", "json-tty", "text-pipe"],
)
def test_configure_logging_picks_the_format(
    log_format: LogFormat, stream: io.StringIO, is_json: bool
) -> None:
    configure_logging("info", log_format, stream)

    logging.getLogger("schoolgraph.test").info("hello", extra={"request_id": "r9"})
    logging.getLogger("schoolgraph.test").debug("hidden")

    output = stream.getvalue()
    assert "hidden" not in output
    if is_json:
        assert json.loads(output)["request_id"] == "r9"
    else:
        assert output.rstrip().endswith("schoolgraph.test: hello request_id=r9")
