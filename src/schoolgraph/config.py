"""Settings: read once from ``SCHOOLGRAPH_*`` environment variables, overridden by CLI flags.

This module never reads ``os.environ`` itself: the caller passes the environment in, so a
test can pass a plain dict. It reads files only where a variable names one: every secret
variable ``X`` may instead be given as ``X_FILE``, the path of a file holding the value (the
convention of Docker and Kubernetes secrets), so that secrets need not sit in the
environment of the process.

An upstream is configured when its URL variable is set; its other variables are then checked
together, and any of them set without the URL is an error. ``SCHOOLGRAPH_MODE`` defaults to
``demo`` (simulators started in-process) when no upstream URL is set, else to ``upstream``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schoolgraph.allocator import DEFAULT_ARENAS
from schoolgraph.collector import DEFAULT_THRESHOLD
from schoolgraph.errors import ConfigError

__all__ = [
    "DEMO_SCALES",
    "ENV_PREFIX",
    "FILE_SUFFIX",
    "IDENTITY_KEYS",
    "UNSET",
    "VARIABLES",
    "DemoScale",
    "IdentityKey",
    "LogFormat",
    "Mode",
    "Secret",
    "Settings",
    "SmtpTls",
    "TandaSettings",
    "TassApi",
    "TassCompanySettings",
    "TassSettings",
    "UpstreamKind",
    "UpstreamSettings",
    "Variable",
    "XporterSchoolSettings",
    "XporterSettings",
    "load_settings",
    "parse_host",
    "parse_port",
]

ENV_PREFIX = "SCHOOLGRAPH_"
FILE_SUFFIX = "_FILE"

DemoScale = Literal["small", "demo", "large"]
DEMO_SCALES: tuple[DemoScale, ...] = get_args(DemoScale)
IdentityKey = Literal["staff_code", "payroll_number"]
IDENTITY_KEYS: tuple[IdentityKey, ...] = get_args(IdentityKey)
TassApi = Literal["2026", "legacy"]
_TASS_APIS: tuple[TassApi, ...] = get_args(TassApi)
SmtpTls = Literal["starttls", "tls", "none"]
_SMTP_TLS: tuple[SmtpTls, ...] = get_args(SmtpTls)


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


class Secret:
    """A credential: compared by value, never shown by ``repr`` or ``str``.

    ``reveal()`` is the one way to the value, for the code that sends it upstream.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# --------------------------------------------------------------------------- upstreams


@dataclass(frozen=True, slots=True)
class TandaSettings:
    """Tanda (Workforce.com): its base URL and one OAuth grant.

    Either ``email`` and ``password`` (the password grant), or ``client_id``,
    ``client_secret``, ``redirect_uri`` and ``refresh_token`` (the authorization-code grant,
    resumed from a stored refresh token). Refresh tokens rotate on every refresh; with
    ``refresh_token_file`` the newest one is written back there so a restart can resume.
    """

    base_url: str
    email: str | None = None
    password: Secret | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    redirect_uri: str | None = None
    refresh_token: Secret | None = None
    refresh_token_file: Path | None = None
    organisation_id: int | None = None

    @property
    def grant(self) -> Literal["password", "authorization_code"]:
        return "password" if self.password is not None else "authorization_code"


@dataclass(frozen=True, slots=True)
class XporterSchoolSettings:
    """One school that authorised our Xporter app: its estab and its school secret."""

    estab: str
    secret: Secret


@dataclass(frozen=True, slots=True)
class XporterSettings:
    """Xporter on Demand (Groupcall): the API, its STS token URL, our app and its schools."""

    base_url: str
    relying_party: str
    schools: tuple[XporterSchoolSettings, ...]
    token_url: str | None = None
    """None: ``{base_url}/idaas/sts/STS/GetToken`` (the simulator's; the real STS differs)."""
    time_zone: str = "Europe/London"


@dataclass(frozen=True, slots=True)
class TassCompanySettings:
    """One TASS company (school) and the API it is read through."""

    code: str
    api: TassApi = "2026"


@dataclass(frozen=True, slots=True)
class TassSettings:
    """TASS: the school's host, its companies, and the credentials of the APIs they use."""

    base_url: str
    companies: tuple[TassCompanySettings, ...]
    client_key: Secret | None = None
    client_secret: Secret | None = None
    legacy_appcode: str | None = None
    legacy_token_key: Secret | None = None
    legacy_version: Literal["2", "3"] = "3"
    time_zone: str = "Australia/Brisbane"


