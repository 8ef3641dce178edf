"""The Xporter on Demand simulator as an aiohttp application (see the package docstring)."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from aiohttp import web

from ..control import SimControl, WorldHolder
from ..dataset import World
from .auth import (
    DEFAULT_TOKEN_LIFETIME,
    DEMO_SCOPES,
    SCOPE_CATALOGUE,
    Authorisation,
    AuthState,
    Token,
    failed_body,
    scopes_satisfied,
)
from .changesets import ChangeSets, Partition
from .endpoints import ENDPOINTS, ENDPOINTS_BY_NAME
from .errors import XporterError, bad_request, error_response, forbidden, json_response, not_found
from .index import SchoolIndex, WorldIndex
from .query import MAX_PAGE_SIZE, Params, SelectItem
from .render import Context, Endpoint, Rendered, render
from .rows import Row, TableSpec, sort_key, utc_ts

STS_PATH = "/idaas/sts/STS/GetToken"  # EXT: https://login.groupcall.com/idaas/sts/STS/GetToken
SCHOOL_PREFIX = "/api/v1/School"
GET_XOD_SCHOOLS_PATH = "/api/XporterOnDemand/GetXodSchools"  # the doc's one absolute URL (§1.4)


@dataclass(slots=True)
class _RateWindow:
    started: datetime
    count: int = 0


@dataclass(slots=True)
class XporterState:
    """Everything the simulator keeps between requests; rebuilt by `/__sim/reset`."""

    holder: WorldHolder
    control: SimControl
    demo_scopes: frozenset[str]
    extra_authorisations: tuple[Authorisation, ...]
    extra_management_secrets: dict[str, str]
    auth: AuthState = field(init=False)
    changesets: ChangeSets = field(default_factory=ChangeSets)
    _index: WorldIndex | None = None
    _rendered: OrderedDict[tuple[object, ...], Rendered] = field(default_factory=OrderedDict)
    _windows: dict[str, _RateWindow] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.auth = AuthState.for_world(
            self.holder.world,
            scopes=self.demo_scopes,
            extra=self.extra_authorisations,
            management_secrets=self.extra_management_secrets,
        )
        self.changesets.clear()
        self._index = None
        self._rendered.clear()
        self._windows.clear()

    @property
    def world(self) -> World:
        return self.holder.world

    def index(self) -> WorldIndex:
        world = self.world
        if self._index is None or not self._index.current(world):
            self._index = WorldIndex(world)
            self._rendered.clear()
        return self._index

    def rendered(
        self, endpoint: Endpoint, ctx: Context, granted: frozenset[str], key: tuple[object, ...]
    ) -> Rendered:
        cache_key = (id(ctx.world), ctx.world.revision, *key, tuple(sorted(granted)))
        cached = self._rendered.get(cache_key)
        if cached is not None:
            self._rendered.move_to_end(cache_key)
            return cached
        result = render(endpoint, ctx, granted)
        self._rendered[cache_key] = result
        while len(self._rendered) > 32:
            self._rendered.popitem(last=False)
        return result

    def token_lifetime(self) -> timedelta:
        seconds = self.control.faults.token_lifetime_seconds
        return DEFAULT_TOKEN_LIFETIME if seconds is None else timedelta(seconds=seconds)

    def check_rate(self, token: Token) -> None:
        """The `rate_limit_per_minute` fault; the contract itself documents no limit (§2.5)."""
        limit = self.control.faults.rate_limit_per_minute
        if limit is None:
            return
        now = self.control.clock()
        window = self._windows.get(token.value)
        if window is None or now - window.started >= timedelta(minutes=1):
            window = self._windows[token.value] = _RateWindow(now)
        window.count += 1
        if window.count > limit:
            retry = max(1, math.ceil(60 - (now - window.started).total_seconds()))
            raise _RateLimitedError(limit, retry)


class _RateLimitedError(XporterError):
    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(
            429,
            f"Rate limit exceeded: at most {limit} requests per minute; retry "
            f"in {retry_after} seconds.",
            "System.Web.HttpException",
        )
        self.retry_after = retry_after


XPORTER_STATE = web.AppKey("xporter_state", XporterState)


def create_xporter_app(
    holder: WorldHolder,
    *,
    control: SimControl | None = None,
    demo_scopes: Collection[str] = DEMO_SCOPES,
    extra_authorisations: Iterable[Authorisation] = (),
    extra_management_secrets: Mapping[str, str] | None = None,
) -> web.Application:
    """Build the Xporter on Demand simulator.

    Args:
        holder: the shared world.
        control: the `/__sim/` control plane; one is created when omitted.
        demo_scopes: the consent scopes every Xporter school grants the demo relying party
            (`world.credentials.xporter_relying_party`).
        extra_authorisations: more (relying party, school) grants, e.g. a narrower app for
            consent-scope tests. They survive `/__sim/reset`.
        extra_management_secrets: relying party -> managementSecret for those extra apps.

    Returns:
        The application; its state is reachable as `app[XPORTER_STATE]`.
    """
    unknown = sorted(set(demo_scopes) - set(SCOPE_CATALOGUE))
    if unknown:
        raise ValueError(f"Unknown Xporter scopes {unknown}; expected names from the catalogue.")
    app = web.Application()
    control = control or SimControl("xporter", holder, error_response=_fault_response)
    state = XporterState(
        holder,
        control,
        frozenset(demo_scopes),
        tuple(extra_authorisations),
        dict(extra_management_secrets or {}),
    )
    app[XPORTER_STATE] = state
    control.on_reset(state.reset)
    control.install(app)
    router = app.router
    router.add_post(STS_PATH, _get_token)
    for endpoint in ENDPOINTS:
        handler = partial(_school_data, endpoint=endpoint)
        router.add_get(f"{SCHOOL_PREFIX}/{{estab}}/{endpoint.name}", handler)
        router.add_get(f"{SCHOOL_PREFIX}/{{estab}}/{endpoint.name}/{{id:[^/]*}}", handler)
    # Endpoint names in other letter cases (EXT uses `conductlookups`, `assessmentresults`).
    router.add_get(f"{SCHOOL_PREFIX}/{{estab}}/{{endpoint}}", _school_data)
    router.add_get(f"{SCHOOL_PREFIX}/{{estab}}/{{endpoint}}/{{id:[^/]*}}", _school_data)
    router.add_get("/api/v1/TokenDetails", _token_details)
    router.add_get("/api/v1/Scopes", _scopes)
    router.add_get(GET_XOD_SCHOOLS_PATH, _get_xod_schools)
    router.add_route("*", "/api/{tail:.*}", _unknown_api)
    router.add_get("/__sim/xporter/authorisations", _sim_list_authorisations)
    router.add_post("/__sim/xporter/authorisations", _sim_put_authorisation)
    router.add_post("/__sim/xporter/pause", _sim_pause)
    return app


def _fault_response(status: int, message: str) -> web.StreamResponse:
    # An injected fault stands for an infrastructure failure, which carries its real status.
    return error_response(
        XporterError(status, message, "System.Web.HttpException"), status_codes=True
    )


def _status_codes(params: Params) -> bool:
    try:
        return params.flag("httpstatuscodes")
    except XporterError:
        return False


def _error(error: XporterError, params: Params) -> web.Response:
    if isinstance(error, _RateLimitedError):
        return error_response(
            error, status_codes=True, headers={"Retry-After": str(error.retry_after)}
        )
    return error_response(error, status_codes=_status_codes(params))


# -- STS -------------------------------------------------------------------------------------


async def _get_token(request: web.Request) -> web.Response:
    state = request.app[XPORTER_STATE]
    body: Mapping[str, Any]
    try:
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            body = dict(await request.post())
        else:
            parsed = await request.json() if request.can_read_body else {}
            if not isinstance(parsed, dict):
                return json_response(failed_body("The request body must be a JSON object."))
            body = parsed
    except ValueError:
        return json_response(failed_body("The request body is not valid JSON."))
    return json_response(state.auth.issue(body, state.control.clock(), state.token_lifetime()))


# -- school data -----------------------------------------------------------------------------


async def _school_data(request: web.Request, endpoint: Endpoint | None = None) -> web.Response:
    state = request.app[XPORTER_STATE]
    params = Params(request.query)
    try:
        if endpoint is None:
            name = request.match_info["endpoint"]
            endpoint = ENDPOINTS_BY_NAME.get(name.lower())
            if endpoint is None:
                raise not_found(
                    f"No endpoint named '{name}' is served; expected one of "
                    f"{', '.join(e.name for e in ENDPOINTS)}."
                )
        token = state.auth.authenticate(request.headers.get("Authorization"), state.control.clock())
        state.check_rate(token)
        estab = request.match_info["estab"]
        if token.management and endpoint.name == "Health":
            # "estab: When authenticated with your App Management Secret, use this filter to
            # check a specific school" (§2.4).
            estab = params.get("estab") or estab
        grant = state.auth.school_grant(token, estab, allow_management=endpoint.name == "Health")
        index = state.index().schools.get(estab)
        if index is None:
            raise not_found(f"Establishment {estab} has no Xporter on Demand data.")
        if not scopes_satisfied(grant.scopes, endpoint.scopes):
            needed = " and ".join(" or ".join(alt) for alt in endpoint.scopes)
            raise forbidden(
                f"The school has not authorised the scopes {endpoint.name} needs: {needed}."
            )
        record_id = request.match_info.get("id") or params.get("id")
        return json_response(_respond(state, endpoint, index, params, token, grant, record_id))
    except XporterError as error:
        return _error(error, params)


def _respond(
    state: XporterState,
    endpoint: Endpoint,
    index: SchoolIndex,
    params: Params,
    token: Token,
    grant: Authorisation,
    record_id: str | None,
) -> dict[str, Any]:
    world = state.world
    partition: Partition = (
        token.relying_party.lower(),
        index.school.code,
        endpoint.name,
        record_id or "",
        params.partition(),
    )
    ctx = Context(world, index, params, record_id)
    rendered = state.rendered(endpoint, ctx, grant.scopes, partition)
    page = params.positive_int("page")
    page_size = params.positive_int("pageSize")
    select = params.select()
    changed = params.get("changedRows")

    tables: list[tuple[TableSpec, list[Row]]] = [(s, rows) for s, rows, _ in rendered.tables]
    deleted: dict[str, list[str | None]] | None = None
    changed_rows: Row | None = None
    if changed is not None:
        now = state.control.clock()
        if changed == "*":
            previous = "*"
        else:
            old = state.changesets.lookup(changed)
            if old is None or old.partition != partition:
                raise bad_request(
                    f"The changedRows value '{changed}' is not a change set of this endpoint "
                    "and filters; start a new change set with changedRows=*."
                )
            diff = state.changesets.diff(old, rendered)
            tables = [(s, rows if s.info else diff.rows[s.name][0]) for s, rows in tables]
            deleted = diff.deleted
            previous = old.previous
        snapshot = state.changesets.remember(partition, world.revision, changed, now, rendered)
        size_part = f"&page=1&pageSize={page_size or MAX_PAGE_SIZE}" if page or page_size else ""
        changed_rows = {
            "SnapshotDate": utc_ts(snapshot.created),
            "SnapshotRP": token.relying_party,
            "PreviousChangedRows": previous,
            "RequestedChangedRows": changed,
            "NextChangedRows": snapshot.token,
            "NextUrl": f"?changedRows={snapshot.token}{size_part}",
        }

    # Pagination applies to every data table with the same window, after the change set
    # (§2.1 "Change sets are calculated before pagination is applied").
    size = min(page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    number = page or 1
    data = [rows for s, rows in tables if not s.info]
    page_count = max(1, *(math.ceil(len(rows) / size) for rows in data)) if data else 1
    primary_count = len(data[0]) if data else 0
    start = (number - 1) * size

    body: dict[str, Any] = {}
    for position, (spec, rows) in enumerate(tables):
        shown = rows if spec.info else rows[start : start + size]
        if position == 0 and select is not None:
            shown = _apply_select(shown, rendered.visible[spec.name], select)
        body[spec.name] = shown
    body["meta"] = [{"Id": 1, "MIS": "simsnet", "Version": "4", "DateTime": rendered.meta_time}]
    if deleted is not None:
        for spec, _ in tables:
            if not spec.info:
                ids = sorted(deleted.get(spec.name, []), key=sort_key)
                body[f"{spec.name}_deleted"] = [{"Id": id_} for id_ in ids]
    if endpoint.paginated:
        body["__pagination__"] = [
            {
                "PageSize": size,
                "PageNumber": number,
                "PageCount": page_count,
                "RowCount": primary_count,
                # EXT: NextPage is present even on the last page (§2.2).
                "NextPage": f"?page={number + 1}&pageSize={size}",
            }
        ]
    if changed_rows is not None:
        body["__changedRows__"] = [changed_rows]
    return body


def _apply_select(rows: list[Row], visible: list[str], select: list[SelectItem]) -> list[Row]:
    """`select=DisplayName as Name,RegGroup as Form` on the primary table (§2.1)."""
    by_lower = {name.lower(): name for name in visible}
    chosen: list[tuple[str, str]] = []  # (source column, output name)
    for item in select:
        if item.column == "*":
            chosen.extend((name, name) for name in visible)
            continue
        source = by_lower.get(item.column.lower())
        if source is None:
            raise bad_request(f"Invalid column name '{item.column}' in select.")
        chosen.append((source, item.alias or source))
    return [{out: row.get(src) for src, out in chosen} for row in rows]


# -- token and management APIs ----------------------------------------------------------------


def _management_body(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        **payload,
        "Message": None,
        "ExceptionType": None,
        "ExceptionMessage": None,
        "InnerException": None,
    }


def _token_scopes(state: XporterState, token: Token) -> list[str]:
    if token.management:
        return []  # "They do not have access to school level data" (§1.1).
    grant = state.auth.grant(token.relying_party, token.estab or "")
    return sorted(grant.scopes) if grant is not None else []


async def _token_details(request: web.Request) -> web.Response:
    state = request.app[XPORTER_STATE]
    params = Params(request.query)
    try:
        token = state.auth.authenticate(request.headers.get("Authorization"), state.control.clock())
        state.check_rate(token)
        school = state.world.school_by_code(token.estab) if token.estab else None
        return json_response(
            _management_body(
                {
                    "Estab": token.estab or "",
                    "Expires": utc_ts(token.expires),
                    "Name": school.name if school else token.relying_party,
                    "RelyingParty": token.relying_party,
                    "Scopes": _token_scopes(state, token),
                }
            )
        )
    except XporterError as error:
        return _error(error, params)


async def _scopes(request: web.Request) -> web.Response:
    state = request.app[XPORTER_STATE]
    params = Params(request.query)
    try:
        token = state.auth.authenticate(request.headers.get("Authorization"), state.control.clock())
        state.check_rate(token)
        scopes = [
            {
                "Name": name,
                "Category": SCOPE_CATALOGUE[name][0],
                "Description": SCOPE_CATALOGUE[name][1],
            }
            for name in _token_scopes(state, token)
            if name in SCOPE_CATALOGUE
        ]
        return json_response(_management_body({"Scopes": scopes}))
    except XporterError as error:
        return _error(error, params)


async def _get_xod_schools(request: web.Request) -> web.Response:
    state = request.app[XPORTER_STATE]
    params = Params(request.query)
    try:
        token = state.auth.authenticate(request.headers.get("Authorization"), state.control.clock())
        state.check_rate(token)
        if not token.management:
            raise forbidden(
                "GetXodSchools needs a management token: request one with an empty "
                "estab and your managementSecret."
            )
        only = params.get("estab")
        pending = params.flag("includePendingAuthorisation")
        world = state.world
        authorised: list[dict[str, Any]] = []
        revoked: list[dict[str, Any]] = []
        invited: list[dict[str, Any]] = []
        for grant in state.auth.grants_of(token.relying_party):
            if only is not None and grant.estab != only:
                continue
            school = world.school_by_code(grant.estab)
            name = school.name if school else None
            if grant.revoked:
                revoked.append(
                    {
                        "estab": grant.estab,
                        "schoolName": name,
                        "dateRevoked": f"{world.today.isoformat()}T00:00:00",
                    }
                )
            elif grant.paused:
                if pending:
                    invited.append(
                        {
                            "estab": grant.estab,
                            "schoolName": name,
                            "dateInvited": _local_day(world, -7, time(10, 25, 37)),
                            "installedStatus": True,
                            "installMessage": None,
                        }
                    )
            else:
                authorised.append(
                    {
                        "estab": grant.estab,
                        "schoolName": name,
                        "dateAuthorised": _local_day(world, -200, time(10, 5, 1)),
                        "scopesAuthorised": ",".join(sorted(grant.scopes)),
                        "installedStatus": True,
                        "installMessage": None,
                    }
                )
        # The doc's example body has exactly these three keys (§1.4).
        return json_response(
            {"Authorised": authorised, "Revoked": revoked, "PendingAuthorisation": invited}
        )
    except XporterError as error:
        return _error(error, params)


def _local_day(world: World, offset_days: int, at: time) -> str:
    return datetime.combine(world.today + timedelta(days=offset_days), at).isoformat()


async def _unknown_api(request: web.Request) -> web.Response:
    params = Params(request.query)
    return _error(
        not_found(f"No HTTP resource was found that matches the request URI '{request.path}'."),
        params,
    )


# -- /__sim/xporter/ (simulator-only controls) -------------------------------------------------


def _sim_error(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


async def _sim_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise _sim_error("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _sim_error("The body must be a JSON object.")
    return body


async def _sim_list_authorisations(request: web.Request) -> web.Response:
    state = request.app[XPORTER_STATE]
    grants = sorted(state.auth.authorisations.values(), key=lambda a: (a.relying_party, a.estab))
    return web.json_response({"authorisations": [g.as_json() for g in grants]})


async def _sim_put_authorisation(request: web.Request) -> web.Response:
    """Create or change a grant: `{relyingParty, estab, schoolSecret?, scopes?, paused?,
    revoked?, managementSecret?}`."""
    state = request.app[XPORTER_STATE]
    body = await _sim_body(request)
    relying_party = str(body.get("relyingParty") or "").strip()
    estab = str(body.get("estab") or "").strip()
    if not relying_party or not estab:
        raise _sim_error("relyingParty and estab are required.")
    grant = state.auth.grant(relying_party, estab)
    scopes = body.get("scopes")
    if scopes is not None:
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise _sim_error("scopes must be a list of scope names.")
        unknown = sorted(set(scopes) - set(SCOPE_CATALOGUE))
        if unknown:
            raise _sim_error(f"Unknown scopes {unknown}.")
    if grant is None:
        secret = body.get("schoolSecret")
        if not isinstance(secret, str) or not secret:
            raise _sim_error("schoolSecret is required for a new authorisation.")
        grant = Authorisation(relying_party, estab, secret, frozenset(scopes or ()))
    else:
        if isinstance(body.get("schoolSecret"), str) and body["schoolSecret"]:
            grant.school_secret = body["schoolSecret"]
        if scopes is not None:
            grant.scopes = frozenset(scopes)
    grant.paused = bool(body.get("paused", grant.paused))
    grant.revoked = bool(body.get("revoked", grant.revoked))
    state.auth.put(grant)
    if isinstance(body.get("managementSecret"), str) and body["managementSecret"]:
        state.auth.set_management_secret(relying_party, body["managementSecret"])
    return web.json_response(grant.as_json())


async def _sim_pause(request: web.Request) -> web.Response:
    """`{estab, relyingParty?, paused?}`: pause (default) or resume a school's authorisation."""
    state = request.app[XPORTER_STATE]
    body = await _sim_body(request)
    estab = str(body.get("estab") or "").strip()
    relying_party = str(body.get("relyingParty") or state.world.credentials.xporter_relying_party)
    grant = state.auth.grant(relying_party, estab)
    if grant is None:
        raise _sim_error(f"{relying_party} has no authorisation for estab {estab!r}.")
    grant.paused = bool(body.get("paused", True))
    return web.json_response(grant.as_json())
