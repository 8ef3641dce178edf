"""Xporter STS tokens, school authorisations and consent scopes (xporter.md §1, §2.6).

* A school authorises a relying party (an app) for a set of consent scopes and issues it a
  `schoolSecret`; `Authorisation` is that grant. A paused authorisation answers the STS with
  the documented AuthorisationPaused body (§1.2); a revoked one is listed under `Revoked` by
  GetXodSchools and can no longer get tokens.
* `POST /idaas/sts/STS/GetToken` (EXT URL path, §1.2) takes `estab`, `relyingParty`,
  `password` and `thirdpartyid`, body keys matched case-insensitively (§1.2 SIM-PROPOSAL).
  With an estab and that school's secret it issues a school token; with no (or an empty)
  estab and the relying party's `managementSecret` it issues a management token (§1.1).
* Tokens are opaque random strings (base64, like the doc's `JhS0X....esMbPoHUOY=`), valid for
  five days unless the `token_lifetime_seconds` fault says otherwise (§1.2 EXT: one real
  capture expired 5 days after issue).
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..dataset import World
from .errors import XporterError, forbidden, unauthorised
from .rows import utc_ts

# The doc: thirdpartyid is "Always XporterOnDemand" (§1.2). The world's credential is accepted
# too, so `simulate` can print one value for scripts.
THIRD_PARTY_ID = "XporterOnDemand"
DEFAULT_TOKEN_LIFETIME = timedelta(days=5)

FAILED_MESSAGE = "Relying Party not found for estab or secret not correct"
PAUSED_MESSAGE = (
    "Authorisation is currently paused while the school finalises the selection of "
    "people they wish to include in this feed."
)

# Scope catalogue: names from the doc's Consent Scope columns, categories and descriptions
# from the EXT `GET /api/v1/Scopes` capture where it has them (§2.6).
SCOPE_CATALOGUE: dict[str, tuple[str, str]] = {
    "Address": (
        "Students",
        "Access to addresses for authorised person types (Students / Contacts)",
    ),
    "AgencyAgent": ("Students", "Access to data relating to agencies and agents"),
    "AssessmentResults": ("Students", "Access to assessment results for students"),
    "Attendance": ("Students", "Access to attendance summary and session/lesson attendance marks"),
    "Conduct": ("Students", "Access to behaviour & achievement records"),
    "ConductComments": ("Students", "Access to comments on behaviour & achievement records"),
    "Contact": (
        "Contacts",
        "Access to student parental contacts and their basic details (names, contact details)",
    ),
    "ContactFreeText": ("Contacts", "Access to free text fields for contacts"),
    "DietaryNeeds": ("Students", "Access to student dietary needs"),
    "EndpointInfo": ("School", "Xporter agent information and school connectivity check updates"),
    "ExamsResults": ("Students", "Access to exam results for students"),
    "FundingMonitoring": ("Students", "Access to funding and monitoring records"),
    "ParentalConsents": ("Students", "Access to parental consents"),
    "Photos": ("Students,Staff", "Access to photos for Students / Staff"),
    "Post16Study": ("Students", "Access to post-16 study programmes"),
    "School": (
        "School",
        "Access to structural school information such as groups, timetable & assessment structure",
    ),
    "SchoolLite": (
        "School",
        "Access to structural school information such as groups & headteacher contact details",
    ),
    "SEN": ("Students", "Access to SEN provision"),
    "SENEHCP": ("Students", "Access to SEN education, health and care plans"),
    "SENEvents": ("Students", "Access to SEN events"),
    "SENReviews": ("Students", "Access to SEN reviews"),
    "SENStatements": ("Students", "Access to SEN statements"),
    "SENTypes": ("Students", "Access to SEN provision and specific needs"),
    "Staff": ("Staff", "Access to basic staff details (names & work contact details)"),
    "StaffLite": ("Staff", "Access to basic staff details (names & work contact details)"),
    "StaffAbsence": ("Staff", "Access to staff absence statistics and associated documents"),
    "StaffAddress": ("Staff", "Access to staff home addresses"),
    "StaffChecks": ("Staff", "Access to staff checks such as DBS"),
    "StaffContractual": ("Staff", "Access to staff contractual employment information"),
    "StaffEmployment": ("Staff", "Access to basic staff employment information"),
    "StaffExtended": ("Staff", "Access to staff gender, extended name information & date of birth"),
    "StaffFreeText": ("Staff", "Access to free text fields for staff"),
    "StaffNextOfKin": ("Staff", "Access to staff next of kin"),
    "StaffPersonalContact": ("Staff", "Access to staff home contact details"),
    "StaffQualifications": ("Staff", "Access to staff qualifications"),
    "Student": (
        "Students",
        "Access to basic student details (names, gender and enrolment details)",
    ),
    "StudentLite": ("Students", "Access to basic student details (names, gender)"),
    "StudentAlternativeProvision": ("Students", "Access to alternative provision records"),
    "StudentDemographic": ("Students", "Access to student demographic information"),
    "StudentDetentions": ("Students", "Access to student detentions"),
    "StudentEthnicity": ("Students", "Access to student ethnicity"),
    "StudentExclusions": ("Students", "Access to student exclusions"),
    "StudentExtended": ("Students", "Access to extended student details"),
    "StudentFamily": ("Students", "Access to student family and care information"),
    "StudentFreeText": ("Students", "Access to free text fields for students"),
    "StudentFunding": ("Students", "Access to student funding information"),
    "StudentMedical": ("Students", "Access to student medical information"),
    "StudentPregnancy": ("Students", "Access to student pregnancy information"),
    "UPN": ("Students", "Access to unique pupil numbers"),
    "WritebackConduct": ("Writeback", "Writeback rights for conduct"),
}

# A realistic grant for the demo relying party: core people, groups, timetable (School),
# attendance, and the fields a workforce integration matches on (mobiles, payroll numbers).
# "Group" and "Timetable" are not scope names in the contract: both are covered by School.
DEMO_SCOPES: frozenset[str] = frozenset(
    {
        "Address",
        "Attendance",
        "Contact",
        "School",
        "SEN",
        "Staff",
        "StaffEmployment",
        "StaffExtended",
        "Student",
        "StudentDemographic",
        "StudentExtended",
        "StudentFunding",
        "UPN",
    }
)


@dataclass(slots=True)
class Authorisation:
    """One school's authorisation of one relying party.

    Attributes:
        relying_party: the app id (`relyingParty`), matched case-insensitively.
        estab: the school's establishment number.
        school_secret: the `schoolSecret` the school issued for this app.
        scopes: the consent scopes the school granted.
        paused: the school is finalising who is in the feed (§1.2 AuthorisationPaused).
        revoked: the school revoked access (§1.4 GetXodSchools `Revoked`).
    """

    relying_party: str
    estab: str
    school_secret: str
    scopes: frozenset[str]
    paused: bool = False
    revoked: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "relyingParty": self.relying_party,
            "estab": self.estab,
            "schoolSecret": self.school_secret,
            "scopes": sorted(self.scopes),
            "paused": self.paused,
            "revoked": self.revoked,
        }


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    relying_party: str
    estab: str | None  # None for a management token
    issued: datetime
    expires: datetime

    @property
    def management(self) -> bool:
        return self.estab is None


@dataclass(slots=True)
class AuthState:
    """Authorisations, management secrets and issued tokens of one simulator."""

    third_party_ids: frozenset[str]
    authorisations: dict[tuple[str, str], Authorisation] = field(default_factory=dict)
    management_secrets: dict[str, tuple[str, str]] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)

    @classmethod
    def for_world(
        cls,
        world: World,
        *,
        scopes: Iterable[str] = DEMO_SCOPES,
        extra: Iterable[Authorisation] = (),
        management_secrets: Mapping[str, str] | None = None,
    ) -> AuthState:
        """The demo relying party authorised by every Xporter school, plus `extra` grants."""
        creds = world.credentials
        state = cls(frozenset({THIRD_PARTY_ID, creds.xporter_third_party_id}))
        for school in creds.xporter_schools:
            state.put(
                Authorisation(
                    creds.xporter_relying_party,
                    school.estab,
                    school.school_secret,
                    frozenset(scopes),
                )
            )
        for grant in extra:
            state.put(dataclasses.replace(grant))  # the sim routes change grants in place
        state.set_management_secret(creds.xporter_relying_party, creds.xporter_management_secret)
        for rp, secret in (management_secrets or {}).items():
            state.set_management_secret(rp, secret)
        return state

    def put(self, grant: Authorisation) -> None:
        self.authorisations[(grant.relying_party.lower(), grant.estab)] = grant

    def set_management_secret(self, relying_party: str, secret: str) -> None:
        self.management_secrets[relying_party.lower()] = (relying_party, secret)

    def grant(self, relying_party: str, estab: str) -> Authorisation | None:
        return self.authorisations.get((relying_party.lower(), estab))

    def grants_of(self, relying_party: str) -> list[Authorisation]:
        return sorted(
            (a for (rp, _), a in self.authorisations.items() if rp == relying_party.lower()),
            key=lambda a: a.estab,
        )

    # -- the STS ------------------------------------------------------------------------------

    def issue(self, body: Mapping[str, Any], now: datetime, lifetime: timedelta) -> dict[str, Any]:
        """Answer one GetToken body with the documented success, failed or paused body."""
        fields = {str(k).lower(): v for k, v in body.items()}
        estab = str(fields.get("estab") or "").strip()
        relying_party = str(fields.get("relyingparty") or "").strip()
        password = str(fields.get("password") or "")
        third_party = str(fields.get("thirdpartyid") or "").strip()
        if third_party not in self.third_party_ids or not relying_party or not password:
            return failed_body(FAILED_MESSAGE)
        if not estab:
            known = self.management_secrets.get(relying_party.lower())
            if known is None or not secrets.compare_digest(known[1], password):
                return failed_body(FAILED_MESSAGE)
            return self._new_token(known[0], None, now, lifetime)
        grant = self.grant(relying_party, estab)
        if grant is None or grant.revoked:
            return failed_body(FAILED_MESSAGE)
        if not secrets.compare_digest(grant.school_secret, password):
            return failed_body(FAILED_MESSAGE)
        if grant.paused:
            return failed_body(PAUSED_MESSAGE)
        return self._new_token(grant.relying_party, estab, now, lifetime)

    def _new_token(
        self, relying_party: str, estab: str | None, now: datetime, lifetime: timedelta
    ) -> dict[str, Any]:
        value = base64.b64encode(secrets.token_bytes(47)).decode()
        token = Token(value, relying_party, estab, now, now + lifetime)
        self.tokens[value] = token
        return {
            "token": value,
            "expires": utc_ts(token.expires),
            "Message": None,
            "ExceptionType": None,
            "ExceptionMessage": None,
            "InnerException": None,
        }

    # -- presenting a token --------------------------------------------------------------------

    def authenticate(self, header: str | None, now: datetime) -> Token:
        """The token in `Authorization: Idaas <token>` (§1.3), or an XporterError."""
        if not header:
            raise unauthorised(
                "Authorization has been denied for this request: send "
                "'Authorization: Idaas <token>'."
            )
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "idaas" or not value.strip():
            raise unauthorised(
                "Authorization has been denied for this request: the scheme "
                f"must be 'Idaas', got '{scheme}'."
            )
        token = self.tokens.get(value.strip())
        if token is None:
            raise unauthorised(
                "Authorization has been denied for this request: the token is not recognised."
            )
        if now >= token.expires:
            raise unauthorised(
                "Authorization has been denied for this request: the token "
                f"expired at {utc_ts(token.expires)}."
            )
        return token

    def school_grant(self, token: Token, estab: str, *, allow_management: bool) -> Authorisation:
        """The authorisation a token may read `estab` under, or an XporterError."""
        if token.management and not allow_management:
            raise forbidden(
                "A management token does not grant access to school data API "
                "endpoints; request a token with the school's estab and secret."
            )
        if not token.management and token.estab != estab:
            raise forbidden(
                f"The token was issued for establishment {token.estab} and cannot "
                f"read establishment {estab}."
            )
        grant = self.grant(token.relying_party, estab)
        if grant is None or grant.revoked:
            raise forbidden(
                f"Relying party {token.relying_party} is not authorised by establishment {estab}."
            )
        if grant.paused:
            raise XporterError(403, PAUSED_MESSAGE, "System.Security.SecurityException")
        return grant


def failed_body(message: str) -> dict[str, Any]:
    """The STS's failed / paused body (§1.2)."""
    return {
        "token": None,
        "expires": "0001-01-01T00:00:00",
        "Message": None,
        "ExceptionType": None,
        "ExceptionMessage": message,
        "InnerException": None,
    }


def scopes_satisfied(granted: frozenset[str], required: tuple[tuple[str, ...], ...]) -> bool:
    return all(any(s in granted for s in alternatives) for alternatives in required)