@dataclass(frozen=True, slots=True)
class UpstreamSettings:
    """One upstream API as ``service.upstreams`` reports it."""

    name: str
    kind: UpstreamKind
    base_url: str | None = None
    """None when this upstream is not configured."""


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway is configured with; built by :func:`load_settings`.

    ``Settings()`` is the demo: the runtime starts the simulators and points the clients at
    them. ``Settings(mode=Mode.UPSTREAM)`` with no upstream is a gateway with no data
    (:func:`load_settings` refuses that combination; tests of the HTTP layer use it).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    mode: Mode = Mode.DEMO
    log_level: str = "info"
    log_format: LogFormat = LogFormat.AUTO
    shutdown_timeout: float = 10.0
    max_body_bytes: int = 1_048_576
    introspection: bool = True
    request_timeout: float = 30.0
    max_query_depth: int = 15
    max_query_aliases: int = 30
    max_query_tokens: int = 2000
    max_query_cost: int = 200_000
    persisted_queries: bool = True
    persisted_queries_max_bytes: int = 16_777_216
    allow_list_file: Path | None = None
    """Allow-list mode: the only operations run are this file's; None runs any operation."""
    rate_limit: int = 600
    """Requests a minute per account (or client address); 0 turns rate limiting off."""
    rate_limit_burst: int = 60
    metrics_token: Secret | None = None
    """The bearer token ``/metrics`` asks for; None: only loopback clients may read it."""
    otel_enabled: bool = False
    """Trace requests and upstream calls with OpenTelemetry (the ``otel`` extra)."""
    ready_requires: tuple[UpstreamKind, ...] | None = None
    """The upstreams ``/readyz`` fails without; None: every configured one."""
    tanda: TandaSettings | None = None
    xporter: XporterSettings | None = None
    tass: TassSettings | None = None
    identity_keys: tuple[IdentityKey, ...] = ("staff_code", "payroll_number")
    identity_email: bool = True
    cache_max_bytes: int = 268_435_456
    cache_max_entries: int = 20_000
    cache_stale_seconds: float = 3600.0
    cache_refresh_ahead: float = 0.25
    """The last fraction of an upstream cache entry's freshness in which a read also
    revalidates it in the background (0: never)."""
    answer_cache: bool = True
    """Keep whole answers while the upstream entries they were built from hold."""
    answer_cache_max_bytes: int = 67_108_864
    max_concurrent_operations: int = 4
    """Operations executed at once; more wait their turn (answers from the answer cache do
    not wait)."""
    gc_threshold: int = DEFAULT_THRESHOLD
    """``schoolgraph serve`` freezes what start-up allocated and runs the young garbage
    collection every this many allocations (Python's default is 700); 0 leaves the collector
    alone (`schoolgraph.collector`)."""
    malloc_arenas: int = DEFAULT_ARENAS
    """``schoolgraph serve`` lets glibc's malloc use at most this many arenas; 0 leaves
    glibc's default, eight per CPU (`schoolgraph.allocator`)."""
    demo_scale: DemoScale = "demo"
    demo_seed: int = 7
    data_dir: Path | None = None
    """The accounts database and the local outbox live here; None keeps both in memory (the
    ``schoolgraph`` commands fill in ``~/.local/share/schoolgraph``)."""
    db_path: Path | None = None
    """The accounts database; None: ``<data_dir>/accounts.sqlite3``."""
    token_ttl: float = 900.0
    anonymous: bool | None = None
    """Whether requests without a token are served, with every grant; None: in demo mode only."""
    cursor_secret: Secret | None = None
    """What connection cursors are sealed with (``schoolgraph.graph.cursors``); None: a random
    key per process."""
    public_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: SmtpTls = "starttls"
    smtp_username: str | None = None
    smtp_password: Secret | None = None
    smtp_from: str = "noreply@school.edu.au"
    audit: bool = True
    """Record every request in the audit log (see :mod:`schoolgraph.audit`)."""
    audit_retention_days: int = 90
    """Audit records older than this many days are purged; 0 keeps them for ever."""
    audit_buffer_size: int = 10_000
    """Audit records held in memory before requests wait for them to be written."""
    audit_flush_interval: float = 1.0
    """Seconds between writes of the buffered audit records."""
    live_updates: bool = True
    """Serve GraphQL subscriptions, fed by Tanda webhooks and per-school pollers."""
    live_poll_interval: float = 30.0
    """Seconds between two change polls of one Xporter school or TASS company."""
    live_poll_jitter: float = 5.0
    """Up to this many seconds are added to each poll's wait, at random."""
    live_queue_size: int = 100
    """Events one subscription holds for a slow client before the oldest are dropped."""
    live_webhook_secret: Secret | None = None
    """The secret Tanda signs webhooks with; None: generated in demo mode, else refused."""

    @property
    def anonymous_allowed(self) -> bool:
        """Whether a GraphQL request without a token is served (with every grant)."""
        return self.mode is Mode.DEMO if self.anonymous is None else self.anonymous

    @property
    def accounts_db(self) -> Path | None:
        """The accounts database file; None for an in-memory one."""
        if self.db_path is not None:
            return self.db_path
        return None if self.data_dir is None else self.data_dir / "accounts.sqlite3"

    @property
    def link_base_url(self) -> str:
        """The base of the links schoolgraph emails (key-share links)."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def upstreams(self) -> tuple[UpstreamSettings, ...]:
        """The three upstreams, each with its base URL when configured."""
        return (
            UpstreamSettings(
                "Tanda", UpstreamKind.TANDA, self.tanda.base_url if self.tanda else None
            ),
            UpstreamSettings(
                "Xporter on Demand",
                UpstreamKind.XPORTER,
                self.xporter.base_url if self.xporter else None,
            ),
            UpstreamSettings("TASS", UpstreamKind.TASS, self.tass.base_url if self.tass else None),
        )


# --------------------------------------------------------------------------- parsers


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


def _choice(key: str, raw: str, choices: tuple[str, ...]) -> str:
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{key} must be one of {', '.join(choices)}, got {raw!r}.")
    return value


def _parse_mode(key: str, raw: str) -> Mode:
    return Mode(_choice(key, raw, tuple(mode.value for mode in Mode)))


def _parse_log_level(key: str, raw: str) -> str:
    return _choice(key, raw, LOG_LEVELS)


def _parse_log_format(key: str, raw: str) -> LogFormat:
    return LogFormat(_choice(key, raw, tuple(fmt.value for fmt in LogFormat)))


def _parse_demo_scale(key: str, raw: str) -> str:
    return _choice(key, raw, DEMO_SCALES)


def _parse_seconds(key: str, raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    # float() accepts "nan" and "inf"; neither is a usable duration.
    if not 0 <= seconds < float("inf"):
        raise ConfigError(f"{key} must be a number of seconds, 0 or more, got {raw!r}.")
    return seconds


def _parse_fraction(key: str, raw: str) -> float:
    try:
        fraction = float(raw)
    except ValueError:
        fraction = -1.0
    if not 0 <= fraction < 1:  # also refuses "nan"
        raise ConfigError(f"{key} must be a number from 0 up to (not including) 1, got {raw!r}.")
    return fraction


def _parse_positive(key: str, raw: str, unit: str) -> int:
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if count < 1:
        raise ConfigError(f"{key} must be a whole number of {unit}, 1 or more, got {raw!r}.")
    return count


def _parse_byte_count(key: str, raw: str) -> int:
    return _parse_positive(key, raw, "bytes")


def _parse_count(key: str, raw: str, unit: str) -> int:
    try:
        count = int(raw)
    except ValueError:
        count = -1
    if count < 0:
        raise ConfigError(f"{key} must be a whole number of {unit}, 0 or more, got {raw!r}.")
    return count


def _parse_entry_count(key: str, raw: str) -> int:
    return _parse_count(key, raw, "entries")


def _parse_integer(key: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be an integer, got {raw!r}.") from None


def _parse_id(key: str, raw: str) -> int:
    value = raw.strip()
    if not re.fullmatch(r"[0-9]+", value) or int(value) < 1:
        raise ConfigError(f"{key} must be a positive whole number (an id), got {raw!r}.")
    return int(value)


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _parse_bool(key: str, raw: str) -> bool:
    return _choice(key, raw, _TRUE + _FALSE) in _TRUE


def _parse_url(key: str, raw: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(f"{key} must be an http:// or https:// URL without a query, got {raw!r}.")
    return url


def _parse_text(key: str, raw: str) -> str:
    text = raw.strip()
    if not text:
        raise ConfigError(f"{key} is empty; give it a value or unset it.")
    return text


def _parse_email(key: str, raw: str) -> str:
    email = raw.strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        raise ConfigError(f"{key} must be an email address, got {raw!r}.")
    return email


def _parse_secret(key: str, raw: str) -> Secret:
    # The value never appears in a message: a malformed secret is still a secret.
    value = raw.strip()
    if not value:
        raise ConfigError(f"{key} is empty; give it the secret or unset it.")
    return Secret(value)


def _parse_time_zone(key: str, raw: str) -> str:
    zone = raw.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{key} must be an IANA time zone such as Europe/London, got {raw!r}."
        ) from None
    return zone


def _parse_path(key: str, raw: str) -> Path:
    text = raw.strip()
    if not text:
        raise ConfigError(f"{key} is empty; give it a path or unset it.")
    return Path(text).expanduser()


def _parse_rate(key: str, raw: str) -> int:
    try:
        rate = int(raw)
    except ValueError:
        rate = -1
    if rate < 0:
        raise ConfigError(
            f"{key} must be a whole number of requests a minute, 0 (off) or more, got {raw!r}."
        )
    return rate


def _parse_positive_seconds(key: str, raw: str) -> float:
    seconds = _parse_seconds(key, raw)
    if seconds <= 0:
        raise ConfigError(f"{key} must be a number of seconds above 0, got {raw!r}.")
    return seconds


def _parse_smtp_tls(key: str, raw: str) -> str:
    return _choice(key, raw, _SMTP_TLS)


def _entries(raw: str) -> list[str]:
    """Comma- or line-separated entries, so a ``_FILE`` may hold one per line."""
    return [entry.strip() for entry in re.split(r"[,\n]", raw) if entry.strip()]


def _parse_upstream_kinds(key: str, raw: str) -> tuple[UpstreamKind, ...]:
    kinds: list[UpstreamKind] = []
    for entry in _entries(raw):
        kind = UpstreamKind(_choice(key, entry, tuple(kind.value for kind in UpstreamKind)))
        if kind in kinds:
            raise ConfigError(f"{key} names {kind.value} twice.")
        kinds.append(kind)
    return tuple(kinds)


def _parse_identity_keys(key: str, raw: str) -> tuple[IdentityKey, ...]:
    keys: list[IdentityKey] = []
    for entry in _entries(raw):
        name = _choice(key, entry, IDENTITY_KEYS)
        if name in keys:
            raise ConfigError(f"{key} names {name} twice.")
        keys.append(name)  # type: ignore[arg-type]  # _choice checked it is an IdentityKey
    return tuple(keys)


_ESTAB = re.compile(r"[A-Za-z0-9]+")


def _parse_xporter_schools(key: str, raw: str) -> tuple[XporterSchoolSettings, ...]:
    schools: list[XporterSchoolSettings] = []
    for number, entry in enumerate(_entries(raw), start=1):
        estab, colon, secret = entry.partition(":")
        estab, secret = estab.strip(), secret.strip()
        # Messages name the entry by position and estab only: the rest is a school secret.
        if not colon or not _ESTAB.fullmatch(estab) or not secret:
            raise ConfigError(
                f"{key} entry {number} must be estab:secret, e.g. 7109606:<school secret>."
            )
        if any(school.estab == estab for school in schools):
            raise ConfigError(f"{key} lists estab {estab} twice.")
        schools.append(XporterSchoolSettings(estab, Secret(secret)))
    if not schools:
        raise ConfigError(f"{key} is empty; list each school as estab:secret.")
    return tuple(schools)


def _parse_tass_companies(key: str, raw: str) -> tuple[TassCompanySettings, ...]:
    companies: list[TassCompanySettings] = []
    for entry in _entries(raw):
        code, colon, api = (part.strip() for part in entry.partition(":"))
        if not code or any(ch.isspace() for ch in code):
            raise ConfigError(f"{key} has an empty or malformed company code in {entry!r}.")
        if colon and api not in _TASS_APIS:
            raise ConfigError(
                f"{key} gives company {code} the API {api!r}; use {code}:2026 or {code}:legacy."
            )
        if any(company.code == code for company in companies):
            raise ConfigError(f"{key} lists company {code} twice.")
        companies.append(TassCompanySettings(code, api if colon else "2026"))  # type: ignore[arg-type]
    if not companies:
        raise ConfigError(f"{key} is empty; list the company codes, e.g. 01,02.")
    return tuple(companies)


def _parse_token_key(key: str, raw: str) -> Secret:
    secret = _parse_secret(key, raw)
    try:
        decoded = base64.b64decode(secret.reveal(), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 16:
        raise ConfigError(
            f"{key} must be the Base64 Token Key of TASS API Gateway Maintenance (16 bytes)."
        )
    return secret


def _parse_legacy_version(key: str, raw: str) -> str:
    return _choice(key, raw, ("2", "3"))


# --------------------------------------------------------------------------- the variables


class _Unset:
    """What an unset variable's default shows as: it is simply not configured."""

    def __repr__(self) -> str:
        return "unset"

    __str__ = __repr__


