"""The seed's admin screens as a JSON API under `/sim/` (tass.md §D.5; not part of any TASS
contract, so tests and demos can create restricted users and exercise key sharing).

Routes:

* `GET /sim/admin/companies`, `GET /sim/admin/endpoints` (generic endpoints, verbs, fields);
* `GET|POST /sim/admin/api-users`, `GET|PATCH /sim/admin/api-users/{user_code}`
  (`user_code` is generated and immutable);
* `PUT /sim/admin/api-users/{user_code}/companies` `{"companies": ["01"]}`;
* `PUT /sim/admin/api-users/{user_code}/endpoints` `{"endpoints": [{"endpoint", "enabled",
  "read", "read_fields": "All"|[...], "add", "update", "update_fields", "delete",
  "security_role"}]}` (a missing `security_role` key means the full-access role; `null`
  leaves the endpoint in the 'Alert' state);
* `GET|POST|DELETE /sim/admin/api-users/{user_code}/key`: the Key Generation screen
  (`{"passphrase", "link_expiry_hours"}`; status message, Link Expiry, Action history);
* `GET /sim/admin/outbox`: the emails "sent";
* `GET|POST /sim/keyshare/{link_id}`: the emailed link; POST `{"passphrase"}` reveals
  `clientKey`/`clientSecret` once;
* `GET /sim/admin/audit/logs|recent-errors|top-users|top-endpoints|users|endpoints`,
  `GET /sim/admin/audit/users/{user}/stats`, `GET /sim/admin/audit/endpoints/{endpoint}/stats`,
  `GET /sim/admin/audit/errors/{request_id}`: the logging and analytics suite (§C.7);
* `GET|POST /sim/admin/legacy-apps`: the legacy API Gateway Maintenance apps.

Errors use the same problem-details shape as the 2026 face.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web

from . import paths
from .accounts import LINK_EXPIRY_OPTIONS, AccountError, ApiUser, EndpointGrant, LegacyApp
from .api2026 import problem, school_zone
from .audit import AuditQueryError
from .crypto import TokenError, decode_key
from .formats import dmy_hm, local
from .legacy import METHODS
from .state import FULL_ACCESS_ROLE, STATE, TassState

__all__ = ["install_admin"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _guard(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except AccountError as exc:
            return problem(exc.status, exc.message, errors=exc.errors or None)
        except AuditQueryError as exc:
            return problem(400, str(exc))

    return wrapped


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise AccountError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise AccountError(400, "The request body must be a JSON object.")
    return body


def _state(request: web.Request) -> TassState:
    return request.app[STATE]


def _company_names(state: TassState, codes: list[str]) -> list[str]:
    companies = state.store.companies()
    return [companies[c].name for c in codes if c in companies]


def _user_json(state: TassState, user: ApiUser) -> dict[str, Any]:
    companies = state.store.companies()
    return {
        "user_code": user.user_code,
        "user_name": user.user_name,
        "purpose": user.purpose,
        "enabled": user.enabled,
        "contact_name": user.contact_name,
        "contact_email": user.contact_email,
        "contact_phone": user.contact_phone,
        "companies": [
            {paths.COMPANY_CODE: c, paths.COMPANY_NAME: companies[c].name}
            for c in user.companies
            if c in companies
        ],
        "endpoints": [user.endpoints[t].as_json() for t in sorted(user.endpoints)],
        "key_status": state.accounts.status(user, state.now()),
    }


def _key_json(state: TassState, user: ApiUser) -> dict[str, Any]:
    zone = school_zone(state)
    status = state.accounts.status(user, state.now())
    key = user.key
    return {
        "user_code": user.user_code,
        "status": status,
        "link_expiry": dmy_hm(key.link_expires, zone)
        if key and key.viewed_at is None and key.pending_secret is not None
        else None,
        "link_expiry_options": list(LINK_EXPIRY_OPTIONS),
        "history": [
            {"action": action, "date_time": dmy_hm(at, zone)}
            for at, action in sorted(user.history, key=lambda h: h[0])
        ],
    }


def _str(body: dict[str, Any], name: str, default: str = "") -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise AccountError(400, f"{name} must be a string.", {name: ["Expected a string."]})
    return value


def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise AccountError(400, f"{name} must be true or false.", {name: ["Expected a bool."]})
    return value


# --------------------------------------------------------------------------- users


async def list_companies(request: web.Request) -> web.StreamResponse:
    return _ok(
        [
            {paths.COMPANY_CODE: c.code, paths.COMPANY_NAME: c.name}
            for c in _state(request).store.companies().values()
        ]
    )


async def list_endpoints(request: web.Request) -> web.StreamResponse:
    return _ok(
        [
            {
                "endpoint": e.template,
                "methods": list(e.methods),
                "fields": list(paths.wire_names(e.resource)) if e.resource else [],
            }
            for e in paths.ENDPOINTS
        ]
    )


async def list_users(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    return _ok([_user_json(state, u) for _, u in sorted(state.accounts.users.items())])


async def create_user(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    body = await _body(request)
    if "user_code" in body:
        raise AccountError(
            400,
            "The User Code is generated automatically.",
            {"user_code": ["The User Code cannot be set."]},
        )
    user = state.accounts.create_user(
        user_name=_str(body, "user_name"),
        enabled=_bool(body, "enabled", True),
        contact_name=_str(body, "contact_name"),
        contact_email=_str(body, "contact_email"),
        purpose=_str(body, "purpose"),
        contact_phone=_str(body, "contact_phone"),
    )
    if "companies" in body:
        _set_companies(state, user, body["companies"])
    if "endpoints" in body:
        _set_endpoints(user, body["endpoints"])
    return _ok(_user_json(state, user), 201)


async def get_user(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    return _ok(_user_json(state, state.accounts.user(request.match_info["user_code"])))


async def patch_user(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    user = state.accounts.user(request.match_info["user_code"])
    body = await _body(request)
    if "user_code" in body and body["user_code"] != user.user_code:
        raise AccountError(
            400,
            "The User Code cannot be changed.",
            {"user_code": ["The User Code cannot be changed."]},
        )
    for name in ("user_name", "contact_name", "contact_email"):
        if name in body:
            value = _str(body, name).strip()
            if not value:
                raise AccountError(400, f"{name} is mandatory.", {name: ["Required."]})
            setattr(user, name, value)
    for name in ("purpose", "contact_phone"):
        if name in body:
            setattr(user, name, _str(body, name))
    if "enabled" in body:
        user.enabled = _bool(body, "enabled", True)
    return _ok(_user_json(state, user))


def _set_companies(state: TassState, user: ApiUser, codes: Any) -> None:
    known = state.store.companies()
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise AccountError(400, "companies must be a list of company codes.")
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise AccountError(
            400,
            f"Company {unknown[0]!r} does not exist.",
            {"companies": [f"Unknown company {c!r}." for c in unknown]},
        )
    user.companies = sorted(dict.fromkeys(codes))


async def put_companies(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    user = state.accounts.user(request.match_info["user_code"])
    body = await _body(request)
    _set_companies(state, user, body.get("companies"))
    return _ok(_user_json(state, user))


def _fields(value: Any, name: str, resource: str) -> tuple[str, ...] | None:
    if value is None or value == "All":
        return None
    known = set(paths.wire_names(resource)) if resource else set()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AccountError(400, f"{name} must be 'All' or a list of field names.")
    unknown = sorted(set(value) - known)
    if unknown:
        raise AccountError(
            400,
            f"{unknown[0]!r} is not a field of this endpoint.",
            {name: [f"Unknown field {u!r}." for u in unknown]},
        )
    return tuple(dict.fromkeys(value))


def _set_endpoints(user: ApiUser, rows: Any) -> None:
    if not isinstance(rows, list):
        raise AccountError(400, "endpoints must be a list.")
    grants: dict[str, EndpointGrant] = {}
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("endpoint"), str):
            raise AccountError(400, "Each endpoint row needs an 'endpoint' template.")
        endpoint = paths.ENDPOINTS_BY_TEMPLATE.get(row["endpoint"])
        if endpoint is None:
            raise AccountError(
                400, f"{row['endpoint']!r} is not an endpoint; see /sim/admin/endpoints."
            )
        role = row.get("security_role", FULL_ACCESS_ROLE)
        if role is not None and not isinstance(role, str):
            raise AccountError(400, "security_role must be a string or null.")
        grants[endpoint.template] = EndpointGrant(
            endpoint.template,
            enabled=_bool(row, "enabled", True),
            read=_bool(row, "read", True),
            read_fields=_fields(row.get("read_fields"), "read_fields", endpoint.resource),
            add=_bool(row, "add", False),
            update=_bool(row, "update", False),
            update_fields=_fields(row.get("update_fields"), "update_fields", endpoint.resource),
            delete=_bool(row, "delete", False),
            security_role=role,
        )
    user.endpoints = grants


async def put_endpoints(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    user = state.accounts.user(request.match_info["user_code"])
    body = await _body(request)
    _set_endpoints(user, body.get("endpoints"))
    return _ok(_user_json(state, user))


# --------------------------------------------------------------------------- keys


async def get_key(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    return _ok(_key_json(state, state.accounts.user(request.match_info["user_code"])))


async def generate_key(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    user = state.accounts.user(request.match_info["user_code"])
    body = await _body(request)
    hours = body.get("link_expiry_hours")
    if not isinstance(hours, int) or isinstance(hours, bool):
        raise AccountError(
            400,
            "link_expiry_hours is mandatory.",
            {"link_expiry_hours": [f"Choose one of {list(LINK_EXPIRY_OPTIONS)}."]},
        )
    record = state.accounts.generate_key(
        user,
        passphrase=_str(body, "passphrase"),
        link_expiry_hours=hours,
        now=state.now(),
        link_base=str(request.url.origin()),
        company_names=_company_names(state, user.companies)
        or _company_names(state, list(state.store.world.credentials.tass_company_codes[:1])),
    )
    out = _key_json(state, user)
    out["link"] = state.accounts.outbox[-1].link
    out["link_id"] = record.link_id
    return _ok(out, 201)


async def delete_key(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    user = state.accounts.user(request.match_info["user_code"])
    state.accounts.delete_key(user, state.now())
    return _ok(_key_json(state, user))


async def outbox(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    zone = school_zone(state)
    return _ok(
        [
            {
                "sent_at": dmy_hm(e.sent_at, zone),
                "from": e.sender,
                "to": e.to,
                "subject": e.subject,
                "message": e.message,
                "link": e.link,
            }
            for e in state.accounts.outbox
        ]
    )


async def keyshare_page(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    user = state.accounts.check_link(request.match_info["link_id"], state.now())
    key = user.key
    return _ok(
        {
            "user_name": user.user_name,
            "link_expiry": dmy_hm(key.link_expires, school_zone(state)) if key else None,
            "attempts_remaining": 3 - key.failures if key else 0,
            "message": "Enter the passphrase the school shared with you to view your key "
            "and secret. You can view them once.",
        }
    )


async def keyshare_verify(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    body = await _body(request)
    key, secret = state.accounts.verify(
        request.match_info["link_id"], _str(body, "passphrase"), state.now()
    )
    return _ok({paths.AUTH_KEY: key, paths.AUTH_SECRET: secret})


# --------------------------------------------------------------------------- audit


def _limit(request: web.Request, default: int | None) -> int | None:
    raw = request.query.get("limit", request.query.get("top"))
    if raw is None:
        return default
    if raw.lower() == "all":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise AccountError(400, f"limit must be a positive integer or 'all', got {raw!r}.")
    return int(raw)


def _multi(request: web.Request, name: str) -> list[str]:
    return [
        v.strip() for raw in request.query.getall(name, []) for v in raw.split(",") if v.strip()
    ]


def _date(request: web.Request, name: str) -> date | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise AccountError(400, f"{name} must be a YYYY-MM-DD date, got {raw!r}.") from None


async def audit_logs(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    statuses = _multi(request, "status")
    if not all(s.isdigit() for s in statuses):
        raise AccountError(400, "status must list HTTP status codes.")
    records = state.audit.query(
        today=local(state.now(), school_zone(state)).date(),
        date_from=_date(request, "date_from"),
        date_to=_date(request, "date_to"),
        error_message=request.query.get("error_message", ""),
        methods=_multi(request, "methods"),
        statuses=[int(s) for s in statuses],
        errors_only=request.query.get("errors_only", "").lower() == "true",
        users=_multi(request, "users"),
        companies=_multi(request, "companies"),
        endpoints=_multi(request, "endpoints"),
    )
    return _ok(
        {
            "count": len(records),
            "records": [r.grid_row() for r in records],
            "status_codes": sorted({r.status for r in state.audit.records}),
        }
    )


async def recent_errors(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    return _ok(state.audit.recent_errors(_limit(request, 10) or 10, request.query.get("user")))


async def top_users(request: web.Request) -> web.StreamResponse:
    return _ok(_state(request).audit.top_users(_limit(request, 5)))


async def all_users(request: web.Request) -> web.StreamResponse:
    return _ok(_state(request).audit.top_users(None))


async def top_endpoints(request: web.Request) -> web.StreamResponse:
    return _ok(_state(request).audit.top_endpoints(_limit(request, 5)))


async def all_endpoints(request: web.Request) -> web.StreamResponse:
    return _ok(_state(request).audit.top_endpoints(None))


async def user_stats(request: web.Request) -> web.StreamResponse:
    stats = _state(request).audit.user_stats(request.match_info["user"], _limit(request, 5))
    if stats is None:
        raise AccountError(404, "The user has no recorded activity.")
    return _ok(stats)


async def endpoint_stats(request: web.Request) -> web.StreamResponse:
    endpoint = "/" + request.match_info["endpoint"].lstrip("/")
    stats = _state(request).audit.endpoint_stats(endpoint)
    if stats is None:
        raise AccountError(404, f"The endpoint {endpoint!r} has no recorded activity.")
    return _ok(stats)


async def error_details(request: web.Request) -> web.StreamResponse:
    record = _state(request).audit.find(request.match_info["request_id"])
    if record is None:
        raise AccountError(404, "No audit record has that Request ID.")
    return _ok(record.details())


# --------------------------------------------------------------------------- legacy apps


def _app_json(app: LegacyApp) -> dict[str, Any]:
    return {
        "appcode": app.appcode,
        "companies": list(app.companies),
        "security_role": sorted(app.security_role) if app.security_role is not None else None,
        "versions": ["3"] if app.security_role is not None else ["1", "2"],
        "methods": sorted(app.methods) if app.methods is not None else "All",
        "enabled": app.enabled,
    }


async def list_legacy_apps(request: web.Request) -> web.StreamResponse:
    apps = _state(request).accounts.legacy_apps
    return _ok([_app_json(a) for _, a in sorted(apps.items())])


async def create_legacy_app(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    body = await _body(request)
    appcode = _str(body, "appcode").strip().upper()
    if not appcode:
        raise AccountError(400, "appcode is mandatory.", {"appcode": ["Required."]})
    token_key = _str(body, "token_key")
    try:
        decode_key(token_key)
    except TokenError as exc:
        raise AccountError(400, str(exc), {"token_key": [str(exc)]}) from None
    companies = body.get("companies", [])
    if not isinstance(companies, list) or not all(isinstance(c, str) for c in companies):
        raise AccountError(400, "companies must be a list of company codes.")
    role = body.get("security_role")
    if role is not None and (
        not isinstance(role, list) or not all(isinstance(r, str) for r in role)
    ):
        raise AccountError(400, "security_role must be null or a list of permission paths.")
    methods = body.get("methods")
    if methods is not None:
        if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
            raise AccountError(400, "methods must be null or a list of method names.")
        unknown = [m for m in methods if m.lower() not in METHODS]
        if unknown:
            raise AccountError(400, f"{unknown[0]!r} is not an implemented method.")
    app = LegacyApp(
        appcode,
        token_key,
        tuple(companies),
        frozenset(role) if role is not None else None,
        frozenset(m.lower() for m in methods) if methods is not None else None,
        _bool(body, "enabled", True),
    )
    state.accounts.legacy_apps[appcode] = app
    return _ok(_app_json(app), 201)


def install_admin(app: web.Application) -> None:
    """Register the `/sim/` admin and keyshare routes."""
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/sim/admin/companies", list_companies),
        ("GET", "/sim/admin/endpoints", list_endpoints),
        ("GET", "/sim/admin/api-users", list_users),
        ("POST", "/sim/admin/api-users", create_user),
        ("GET", "/sim/admin/api-users/{user_code}", get_user),
        ("PATCH", "/sim/admin/api-users/{user_code}", patch_user),
        ("PUT", "/sim/admin/api-users/{user_code}/companies", put_companies),
        ("PUT", "/sim/admin/api-users/{user_code}/endpoints", put_endpoints),
        ("GET", "/sim/admin/api-users/{user_code}/key", get_key),
        ("POST", "/sim/admin/api-users/{user_code}/key", generate_key),
        ("DELETE", "/sim/admin/api-users/{user_code}/key", delete_key),
        ("GET", "/sim/admin/outbox", outbox),
        ("GET", "/sim/keyshare/{link_id}", keyshare_page),
        ("POST", "/sim/keyshare/{link_id}", keyshare_verify),
        ("GET", "/sim/admin/audit/logs", audit_logs),
        ("GET", "/sim/admin/audit/recent-errors", recent_errors),
        ("GET", "/sim/admin/audit/top-users", top_users),
        ("GET", "/sim/admin/audit/top-endpoints", top_endpoints),
        ("GET", "/sim/admin/audit/users", all_users),
        ("GET", "/sim/admin/audit/endpoints", all_endpoints),
        ("GET", "/sim/admin/audit/users/{user}/stats", user_stats),
        ("GET", "/sim/admin/audit/endpoints/{endpoint:.+}/stats", endpoint_stats),
        ("GET", "/sim/admin/audit/errors/{request_id}", error_details),
        ("GET", "/sim/admin/legacy-apps", list_legacy_apps),
        ("POST", "/sim/admin/legacy-apps", create_legacy_app),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _guard(handler))
