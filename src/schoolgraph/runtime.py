"""The gateway's runtime: upstream clients built from the settings, and the directory over them.

One :class:`Runtime` per app. :meth:`Runtime.start` runs in the app's ``cleanup_ctx``:

1. in demo mode, start the three simulators on loopback and take the settings in effect
   from what they describe (base URLs and demo credentials), so demo and upstream mode build
   their clients the same way;
2. build a client for each configured upstream, all sharing one :class:`UpstreamCache`
   sized by the settings, and open them;
3. build the :class:`Directory` over them.

:meth:`Runtime.close` undoes that in reverse. Upstreams are not contacted at start-up: a
gateway whose upstream is down still starts, and ``/readyz`` says which upstream is failing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.config import (
    Mode,
    Secret,
    Settings,
    TandaSettings,
    TassCompanySettings,
    TassSettings,
    UpstreamKind,
    XporterSchoolSettings,
    XporterSettings,
)
from schoolgraph.errors import UpstreamError
from schoolgraph.identity.matching import MatchPolicy
from schoolgraph.sources import Directory
from schoolgraph.upstreams.tanda import (
    AuthorizationCodeGrant,
    Grant,
    MemoryRefreshTokenStore,
    PasswordGrant,
    RefreshTokenStore,
    TandaClient,
    TandaConfig,
)
from schoolgraph.upstreams.tass import (
    TassApiKey,
    TassClient,
    TassCompanyConfig,
    TassConfig,
    TassLegacyApp,
)
from schoolgraph.upstreams.xporter import XporterClient, XporterConfig, XporterSchool

if TYPE_CHECKING:
    from schoolgraph.simulators.stack import SimulatorStack

__all__ = ["FileRefreshTokenStore", "Runtime", "demo_settings"]

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
C = TypeVar("C", TandaClient, XporterClient, TassClient)


class FileRefreshTokenStore:
    """Tanda's rotating refresh token in a file: read when needed, replaced on each rotation.

    The file is replaced atomically (a temporary file in the same folder, then a rename) and
    readable by its owner only, so a crash never leaves half a token and a restart resumes
    from the newest one.
    """

    __slots__ = ("path",)

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"FileRefreshTokenStore(path={str(self.path)!r})"

    async def load(self) -> str | None:
        try:
            text = await asyncio.to_thread(self.path.read_text, encoding="utf-8")
        except FileNotFoundError:  # removed meanwhile: the configured token is all there is
            return None
        return text.strip() or None

    async def save(self, refresh_token: str) -> None:
        await asyncio.to_thread(self._replace, refresh_token)

    def _replace(self, refresh_token: str) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:  # mkstemp: mode 0600
                file.write(refresh_token + "\n")
            Path(temporary).replace(self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def demo_settings(settings: Settings, described: Mapping[str, Any]) -> Settings:
    """``settings`` pointed at running simulators, from ``SimulatorStack.describe()``.

    Tanda is read as the organisation's admin (password grant), its organisation id given as
    configured deployments give it (so the first read need not ask `/users/me`), Xporter as
    the demo app over every school, TASS with the 2026 key over every company (the legacy
    app is configured too, for companies switched to it).
    """
    tanda, xporter, tass = described["tanda"], described["xporter"], described["tass"]
    return dataclasses.replace(
        settings,
        mode=Mode.DEMO,
        tanda=TandaSettings(
            base_url=tanda["url"],
            email=tanda["admin"]["email"],
            password=Secret(tanda["admin"]["password"]),
            organisation_id=tanda.get("organisation_id"),
        ),
        xporter=XporterSettings(
            base_url=xporter["url"],
            token_url=xporter["token_url"],
            relying_party=xporter["relying_party"],
            schools=tuple(
                XporterSchoolSettings(school["estab"], Secret(school["secret"]))
                for school in xporter["schools"]
            ),
        ),
        tass=TassSettings(
            base_url=tass["url"],
            companies=tuple(TassCompanySettings(company["code"]) for company in tass["companies"]),
            client_key=Secret(tass["client_key"]),
            client_secret=Secret(tass["client_secret"]),
            legacy_appcode=tass["legacy"]["appcode"],
            legacy_token_key=Secret(tass["legacy"]["token_key"]),
        ),
    )


def _refresh_store(settings: TandaSettings) -> RefreshTokenStore | None:
    path = settings.refresh_token_file
    if path is None:
        return None
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        return FileRefreshTokenStore(path)
    logger.warning(
        "The Tanda refresh token file %s cannot be replaced (the file or its folder is not "
        "writable); rotated refresh tokens are kept in memory only, so after a restart the "
        "application must be authorised again.",
        path,
    )
    return MemoryRefreshTokenStore()


def _tanda_client(settings: TandaSettings, cache: UpstreamCache, clock: Clock) -> TandaClient:
    grant: Grant
    if settings.email is not None and settings.password is not None:
        grant = PasswordGrant(settings.email, settings.password.reveal())
    elif (
        settings.client_id is not None
        and settings.client_secret is not None
        and settings.redirect_uri is not None
        and settings.refresh_token is not None
    ):
        grant = AuthorizationCodeGrant(
            settings.client_id,
            settings.client_secret.reveal(),
            settings.redirect_uri,
            refresh_token=settings.refresh_token.reveal(),
        )
    else:  # load_settings never builds these; a hand-made TandaSettings might
        raise ValueError("TandaSettings needs email and password, or the OAuth application.")
    config = TandaConfig(
        base_url=settings.base_url, grant=grant, organisation_id=settings.organisation_id
    )
    return TandaClient(config, cache=cache, refresh_store=_refresh_store(settings), clock=clock)


def _xporter_client(settings: XporterSettings, cache: UpstreamCache, clock: Clock) -> XporterClient:
    config = XporterConfig(
        base_url=settings.base_url,
        relying_party=settings.relying_party,
        schools=tuple(
            XporterSchool(school.estab, school.secret.reveal()) for school in settings.schools
        ),
        token_url=settings.token_url,
        time_zone=settings.time_zone,
    )
    return XporterClient(config, cache=cache, clock=clock)


def _tass_client(settings: TassSettings, cache: UpstreamCache, clock: Clock) -> TassClient:
    api_key = (
        TassApiKey(settings.client_key.reveal(), settings.client_secret.reveal())
        if settings.client_key is not None and settings.client_secret is not None
        else None
    )
    legacy_app = (
        TassLegacyApp(
            settings.legacy_appcode,
            settings.legacy_token_key.reveal(),
            version=settings.legacy_version,
        )
        if settings.legacy_appcode is not None and settings.legacy_token_key is not None
        else None
    )
    config = TassConfig(
        base_url=settings.base_url,
        companies={
            company.code: TassCompanyConfig(api=company.api) for company in settings.companies
        },
        api_key=api_key,
        legacy_app=legacy_app,
        time_zone=settings.time_zone,
    )
    return TassClient(config, cache=cache, clock=clock)


def _upstream_error(code: str, message: str, upstream: str) -> UpstreamError:
    """The error of our tree whose code is ``code``; ``UpstreamError`` when none is."""
    pending: list[type[UpstreamError]] = [UpstreamError]
    while pending:
        kind = pending.pop()
        if kind.code == code:
            return kind(message, upstream=upstream)
        pending.extend(kind.__subclasses__())
    return UpstreamError(message, upstream=upstream)


async def _any_tenant_ready(
    name: str, upstream: str, tenant: str, readiness: Callable[[], Awaitable[object]]
) -> None:
    """Raise unless the upstream answers for at least one tenant.

    Per-tenant readiness answers ``{tenant: "ok" | error code}``; one school that paused its
    authorisation must not take the gateway out of service for every other school.
    """
    states = await readiness()
    if not isinstance(states, Mapping) or not states or "ok" in states.values():
        return
    failures = ", ".join(f"{key} {code}" for key, code in states.items())
    first = str(next(iter(states.values())))
    raise _upstream_error(first, f"No {tenant} of {name} answered: {failures}.", upstream)


class Runtime:
    """The app's upstream clients, their shared cache, the directory, and the demo simulators.

    Args:
        settings: The gateway settings.
        clock: Monotonic seconds for the cache and the clients' token and refresh schedules;
            tests pass one they move by hand.
    """

    def __init__(self, settings: Settings, *, clock: Clock = time.monotonic) -> None:
        self.configured = settings
        self.clock = clock
        self.cache = UpstreamCache(
            max_entries=settings.cache_max_entries,
            max_bytes=settings.cache_max_bytes,
            stale_for=settings.cache_stale_seconds,
            refresh_ahead=settings.cache_refresh_ahead,
            clock=clock,
        )
        self.tanda: TandaClient | None = None
        self.xporter: XporterClient | None = None
        self.tass: TassClient | None = None
        self.simulators: SimulatorStack | None = None
        self._settings: Settings | None = None
        self._directory: Directory | None = None
        self._exit = AsyncExitStack()

    def __repr__(self) -> str:
        state = "started" if self._directory is not None else "not started"
        return f"Runtime(mode={self.configured.mode.value!r}, {state})"

    @property
    def settings(self) -> Settings:
        """The settings in effect: in demo mode, pointed at the simulators."""
        if self._settings is None:
            raise RuntimeError("The runtime has not been started.")
        return self._settings

    @property
    def directory(self) -> Directory:
        if self._directory is None:
            raise RuntimeError("The runtime has not been started.")
        return self._directory

    @property
    def upstreams(self) -> tuple[UpstreamKind, ...]:
        """The upstreams that will be configured once started (all three in demo mode)."""
        if self.configured.mode is Mode.DEMO:
            return tuple(UpstreamKind)
        settings = self.configured
        present = {
            UpstreamKind.TANDA: settings.tanda,
            UpstreamKind.XPORTER: settings.xporter,
            UpstreamKind.TASS: settings.tass,
        }
        return tuple(kind for kind, configured in present.items() if configured is not None)

    async def start(self) -> None:
        """Start the simulators (demo mode), then the clients, then build the directory.

        On failure, whatever had started is closed again before the error propagates.
        """
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise

    async def _start(self) -> None:
        settings = self.configured
        if settings.mode is Mode.DEMO:
            from schoolgraph.simulators.stack import start_simulators

            stack = await start_simulators(seed=settings.demo_seed, scale=settings.demo_scale)
            self._exit.push_async_callback(stack.close)
            self.simulators = stack
            settings = demo_settings(settings, stack.describe())
        if settings.tanda is not None:
            self.tanda = await self._open(_tanda_client(settings.tanda, self.cache, self.clock))
        if settings.xporter is not None:
            self.xporter = await self._open(
                _xporter_client(settings.xporter, self.cache, self.clock)
            )
        if settings.tass is not None:
            self.tass = await self._open(_tass_client(settings.tass, self.cache, self.clock))
        policy = MatchPolicy(keys=settings.identity_keys, use_email=settings.identity_email)
        self._directory = Directory(self.tanda, self.xporter, self.tass, identity=policy)
        self._settings = settings

    async def _open(self, client: C) -> C:
        await client.start()
        self._exit.push_async_callback(client.close)
        return client

    async def close(self) -> None:
        """Stop the cache's background revalidations, close the clients, then stop the
        simulators; safe to call more than once."""
        self._directory = None
        try:
            await self.cache.close()
            await self._exit.aclose()
        finally:
            self.tanda = self.xporter = self.tass = None
            self.simulators = None

    async def check(self, kind: UpstreamKind) -> None:
        """The readiness check of one upstream: raises a coded error while it is unusable.

        Tanda must answer for our user; Xporter and TASS for at least one of their schools
        or companies.
        """
        if kind is UpstreamKind.TANDA and self.tanda is not None:
            await self.tanda.readiness()
        elif kind is UpstreamKind.XPORTER and self.xporter is not None:
            await _any_tenant_ready("Xporter", "xporter", "school", self.xporter.readiness)
        elif kind is UpstreamKind.TASS and self.tass is not None:
            await _any_tenant_ready("TASS", "tass", "company", self.tass.readiness)
        else:
            raise RuntimeError(f"{kind.value} is not running; the runtime is not started.")