UNSET: Any = _Unset()


@dataclass(frozen=True, slots=True)
class Variable:
    """One ``SCHOOLGRAPH_*`` environment variable.

    Attributes:
        name: The key without the prefix, lower case (``tanda_url``). When it names a
            field of :class:`Settings` the variable fills that field; otherwise it is part of
            the upstream its name starts with.
        parse: ``parse(key, raw)`` returns the value or raises ConfigError naming the key.
        description: One sentence for the README's configuration table.
        unset: What leaving it unset means, as the README shows it; for a variable that
            fills a field, the field's default unless given.
        secret: Never shown; may be given as ``<key>_FILE``.
    """

    name: str
    parse: Callable[[str, str], object]
    description: str
    unset: object = UNSET
    secret: bool = False

    @property
    def key(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def field(self) -> str | None:
        """The :class:`Settings` field this variable fills, if it fills one directly."""
        return self.name if self.name in Settings.__dataclass_fields__ else None

    @property
    def default(self) -> object:
        """What an unset variable means: ``unset`` when given, else the field's default."""
        if self.field is None or self.unset is not UNSET:
            return self.unset
        default: object = Settings.__dataclass_fields__[self.field].default
        return default


_STS_PATH = "/idaas/sts/STS/GetToken"

VARIABLES: tuple[Variable, ...] = (
    Variable("host", parse_host, "Address `serve` listens on."),
    Variable("port", parse_port, "TCP port `serve` listens on; 0 picks a free one."),
    Variable(
        "mode",
        _parse_mode,
        "`demo` starts the three simulators in-process and reads from them; `upstream` reads "
        "from the upstreams whose URL is set. Unset: `demo` when no `*_URL` is set, else "
        "`upstream`.",
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
    Variable(
        "request_timeout",
        _parse_positive_seconds,
        "Seconds a request may take: upstream calls give up when they pass, and the fields "
        "that needed them answer null with `UPSTREAM_TIMEOUT`.",
    ),
    Variable(
        "max_query_depth",
        functools.partial(_parse_positive, unit="fields"),
        "Most fields an operation may nest in one another.",
    ),
    Variable(
        "max_query_aliases",
        functools.partial(_parse_positive, unit="aliases"),
        "Most aliases an operation may use.",
    ),
    Variable(
        "max_query_tokens",
        functools.partial(_parse_positive, unit="tokens"),
        "Most tokens an operation's document may hold.",
    ),
    Variable(
        "max_query_cost",
        functools.partial(_parse_positive, unit="cost units"),
        "Highest estimated cost an operation may have: the objects its answer may hold, plus "
        "100 per upstream read it implies (see Limits and hardening).",
    ),
    Variable(
        "persisted_queries",
        _parse_bool,
        "Accept Apollo automatic persisted queries (`true`/`false`).",
    ),
    Variable(
        "persisted_queries_max_bytes",
        _parse_byte_count,
        "Byte budget of the automatic persisted queries kept (least recently used go first).",
    ),
    Variable(
        "allow_list_file",
        _parse_path,
        "Allow-list mode: a JSON file of the only operations to run (an Apollo persisted query "
        "manifest, or an object of id to query); unset, any operation runs. Federation's "
        "`_service { sdl }` query runs too; a router's `_entities` fetches do not.",
        unset="unset",
    ),
    Variable(
        "rate_limit",
        _parse_rate,
        "Requests a minute each account (or client address, without one) may send to "
        "`/graphql`; past it, 429 with `Retry-After`. `0` turns rate limiting off.",
    ),
    Variable(
        "rate_limit_burst",
        functools.partial(_parse_positive, unit="requests"),
        "Requests an account may send at once before its rate applies.",
    ),
    Variable(
        "metrics_token",
        _parse_secret,
        "Bearer token a scraper sends to read `/metrics`; unset, only loopback clients may "
        "read it. Secret.",
        unset="unset",
        secret=True,
    ),
    Variable(
        "otel_enabled",
        _parse_bool,
        "Trace requests, GraphQL operations and upstream calls with OpenTelemetry, exported "
        "as the standard `OTEL_*` variables say (needs the `otel` extra; `true`/`false`).",
    ),
    Variable(
        "ready_requires",
        _parse_upstream_kinds,
        "The upstreams `/readyz` answers 503 without, separated by commas (`tanda,xporter`), "
        "or empty for none; the others failing make it 200 `degraded`.",
        unset="every configured upstream",
    ),
    Variable(
        "tanda_url",
        _parse_url,
        "Tanda base URL (`https://my.tanda.co` or `https://my.workforce.com`); setting it "
        "configures Tanda.",
    ),
    Variable("tanda_email", _parse_email, "Password grant: the login of the API user."),
    Variable("tanda_password", _parse_secret, "Password grant: its password. Secret.", secret=True),
    Variable(
        "tanda_client_id", _parse_text, "Authorization-code grant: the OAuth application's id."
    ),
    Variable(
        "tanda_client_secret",
        _parse_secret,
        "Authorization-code grant: the OAuth application's client secret. Secret.",
        secret=True,
    ),
    Variable(
        "tanda_redirect_uri",
        _parse_url,
        "Authorization-code grant: the redirect URI registered with the application.",
    ),
    Variable(
        "tanda_refresh_token",
        _parse_secret,
        "Authorization-code grant: a refresh token from authorising the application. Secret. "
        "Tanda rotates it on every refresh: give it as `_FILE` on a writable path and the "
        "newest one is written back there.",
        secret=True,
    ),
    Variable(
        "tanda_organisation_id",
        _parse_id,
        "Sent as `X-Organisation-Id`, for a user who belongs to several organisations.",
    ),
    Variable(
        "xporter_url",
        _parse_url,
        "Xporter on Demand base URL (`https://xporter.groupcall.com`); setting it configures "
        "Xporter.",
    ),
    Variable(
        "xporter_token_url",
        _parse_url,
        "The STS token URL (`https://login.groupcall.com/idaas/sts/STS/GetToken` for the real "
        f"API). Unset: `<SCHOOLGRAPH_XPORTER_URL>{_STS_PATH}`, as the simulator serves.",
    ),
    Variable(
        "xporter_relying_party",
        _parse_text,
        "The app id (`relyingParty`) Groupcall registered for this integration.",
    ),
    Variable(
        "xporter_schools",
        _parse_xporter_schools,
        "The schools that authorised the app, as `estab:secret` entries separated by commas "
        "or new lines. Secret.",
        secret=True,
    ),
    Variable(
        "xporter_time_zone",
        _parse_time_zone,
        "IANA zone of the schools' local timestamps.",
        unset="Europe/London",
    ),
    Variable("tass_url", _parse_url, "The school's TASS host; setting it configures TASS."),
    Variable(
        "tass_companies",
        _parse_tass_companies,
        "Company codes to read, separated by commas, each optionally `:2026` (the default) or "
        "`:legacy` for the API it is read through, e.g. `01,02:legacy`.",
    ),
    Variable(
        "tass_client_key",
        _parse_secret,
        "2026 API: the API user's client key. Secret.",
        secret=True,
    ),
    Variable(
        "tass_client_secret",
        _parse_secret,
        "2026 API: the API user's client secret. Secret.",
        secret=True,
    ),
    Variable(
        "tass_legacy_appcode",
        _parse_text,
        "Legacy TASS.web API: the App Code of TASS API Setup.",
    ),
    Variable(
        "tass_legacy_token_key",
        _parse_token_key,
        "Legacy TASS.web API: the app's Base64 Token Key. Secret.",
        secret=True,
    ),
    Variable(
        "tass_legacy_version",
        _parse_legacy_version,
        "Legacy TASS.web API version: `3` for an app with a Security Role, else `2`.",
        unset="3",
    ),
    Variable(
        "tass_time_zone",
        _parse_time_zone,
        "IANA zone of TASS's offset-free timestamps.",
        unset="Australia/Brisbane",
    ),
    Variable(
        "identity_keys",
        _parse_identity_keys,
        "Which MIS fields a Tanda `employee_id` is matched against, in order: `staff_code`, "
        "`payroll_number`, both, or empty for none.",
        unset="staff_code,payroll_number",
    ),
    Variable(
        "identity_email",
        _parse_bool,
        "Whether people the keys left unmatched are matched by email (`true`/`false`).",
    ),
    Variable(
        "cache_max_bytes",
        _parse_byte_count,
        "Byte budget of the cross-request upstream cache (sizes of the bodies cached).",
    ),
    Variable(
        "cache_max_entries",
        _parse_entry_count,
        "Most entries the upstream cache holds; `0` turns the cache off (every read goes "
        "upstream).",
    ),
    Variable(
        "cache_stale_seconds",
        _parse_seconds,
        "Seconds an entry is kept after it goes stale, to revalidate it or to serve it when "
        "its upstream fails.",
    ),
    Variable(
        "cache_refresh_ahead",
        _parse_fraction,
        "The last fraction of an upstream cache entry's freshness in which a read also "
        "revalidates it in the background, so that steady traffic never waits for a "
        "revalidation (`0.25`: the last quarter; `0` turns it off; see Answer cache).",
    ),
    Variable(
        "answer_cache",
        _parse_bool,
        "Keep whole query answers and serve them again while every upstream cache entry they "
        "were built from holds (`true`/`false`; see Benchmarks).",
    ),
    Variable(
        "answer_cache_max_bytes",
        _parse_byte_count,
        "Byte budget of the answer cache (least recently used go first).",
    ),
    Variable(
        "max_concurrent_operations",
        functools.partial(_parse_positive, unit="operations"),
        "GraphQL operations executed at once; more wait their turn (answers the answer cache "
        "holds do not wait).",
    ),
    Variable(
        "gc_threshold",
        functools.partial(_parse_count, unit="allocations"),
        "`schoolgraph serve`: after start-up, freeze what it allocated and collect the young "
        "generation every this many allocations (Python's default is 700), between requests: "
        "while one is being answered, or its answer is still being sent, the collection "
        "waits, unless the young generation has grown to 4 times this (see Benchmarks); `0` "
        "leaves the collector alone.",
    ),
    Variable(
        "malloc_arenas",
        functools.partial(_parse_count, unit="arenas"),
        "`schoolgraph serve`: at most this many glibc malloc arenas, set at start-up (what "
        "`MALLOC_ARENA_MAX` sets). Large upstream answers are parsed on worker threads, and "
        "glibc gives each thread an arena of its own (eight per CPU), whose freed memory the "
        "others cannot reuse (see Benchmarks); `0` leaves glibc's default. Other C libraries "
        "ignore it.",
    ),
    Variable(
        "demo_scale",
        _parse_demo_scale,
        "Demo mode: the simulated world's size, `small`, `demo` or `large`.",
    ),
    Variable("demo_seed", _parse_integer, "Demo mode: the simulated world's seed."),
    Variable(
        "data_dir",
        _parse_path,
        "Folder of the accounts database and the local outbox (created owner-only).",
        unset="~/.local/share/schoolgraph",
    ),
    Variable(
        "db_path",
        _parse_path,
        "The SQLite file of API accounts, grants, keys and tokens.",
        unset="<SCHOOLGRAPH_DATA_DIR>/accounts.sqlite3",
    ),
    Variable(
        "token_ttl",
        _parse_positive_seconds,
        "Seconds a bearer token from `POST /auth/token` stays valid.",
    ),
    Variable(
        "anonymous",
        _parse_bool,
        "Serve GraphQL requests without a token, with every grant on every school "
        "(`true`/`false`). Unset: `true` in demo mode, `false` in upstream mode.",
        unset="demo mode only",
    ),
    Variable(
        "cursor_secret",
        _parse_secret,
        "What connection cursors are sealed with, so that clients can neither read nor forge "
        "them. Secret. Give every replica the same one, and cursors survive restarts and "
        "work on any replica. Unset: a random key per process.",
        unset="random per process",
        secret=True,
    ),
    Variable(
        "public_url",
        _parse_url,
        "The gateway's URL as API users reach it, for the key-share links it emails.",
        unset="http://<SCHOOLGRAPH_HOST>:<SCHOOLGRAPH_PORT>",
    ),
    Variable(
        "smtp_host",
        _parse_text,
        "SMTP server for key-share emails; unset, they are written to `<SCHOOLGRAPH_DATA_DIR>"
        "/outbox` and printed by the CLI.",
        unset="unset",
    ),
    Variable("smtp_port", parse_port, "SMTP port."),
    Variable(
        "smtp_tls",
        _parse_smtp_tls,
        "`starttls` (upgrade after connecting), `tls` (implicit TLS, usually port 465) or `none`.",
    ),
    Variable("smtp_username", _parse_text, "SMTP login, when the server needs one.", unset="unset"),
    Variable("smtp_password", _parse_secret, "Its password. Secret.", unset="unset", secret=True),
    Variable("smtp_from", _parse_email, "The sender of key-share emails."),
    Variable(
        "audit",
        _parse_bool,
        "Record every request in the audit log, in the accounts database (`true`/`false`).",
    ),
    Variable(
        "audit_retention_days",
        functools.partial(_parse_count, unit="days"),
        "Days audit records are kept before they are purged; `0` keeps them for ever.",
    ),
    Variable(
        "audit_buffer_size",
        functools.partial(_parse_positive, unit="records"),
        "Audit records buffered in memory; when it is full, requests wait (up to 5 s) for "
        "the writer rather than lose a record.",
    ),
    Variable(
        "audit_flush_interval",
        _parse_positive_seconds,
        "Seconds between batched writes of the audit buffer (also written when it fills, and "
        "on shutdown).",
    ),
    Variable(
        "live_updates",
        _parse_bool,
        "Serve GraphQL subscriptions over WebSocket on `/graphql`, fed by Tanda webhooks, "
        "Xporter change-set polls and TASS `update_on` polls (`true`/`false`).",
    ),
    Variable(
        "live_poll_interval",
        _parse_positive_seconds,
        "Seconds between two change polls of one Xporter school or TASS company, while someone "
        "subscribes.",
    ),
    Variable(
        "live_poll_jitter",
        _parse_seconds,
        "Up to this many seconds added at random to each poll's wait, so schools spread out.",
    ),
    Variable(
        "live_queue_size",
        functools.partial(_parse_positive, unit="events"),
        "Events one subscription holds for a slow client; past it the oldest are dropped and "
        "counted in `missed`.",
    ),
    Variable(
        "live_webhook_secret",
        _parse_secret,
        "The secret Tanda signs webhooks to `/webhooks/tanda` with (the subscription's token). "
        "Secret. Unset: generated and registered with the simulator in demo mode; refused "
        "otherwise.",
        unset="unset",
        secret=True,
    ),
)

_UPSTREAM_URLS = {
    UpstreamKind.TANDA: "tanda_url",
    UpstreamKind.XPORTER: "xporter_url",
    UpstreamKind.TASS: "tass_url",
}
_UPSTREAM_NAMES = {
    UpstreamKind.TANDA: "Tanda",
    UpstreamKind.XPORTER: "Xporter",
    UpstreamKind.TASS: "TASS",
}


# --------------------------------------------------------------------------- loading


def _key(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _read_secret_file(key: str, raw_path: str) -> str:
    if not raw_path.strip():  # Path("") is the current directory
        raise ConfigError(f"{key} is empty; give the path of the file that holds the secret.")
    path = Path(raw_path.strip())
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigError(f"{key} names {str(path)!r}, which cannot be read: {reason}.") from None


def _raw_values(environ: Mapping[str, str]) -> dict[str, str]:
    """Variable name -> raw text, secrets read from their ``_FILE`` where given."""
    by_key = {variable.key: variable for variable in VARIABLES}
    by_file_key = {v.key + FILE_SUFFIX: v for v in VARIABLES if v.secret}
    unknown = sorted(
        key
        for key in environ
        if key.startswith(ENV_PREFIX) and key not in by_key and key not in by_file_key
    )
    if unknown:
        raise ConfigError(
            f"{unknown[0]} is not a schoolgraph setting; the known variables are "
            f"{', '.join(by_key)} (and {FILE_SUFFIX} forms of the secret ones)."
        )
    raw = {variable.name: environ[key] for key, variable in by_key.items() if key in environ}
    for file_key, variable in by_file_key.items():
        if file_key not in environ:
            continue
        if variable.key in environ:
            raise ConfigError(f"Set {variable.key} or {file_key}, not both.")
        raw[variable.name] = _read_secret_file(file_key, environ[file_key])
    return raw


def _parse_all(raw: Mapping[str, str]) -> dict[str, Any]:
    by_name = {variable.name: variable for variable in VARIABLES}
    return {name: by_name[name].parse(by_name[name].key, text) for name, text in raw.items()}


def _shown(name: str) -> str:
    """A variable's key as a message names it; secrets may come from their ``_FILE``."""
    secret = any(variable.secret for variable in VARIABLES if variable.name == name)
    return f"{_key(name)} (or {FILE_SUFFIX})" if secret else _key(name)


def _require(values: Mapping[str, Any], what: str, *names: str) -> None:
    missing = [_shown(name) for name in names if name not in values]
    if missing:
        raise ConfigError(f"{what} needs {' and '.join(missing)}.")


def _tanda(values: Mapping[str, Any], environ: Mapping[str, str]) -> TandaSettings:
    password = ("tanda_email", "tanda_password")
    code = ("tanda_client_id", "tanda_client_secret", "tanda_redirect_uri", "tanda_refresh_token")
    uses_password = any(name in values for name in password)
    uses_code = any(name in values for name in code)
    if uses_password and uses_code:
        given = [_key(name) for name in (*password, *code) if name in values]
        raise ConfigError(
            "Tanda takes one grant: the password grant (SCHOOLGRAPH_TANDA_EMAIL and "
            "SCHOOLGRAPH_TANDA_PASSWORD) or the authorization-code grant "
            "(SCHOOLGRAPH_TANDA_CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI and _REFRESH_TOKEN); "
            f"{', '.join(given)} are set."
        )
    if not uses_password and not uses_code:
        raise ConfigError(
            "SCHOOLGRAPH_TANDA_URL is set, so Tanda needs credentials: SCHOOLGRAPH_TANDA_EMAIL "
            "and SCHOOLGRAPH_TANDA_PASSWORD (password grant), or SCHOOLGRAPH_TANDA_CLIENT_ID, "
            "_CLIENT_SECRET, _REDIRECT_URI and _REFRESH_TOKEN (authorization-code grant)."
        )
    if uses_password:
        _require(values, "Tanda's password grant also", *password)
    else:
        _require(values, "Tanda's authorization-code grant also", *code)
    file_key = _key("tanda_refresh_token") + FILE_SUFFIX
    return TandaSettings(
        base_url=values["tanda_url"],
        email=values.get("tanda_email"),
        password=values.get("tanda_password"),
        client_id=values.get("tanda_client_id"),
        client_secret=values.get("tanda_client_secret"),
        redirect_uri=values.get("tanda_redirect_uri"),
        refresh_token=values.get("tanda_refresh_token"),
        refresh_token_file=Path(environ[file_key].strip()) if file_key in environ else None,
        organisation_id=values.get("tanda_organisation_id"),
    )


def _xporter(values: Mapping[str, Any]) -> XporterSettings:
    _require(
        values,
        "SCHOOLGRAPH_XPORTER_URL is set, so Xporter also",
        "xporter_relying_party",
        "xporter_schools",
    )
    return XporterSettings(
        base_url=values["xporter_url"],
        relying_party=values["xporter_relying_party"],
        schools=values["xporter_schools"],
        token_url=values.get("xporter_token_url"),
        time_zone=values.get("xporter_time_zone", "Europe/London"),
    )


def _tass(values: Mapping[str, Any]) -> TassSettings:
    _require(values, "SCHOOLGRAPH_TASS_URL is set, so TASS also", "tass_companies")
    companies: tuple[TassCompanySettings, ...] = values["tass_companies"]
    for api, names in (
        ("2026", ("tass_client_key", "tass_client_secret")),
        ("legacy", ("tass_legacy_appcode", "tass_legacy_token_key")),
    ):
        codes = [company.code for company in companies if company.api == api]
        if codes:
            what = f"TASS on the {api} API (for {', '.join(codes)}) also"
            _require(values, what, *names)
    return TassSettings(
        base_url=values["tass_url"],
        companies=companies,
        client_key=values.get("tass_client_key"),
        client_secret=values.get("tass_client_secret"),
        legacy_appcode=values.get("tass_legacy_appcode"),
        legacy_token_key=values.get("tass_legacy_token_key"),
        legacy_version=values.get("tass_legacy_version", "3"),
        time_zone=values.get("tass_time_zone", "Australia/Brisbane"),
    )


def _upstreams(values: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings of each upstream whose URL is set; its variables without the URL fail."""
    built: dict[str, Any] = {}
    for kind, url_name in _UPSTREAM_URLS.items():
        prefix = f"{kind.value}_"
        group = sorted(name for name in values if name.startswith(prefix))
        if url_name not in values:
            if group:
                raise ConfigError(
                    f"{_key(group[0])} is set but {_key(url_name)} is not; set the URL to use "
                    f"{_UPSTREAM_NAMES[kind]}, or unset {_key(group[0])}."
                )
            continue
        if kind is UpstreamKind.TANDA:
            built["tanda"] = _tanda(values, environ)
        elif kind is UpstreamKind.XPORTER:
            built["xporter"] = _xporter(values)
        else:
            built["tass"] = _tass(values)
    return built


def _check_smtp(values: Mapping[str, Any]) -> None:
    smtp = sorted(name for name in values if name.startswith("smtp_") and name != "smtp_host")
    if smtp and "smtp_host" not in values:
        raise ConfigError(
            f"{_shown(smtp[0])} is set but SCHOOLGRAPH_SMTP_HOST is not; set the host to send "
            f"key-share emails by SMTP, or unset {_key(smtp[0])}."
        )
    if "smtp_password" in values and "smtp_username" not in values:
        raise ConfigError(
            "SCHOOLGRAPH_SMTP_PASSWORD (or _FILE) is set but SCHOOLGRAPH_SMTP_USERNAME is not."
        )


def _check_ready_requires(
    values: Mapping[str, Any], upstreams: Mapping[str, Any], mode: Mode
) -> None:
    required = values.get("ready_requires") or ()
    missing = [kind.value for kind in required if mode is Mode.UPSTREAM and kind not in upstreams]
    if missing:
        raise ConfigError(
            f"SCHOOLGRAPH_READY_REQUIRES names {', '.join(missing)}, which is not configured."
        )


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Build the settings from ``SCHOOLGRAPH_*`` variables, then apply ``overrides``.

    Args:
        environ: The environment, usually ``os.environ``; only ``SCHOOLGRAPH_*`` keys are read.
        **overrides: Already-parsed setting values (from CLI flags) that win over the
            environment. ``None`` means "not given" and leaves the setting alone.

    Raises:
        ConfigError: A variable is unknown, invalid, or incomplete (an upstream missing a
            credential, say); the message names the key and never shows a secret.
    """
    values = _parse_all(_raw_values(environ))
    settings: dict[str, Any] = {
        variable.field: values[variable.name]
        for variable in VARIABLES
        if variable.field is not None and variable.name in values
    }
    upstreams = _upstreams(values, environ)
    settings.update(upstreams)
    urls = [_key(_UPSTREAM_URLS[UpstreamKind(kind)]) for kind in upstreams]
    mode = settings.setdefault("mode", Mode.UPSTREAM if upstreams else Mode.DEMO)
    if mode is Mode.DEMO and urls:
        raise ConfigError(
            f"SCHOOLGRAPH_MODE is demo, which starts its own simulators, but {', '.join(urls)} "
            "is set; unset SCHOOLGRAPH_MODE (or set it to upstream) to use the URLs."
        )
    if mode is Mode.UPSTREAM and not urls:
        raise ConfigError(
            "SCHOOLGRAPH_MODE is upstream, but none of SCHOOLGRAPH_TANDA_URL, "
            "SCHOOLGRAPH_XPORTER_URL and SCHOOLGRAPH_TASS_URL is set."
        )
    _check_smtp(values)
    _check_ready_requires(values, upstreams, mode)

    fields = {field.name for field in dataclasses.fields(Settings)}
    for name, value in overrides.items():
        if name not in fields:
            raise TypeError(f"load_settings() got an override for unknown setting {name!r}.")
        if value is not None:
            settings[name] = value
    return Settings(**settings)
