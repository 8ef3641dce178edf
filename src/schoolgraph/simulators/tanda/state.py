"""Everything one Tanda simulator app holds between requests, and who the caller is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiohttp import web

from ..control import SimControl, WorldHolder
from ..dataset import Record, World
from .auth import OAUTH_TOKEN_LIFETIME, Principal, TokenStore
from .errors import TandaError
from .indexes import IndexCache, WorldIndex
from .ratelimit import DEFAULT_LIMIT, RateLimiter
from .webhooks import WebhookHub


class TandaState:
    """Tokens, rate-limit windows, indexes and webhook subscriptions over the live world."""

    def __init__(
        self, holder: WorldHolder, control: SimControl, *, webhook_retry_delays: Sequence[float]
    ) -> None:
        self.holder = holder
        self.control = control
        self.tokens = TokenStore(control.clock, self._token_lifetime)
        self.limiter = RateLimiter(control.clock, self._rate_limit)
        self.indexes = IndexCache()
        self.hub = WebhookHub(
            lambda: self.holder.world,
            control.clock,
            self.timesheet_shifts,
            retry_delays=webhook_retry_delays,
        )
        control.on_reset(self.reset)
        holder.on_reset(self._world_swapped)

    @property
    def world(self) -> World:
        return self.holder.world

    @property
    def index(self) -> WorldIndex:
        return self.indexes.get(self.holder.world)

    def now(self) -> datetime:
        return self.control.clock()

    def _token_lifetime(self) -> int:
        lifetime = self.control.faults.token_lifetime_seconds
        return OAUTH_TOKEN_LIFETIME if lifetime is None else lifetime

    def _rate_limit(self) -> int:
        limit = self.control.faults.rate_limit_per_minute
        return DEFAULT_LIMIT if limit is None else limit

    def reset(self) -> None:
        """`/__sim/reset`: forget tokens, rate-limit windows and webhook subscriptions."""
        self.tokens.clear()
        self.limiter.clear()
        self.hub.reset()

    def _world_swapped(self, world: World) -> None:
        self.hub.remember(world)

    # -- world listener --------------------------------------------------------------------

    def on_world_change(
        self, action: str, table: str, record: Record | None, revision: int
    ) -> None:
        """Registered in `world.listeners` while the app runs."""
        self.indexes.note_change(table)
        self.hub.on_change(action, table, record, revision)

    def attach(self) -> None:
        listeners = self.holder.world.listeners
        if self.on_world_change not in listeners:
            listeners.append(self.on_world_change)
        self.indexes.track(True)
        self.hub.remember(self.holder.world)

    def detach(self) -> None:
        listeners = self.holder.world.listeners
        if self.on_world_change in listeners:
            listeners.remove(self.on_world_change)
        self.indexes.track(False)

    def timesheet_shifts(self, timesheet_id: int) -> list[int]:
        return self.index.shifts_by_timesheet.get(timesheet_id, [])

    # -- callers ----------------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> Principal:
        """The caller of an `/api/v2/` request, or a 401/403 (tanda.md §2.4)."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.strip().partition(" ")
        # tanda.md §2.4: the doc writes `bearer`, the payroll pages `Bearer`; accept both.
        if scheme.lower() != "bearer" or not value.strip():
            raise TandaError(401, "Send an access token as 'Authorization: bearer <token>'.")
        token = self.tokens.lookup(value.strip())
        world = self.holder.world
        user = world.tanda_users.get(token.user_id)
        if user is None or not user.active:
            raise TandaError(401, "The access token belongs to a user who can no longer log in.")
        principal = Principal(world, user, token)
        # tanda.md §2.4: X-Organisation-Id / X-User-Id narrow the call; ids the user has no
        # profile in are refused (doc-silent).
        org_header = request.headers.get("X-Organisation-Id")
        if org_header is not None and org_header.strip() not in {
            str(o) for o in world.organisation
        }:
            raise TandaError(403, f"You have no profile in organisation {org_header!r}.")
        user_header = request.headers.get("X-User-Id")
        if user_header is not None and user_header.strip() != str(user.id):
            raise TandaError(403, f"User id {user_header!r} is not one of your profiles.")
        return principal


STATE: web.AppKey[TandaState] = web.AppKey("tanda_state", TandaState)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("tanda_principal", Principal)


def context(request: web.Request) -> tuple[TandaState, Principal]:
    """The app state and the authenticated caller of an `/api/v2/` request."""
    return request.app[STATE], request[PRINCIPAL]
