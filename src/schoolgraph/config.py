"""Settings: read once from ``SCHOOLGRAPH_*`` environment variables, overridden by CLI flags.

This module never reads ``os.environ`` itself: the caller passes the environment in, so a
test can pass a plain dict.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from schoolgraph.errors import ConfigError

__all__ = [
    "ENV_PREFIX",
    "VARIABLES",
    "LogFormat",
    "Mode",
    "Settings",
    "UpstreamKind",
    "UpstreamSettings",
    "Variable",
    "load_settings",
    "parse_host",
    "parse_port",
]

ENV_PREFIX = "SCHOOLGRAPH_"


class Mode(StrEnum):
    """Where the gateway gets its data."""

    DEMO = "demo"
    """From simulators embedded in the process."""
    UPSTREAM = "upstream"
    """From the real upstream APIs."""


class LogFormat(StrEnum):
    """How log lines are written to stderr."""

    AUTO = "auto"
    """Text on a terminal, JSON lines otherwise."""
    JSON = "json"
    TEXT = "text"


class UpstreamKind(StrEnum):
    """The upstream REST APIs schoolgraph knows how to talk to."""

    TANDA = "tanda"
    XPORTER = "xporter"
    TASS = "tass"


@dataclass(frozen=True, slots=True)
class UpstreamSettings:
    """One upstream API the gateway reads from."""

    name: str
    kind: UpstreamKind
    base_url: str | None = None
    """None until an issue wires this upstream's client and its setting."""


DEFAULT_UPSTREAMS = (
    UpstreamSettings(name="Tanda", kind=UpstreamKind.TANDA),
    UpstreamSettings(name="Xporter on Demand", kind=UpstreamKind.XPORTER),
    UpstreamSettings(name="TASS", kind=UpstreamKind.TASS),
)

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway is configured with; built by :func:`load_settings`."""

    host: str = "127.0.0.1"
    port: int = 8000
    mode: Mode = Mode.DEMO
    log_level: str = "info"
    log_format: LogFormat = LogFormat.AUTO
    shutdown_timeout: float = 10.0
    max_body_bytes: int = 1_048_576
    introspection: bool = True
    upstreams: tuple[UpstreamSettings, ...] = DEFAULT_UPSTREAMS


def parse_host(key: str, raw: str) -> str:
    """Parse a host name or IP address to bind.

    Raises:
        ConfigError: naming ``key`` and ``raw`` when it is empty or holds whitespace.
    """
    host = raw.strip()
    if not host or any(ch.isspace() for ch in host):
        raise ConfigError(f"{key} must be a host name or IP address, got {raw!r}.")
    return host


def parse_port(key: str, raw: str) -> int:
    """Parse a TCP port (0 asks the system for a free one).

    Raises:
        ConfigError: naming ``key`` and ``raw`` when it is not an integer from 0 to 65535.
    """
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ConfigError(f"{key} must be an integer between 0 and 65535, got {raw!r}.")
    return port


def _parse_mode(key: str, raw: str) -> Mode:
    try:
        return Mode(raw.strip().lower())
    except ValueError:
        choices = ", ".join(mode.value for mode in Mode)
        raise ConfigError(f"{key} must be one of {choices}, got {raw!r}.") from None


def _parse_log_level(key: str, raw: str) -> str:
    level = raw.strip().lower()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{key} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}.")
    return level


def _parse_log_format(key: str, raw: str) -> LogFormat:
    try:
        return LogFormat(raw.strip().lower())
    except ValueError:
        choices = ", ".join(fmt.value for fmt in LogFormat)
        raise ConfigError(f"{key} must be one of {choices}, got {raw!r}.") from None


def _parse_seconds(key: str, raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    # float() accepts "nan" and "inf"; neither is a usable timeout.
    if not 0 <= seconds < float("inf"):
        raise ConfigError(f"{key} must be a number of seconds, 0 or more, got {raw!r}.")
    return seconds


def _parse_byte_count(key: str, raw: str) -> int:
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if count < 1:
        raise ConfigError(f"{key} must be a whole number of bytes, 1 or more, got {raw!r}.")
    return count


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _parse_bool(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{key} must be one of {', '.join(_TRUE + _FALSE)}, got {raw!r}.")


@dataclass(frozen=True, slots=True)
class Variable:
    """One ``SCHOOLGRAPH_*`` environment variable and the setting it fills."""

    field: str
    parse: Callable[[str, str], object]
    description: str

    @property
    def key(self) -> str:
        return ENV_PREFIX + self.field.upper()

    @property
    def default(self) -> object:
        default: object = Settings.__dataclass_fields__[self.field].default
        return default


VARIABLES: tuple[Variable, ...] = (
    Variable("host", parse_host, "Address `serve` listens on."),
    Variable("port", parse_port, "TCP port `serve` listens on; 0 picks a free one."),
    Variable(
        "mode",
        _parse_mode,
        "`demo` (embedded simulators) or `upstream` (the real APIs). Only reported as "
        "`service.mode` so far: neither is wired to data yet.",
    ),
    Variable("log_level", _parse_log_level, "One of debug, info, warning, error, critical."),
    Variable(
        "log_format",
        _parse_log_format,
        "`auto` (text on a terminal, JSON lines otherwise), `json` or `text`.",
    ),
    Variable(
        "shutdown_timeout",
        _parse_seconds,
        "Seconds in-flight requests get to finish after SIGINT or SIGTERM.",
    ),
    Variable("max_body_bytes", _parse_byte_count, "Largest request body accepted, in bytes."),
    Variable(
        "introspection",
        _parse_bool,
        "Allow introspection queries and serve GraphiQL (`true`/`false`).",
    ),
)


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Build the settings from ``SCHOOLGRAPH_*`` variables, then apply ``overrides``.

    Args:
        environ: The environment, usually ``os.environ``; only ``SCHOOLGRAPH_*`` keys are read.
        **overrides: Already-parsed setting values (from CLI flags) that win over the
            environment. ``None`` means "not given" and leaves the setting alone.

    Raises:
        ConfigError: A variable is unknown or its value is invalid; the message names the key.
    """
    by_key = {variable.key: variable for variable in VARIABLES}
    unknown = sorted(key for key in environ if key.startswith(ENV_PREFIX) and key not in by_key)
    if unknown:
        known = ", ".join(by_key)
        raise ConfigError(
            f"{unknown[0]} is not a schoolgraph setting; the known variables are {known}."
        )

    values: dict[str, Any] = {
        variable.field: variable.parse(variable.key, environ[variable.key])
        for variable in VARIABLES
        if variable.key in environ
    }

    fields = {field.name for field in dataclasses.fields(Settings)}
    for name, value in overrides.items():
        if name not in fields:
            raise TypeError(f"load_settings() got an override for unknown setting {name!r}.")
        if value is not None:
            values[name] = value
    return Settings(**values)
