"""The TASS simulator: two faces over one data store (tass.md §D).

* The **2026 API** of the seed "API Endpoint Maintenance" (`/api`): key/secret ->
  "POS User - Authenticate" (`POST /api/users`) -> a bearer token valid 15 minutes -> per-company
  resources with OData `$top`/`$skip`/`$filter`, per-endpoint Read/Add/Update/Delete and
  per-field permissions, problem-details errors, 401/403/405/429. Paths and wire names come from
  an unofficial client and live in `paths.py` alone. See `api2026.py`.
* The **legacy TASS.web API** (`/tassweb/api/`): `method`, `appcode`, `company`, `v` and the
  AES-128-ECB `token`, the documented methods, field shapes and `__invalid`/`__msg` errors.
  See `legacy.py` and `crypto.py`.
* The seed's **admin screens** as JSON under `/sim/admin/` and the emailed key-share link under
  `/sim/keyshare/` (users, companies, endpoint grants, key generation, audit logs and
  analytics). See `admin.py`, `accounts.py` and `audit.py`.

The world is read through `store.py`, whose docstring lists how the neutral world maps onto
TASS (companies "01"/"02", codes, groups, semesters, absences, contacts). Every other reading
of a DOC-SILENT point is listed in the docstring of the module that implements it.

Demo credentials (all from `world.credentials`): 2026 key `tass_client_key`, secret
`tass_client_secret`, companies `tass_company_codes` ("01" holds the school, "02" is an empty
second company); legacy appcode `tass_legacy_appcode` with Token Key `tass_legacy_token_key`
for the same companies and `v=3`. The documentation's own example app `MYAPP01` (company "99",
key `+TG1ZTqy0hTu5h0KMhCP0A==`) is also registered, so the README URL answers verbatim.
"""

from __future__ import annotations

from .app import create_tass_app, tass_error_response
from .crypto import decrypt_token, encrypt_token
from .state import STATE, TassConfig
from .store import company_names

__all__ = [
    "STATE",
    "TassConfig",
    "company_names",
    "create_tass_app",
    "decrypt_token",
    "encrypt_token",
    "tass_error_response",
]
