"""Per-app state of the TASS simulator, shared by both faces and the admin surface."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from aiohttp import web

from ..control import SimControl
from .accounts import Accounts, EndpointGrant, LegacyApp
from .audit import AuditLog
from .paths import ENDPOINTS, MAX_TOP
from .store import DataStore

__all__ = ["STATE", "TassConfig", "TassState", "UdAreaData"]

# tass.md §D.2 "Test vectors": the README's key, so its example URL works verbatim.
DOC_TOKEN_KEY = "+TG1ZTqy0hTu5h0KMhCP0A=="  # noqa: S105 - published documentation key
FULL_ACCESS_ROLE = "API Full Access"


@dataclass(frozen=True, slots=True)
class TassConfig:
    """Switches for DOC-SILENT behaviour (tass.md §D.1 principle 3).

    Attributes:
        rate_limit_per_minute: 2026 requests per API user per clock minute before 429 (the
            real limit is DOC-SILENT; `/__sim/faults` `rate_limit_per_minute` overrides it).
        token_lifetime: bearer lifetime, "valid for 15 minutes" (tass.md §C.6); the
            `token_lifetime_seconds` fault overrides it.
        max_top: the OData MaxTop of 2026 lists (`paths.MAX_TOP`); what a real server
            allows is DOC-SILENT (§D.3 "Paging").
        top_over_max: what a `$top` above `max_top` gets: "refuse", ASP.NET's 400 "The limit
            of 'N' for Top query has been exceeded"; or "cap", a page of `max_top` rows and no
            error, as a server that caps pages silently would.
        legacy_validation_status: HTTP status of a legacy `__invalid` answer (§D.2: 401).
        legacy_error_pages: put IIS's HTML error page before the legacy envelope of a 401
            or 501, as real servers do (§A.6 [ISSUE]); off, the envelope alone (§D.2).
        legacy_quirks: opt-in documented key typos (`"multipar_flg "` and the deceased flags
            with a trailing space, §B.1.1, §B.7.1).
        tass_version: the legacy envelope's `__tassversion`.
    """

    rate_limit_per_minute: int = 300
    token_lifetime: timedelta = timedelta(minutes=15)
    max_top: int = MAX_TOP
    top_over_max: Literal["refuse", "cap"] = "refuse"
    legacy_validation_status: int = 401
    legacy_error_pages: bool = True
    legacy_quirks: bool = False
    tass_version: str = "01.060.02.100"


@dataclass(slots=True)
class UdAreaData:
    """One student's data in one user-defined area (2026 face only; not part of the world)."""

    fields: dict[str, Any]
    updated_at: datetime


@dataclass(slots=True)
class TassState:
    store: DataStore
    control: SimControl
    config: TassConfig
    accounts: Accounts = field(default_factory=Accounts)
    audit: AuditLog = field(default_factory=AuditLog)
    udareas: dict[tuple[str, str], dict[str, UdAreaData]] = field(default_factory=dict)
    buckets: dict[str, tuple[int, int]] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.control.clock()

    def reset(self) -> None:
        """Back to the start: demo user and apps only, empty logs, buckets and UD areas."""
        self.accounts = Accounts()
        self.audit.clear()
        self.udareas.clear()
        self.buckets.clear()
        self.seed_accounts()

    def seed_accounts(self) -> None:
        """The demo API user (full grants on every endpoint) and the legacy apps."""
        creds = self.store.world.credentials
        user = self.accounts.create_user(
            user_name="schoolgraph demo",
            enabled=True,
            contact_name="schoolgraph",
            contact_email="integrations@schoolgraph.example",
            purpose="Demo API user of the schoolgraph simulator",
        )
        user.companies = list(creds.tass_company_codes)
        user.endpoints = {
            e.template: EndpointGrant(
                e.template,
                enabled=True,
                read=True,
                add=True,
                update=True,
                delete=True,
                security_role=FULL_ACCESS_ROLE,
            )
            for e in ENDPOINTS
        }
        self.accounts.install_key(user, creds.tass_client_key, creds.tass_client_secret, self.now())
        full = frozenset(PERMISSIONS_ALL)
        for app in (
            LegacyApp(
                creds.tass_legacy_appcode,
                creds.tass_legacy_token_key,
                tuple(creds.tass_company_codes),
                full,
            ),
            LegacyApp("MYAPP01", DOC_TOKEN_KEY, ("99",), full),
            LegacyApp("DEMOAPP", DOC_TOKEN_KEY, ("10",), None),
        ):
            self.accounts.legacy_apps[app.appcode.upper()] = app


# Every permission path a legacy method documents (tass.md §B); the full-access role has all.
PERMISSIONS_ALL: tuple[str, ...] = (
    "Student Records > Students > View",
    "Student Records > Students > Subjects Tab > View",
    "Student Records > Student Records Setup > Campuses Tab > View",
    "Student Records > Class Lists > View",
    "Teacher Records > Teachers > View",
    "Teacher Records > Teachers > Subjects Tab > View",
    "Employee/HR > Employees > View",
    "Timetables > Timetable Setup > Timetable Definitions > View",
    "Timetables > Timetable Calendar Setup > View",
    "Timetable > Print Student Timetables > View",
    "Timetable > Print Teacher Timetables > View",
    "Parent Records > Parent Records Setup - View",
    "Parent Records > Parents > Edit",
)

STATE: web.AppKey[TassState] = web.AppKey("tass_state", TassState)
