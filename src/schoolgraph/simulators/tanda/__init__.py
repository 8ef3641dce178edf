"""A faithful simulator of the Tanda / Workforce.com API v2 (contract: `tanda.md`).

`create_tanda_app(holder)` serves `/api/oauth/token`, `/api/oauth/authorize` and
`/api/v2/...` over the shared world: users (`/users`, `/users/me`, `/users/inactive`,
`/users/{id}`), teams (`/departments`), `/locations`, `/rosters` (by id, current, on date),
`/schedules` (by ids, by user and dates, create/update/delete, publish), `/shifts`,
`/timesheets` (current, on date, for a user, by id), `/leave`, `/leave_balances` and
`/webhooks`, plus the shared `/__sim/` control plane.

Demo logins: the admin is `credentials.tanda_admin_email` / `tanda_admin_password`; any
other active Tanda user with an email logs in with `user_password(world, user)` (see
`auth.py`), so an employee's and a team manager's view of §3.6 can be exercised. The OAuth
application is `tanda_client_id` / `tanda_client_secret` / `tanda_redirect_uri`.

Contract points read one way where the digest is silent or conflicting:

* Auth (§2): the bearer scheme is matched case-insensitively; a missing, unknown or expired
  token is 401, a missing scope 403, both `{"error": ...}`. Token endpoint errors carry the
  RFC 6749 code as the message (`{"error": "invalid_grant"}`). Refresh tokens rotate and
  work once; the access token they replace stays valid until it expires. Password tokens
  never expire. `X-Organisation-Id` or `X-User-Id` naming an organisation or profile the
  user lacks is 403. The authorize step is a small HTML login form (GET) that POSTs back.
* Visibility (§3.6): admins see and change everything. A team manager sees and changes the
  staff of the teams they manage (and those teams' schedules, published or not); everyone
  sees themself. Employees see only published schedules: their own, and their teams'
  colleagues' except on `GET /schedules?ids=` without `include_colleagues=true`. `GET /users`
  for an employee lists only themself. Employees get the four-field team view (plus
  `updated_at`, §3.5). Only admins manage webhooks and create or delete teams. Reading an
  existing object one may not see is 403; an unknown id is 404 "No known <thing> with that
  id!" (§3.7 recommendation).
* Team managers (§4.2, §4.7): a team's `managers` are exactly the users whose
  `managed_department_ids` name it (the admin manages every team, so every team lists it);
  the world keeps them on the users only, so a write on either side (`manager_ids` of a
  team, `managed_department_ids` of a user) shows on the other, and marks the team changed.
* Rate limit (§3.1): fixed one-minute windows from a requester's first request; every API
  request counts, 304s included; unauthenticated API requests are counted per client
  address; `/api/oauth/*` is not counted but reports the address's window. Faults injected
  by `/__sim/faults` answer before the limiter, so they carry an ETag but no rate headers.
* ETag (§3.2): `"<sha1 of body>"` (quoted) on every response, errors included;
  `If-None-Match` matches with or without quotes or `W/`; only a 200 GET becomes a 304.
* Pagination (§3.8): opt-in; no `page`/`page_size` returns everything; `page_size` defaults
  to 50 and is clamped to 100; lists are sorted by id. Roster `meta` is
  `{"page", "page_size", "total"}`, present only when paging.
* `updated_after` (§3.5) keeps records changed strictly after that second (compared at full
  precision, so re-using the last seen `updated_at` repeats rather than misses a change).
  `last_costed_at` is not modelled (costs change only with the record), so `show_costs`
  does not widen the filter. A timesheet's and a roster's `updated_at` is the latest of
  their own and their shifts'/schedules'.
* Schedules (§4.4): `from`/`to` are required when `ids` is absent, inclusive, at most 7 days
  apart (so up to 8 calendar days), and filter on the local date of `start` in the user's
  time zone (a vacant schedule uses its team's location). `user_ids` may be omitted. Times
  are stored as sent; shift times are rounded to the minute (§4.6). The break key is
  `paid_meal_breaks`; the neutral world keeps one break per schedule and shift, so only the
  first of several breaks is stored, and a shift's break borrows the shift's id.
* Roster `schedules` is `[{"date", "schedules": [...]}]` for each day of the roster week,
  `finish` = `start` + 6 days (§4.3); `/rosters/current` and `/rosters/on/{date}` answer
  204 without a body when no roster holds the date.
* Timesheets (§4.5): "current" is the period holding today in the organisation's zone (the
  user's zone for `/for/{user_id}/current`); no timesheet there is 404 in the documented
  shape; `export_format` is refused with 400 (no format list is documented). Shift edits
  on an exported timesheet are refused with 400. `approved_at` is unix, as the example.
* Leave (§4.10): `department_id` is not returned (the create prose says so);
  `daily_breakdown` is the object keyed by date (the response schema); approved leave has
  one shift per day carrying `leave_request_id`, removed again if the leave leaves
  `approved`. Managers may not approve their own leave (the org setting is off).
* Writes accept the documented fields; those the neutral world does not store (award,
  qualifications, tax, bank, allowances, tags, `legal_middle_names`, `preferred_hours`, ...)
  are accepted and not stored, and read back as the doc's defaults. DELETE answers 200
  with the deleted object (the doc documents no body).
* Webhooks (§4.15): see `webhooks.py` for topics, payload types, signing and retries.
"""

from __future__ import annotations

from .app import create_tanda_app
from .auth import SCOPES, user_password
from .demo import demo_credentials
from .errors import error_response

__all__ = ["SCOPES", "create_tanda_app", "demo_credentials", "error_response", "user_password"]
